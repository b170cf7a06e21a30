#!/usr/bin/env bash
# Install everything Lugang needs on this machine:
#   1. a virtual environment in .venv with Lugang, its development tools and the demo's broker,
#      at the versions pinned in requirements/dev.lock (regenerate it with requirements/update.sh);
#   2. (unless --python-only) the local servers the tests use, cached under
#      ${LUGANG_CACHE:-~/.cache/lugang}: Apache Kafka jars, an influxd build, Alertmanager.
# Safe to run again: each step is skipped when its result is already there.
set -euo pipefail
root=$(cd "$(dirname "$0")" && pwd)
. "$root/deploy/local/common.sh"

python_only=false
case "${1:-}" in
  --python-only) python_only=true ;;
  -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
  "") ;;
  *) die "unknown option $1" "run ./install.sh --help" ;;
esac

python="${LUGANG_PYTHON:-python3}"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
  || die "Lugang needs Python >= 3.11 ($python is $("$python" --version 2>&1))" \
         "install Python 3.11 or newer and set LUGANG_PYTHON to it"

venv="$root/.venv"
# Keyed on what decides the environment: pyproject.toml and the pinned versions.
lock="$root/requirements/dev.lock"
stamp="$venv/.installed-$(cat "$root/pyproject.toml" "$lock" | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  say "creating the virtual environment in .venv and installing Lugang (about a minute)"
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv" \
    || die "could not create a virtual environment" "install the venv module (Debian: python3-venv)"
  log="$venv/pip.log"
  if ! { "$venv/bin/pip" install -q --upgrade pip && "$venv/bin/pip" install -q -r "$lock" \
           && "$venv/bin/pip" install -q --no-deps -e "$root[dev,bench,demo]"; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "pip could not install Lugang's packages" "check that PyPI is reachable, then run ./install.sh again (log: $log)"
  fi
  rm -f "$venv"/.installed-*; touch "$stamp"
fi

if ! $python_only; then
  log="$LUGANG_CACHE/npm-schema-check.log"
  # Grafana's TypeScript schema (@grafana/schema) for the dashboards' type check.
  npm ci --prefix "$root/dashboards/schema-check" --no-audit --no-fund >"$log" 2>&1 \
    || { tail -n 20 "$log" >&2; die "npm could not install dashboards/schema-check" "check that the npm registry is reachable; see $log"; }
  "$root/deploy/local/install-kafka.sh" >/dev/null
  "$root/deploy/local/install-alertmanager.sh" >/dev/null
  "$root/deploy/local/install-influxdb.sh" >/dev/null
  "$root/deploy/local/install-influxdb2.sh" >/dev/null
  "$root/deploy/local/install-tansu.sh" >/dev/null
  "$root/deploy/local/install-compose.sh" >/dev/null
  "$root/deploy/local/install-chromium.sh" >/dev/null
  say "installed: .venv, Apache Kafka, InfluxDB 1.12 and 2.7, Alertmanager, Tansu, Docker Compose (config checks only), Chromium"
fi
