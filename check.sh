#!/usr/bin/env bash
# Install everything, then run every check: ruff, mypy, the import layers (lint-imports) and
# the whole test suite (unit tests and integration tests against real Kafka, InfluxDB,
# Alertmanager and Tansu).
# Extra arguments go to pytest, e.g. ./check.sh -k alertmanager
set -euo pipefail
root=$(cd "$(dirname "$0")" && pwd)
cd "$root"
./install.sh
bin="$root/.venv/bin"
echo "== ruff"; "$bin/ruff" check .
echo "== ruff format"; "$bin/ruff" format --check .
echo "== mypy"; "$bin/mypy"
echo "== import layers"; "$bin/lint-imports"
echo "== pytest"; "$bin/pytest" "$@"
