#!/usr/bin/env bash
# Install Debian's Chromium (headless browser for the report-page test) and a CJK font
# (so the Chinese labels render as characters, not boxes) if they are missing.
# Prints the path of the browser binary.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

have_cjk_font() {
  [ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] \
    || { command -v fc-list >/dev/null && [ -n "$(fc-list :lang=zh 2>/dev/null)" ]; }
}

browser=""
for candidate in "${LUGANG_CHROMIUM_BIN:-}" /usr/bin/chromium "$(command -v chromium || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then browser=$candidate; break; fi
done
if [ -n "$browser" ] && have_cjk_font; then echo "$browser"; exit 0; fi

packages=()
[ -n "$browser" ] || packages+=(chromium)
have_cjk_font || packages+=(fonts-wqy-microhei)
command -v apt-get >/dev/null || die "${packages[*]} missing and apt-get is not available" \
  "install Chromium and a CJK font yourself and set LUGANG_CHROMIUM_BIN to the browser's path"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
log="$LUGANG_CACHE/chromium-install.log"
say "installing Debian's ${packages[*]} (first time only); log: $log"
if ! { $sudo apt-get update && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${packages[@]}"; } >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  die "apt-get could not install ${packages[*]}" "see $log; or install Chromium yourself and set LUGANG_CHROMIUM_BIN"
fi
echo "${browser:-/usr/bin/chromium}"
