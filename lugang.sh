#!/usr/bin/env bash
# Run the lugang command, installing its Python environment first if needed.
#   ./lugang.sh demo      the whole monitor on the embedded broker
#   ./lugang.sh --help    every subcommand
set -euo pipefail
root=$(cd "$(dirname "$0")" && pwd)
"$root/install.sh" --python-only
exec "$root/.venv/bin/lugang" "$@"
