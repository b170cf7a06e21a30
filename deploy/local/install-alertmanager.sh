#!/usr/bin/env bash
# Install Prometheus Alertmanager from Debian's packages if it is missing.
# Prints the path of the binary.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

for candidate in "${LUGANG_ALERTMANAGER_BIN:-}" /usr/bin/prometheus-alertmanager "$(command -v alertmanager || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; exit 0; fi
done
command -v apt-get >/dev/null || die "prometheus-alertmanager is missing and apt-get is not available" \
  "install Alertmanager >= 0.25 and set LUGANG_ALERTMANAGER_BIN to its path"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
log="$LUGANG_CACHE/alertmanager-install.log"
say "installing Debian's prometheus-alertmanager (first time only); log: $log"
if ! { $sudo apt-get update && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends prometheus-alertmanager; } >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  die "apt-get could not install prometheus-alertmanager" "see $log; or install Alertmanager yourself and set LUGANG_ALERTMANAGER_BIN"
fi
# The package starts a system service on its default ports; the project runs its own.
{ command -v systemctl >/dev/null && $sudo systemctl disable --now prometheus-alertmanager; } >/dev/null 2>&1 || true
pkill -f '^/usr/bin/prometheus-alertmanager$' 2>/dev/null || true
echo /usr/bin/prometheus-alertmanager
