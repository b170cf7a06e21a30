#!/usr/bin/env bash
# Regenerate the lock files from pyproject.toml (run after changing a dependency there):
#   requirements/dev.lock   development, CI and the demo: Lugang's dependencies plus the dev,
#                           bench and demo extras (./install.sh installs it)
#   requirements/prod.lock  production (the Docker image): Lugang's dependencies only, no extra
# Both are resolved for Python 3.11 on every platform (uv's --universal markers), with uv:
#   pip install uv   (any recent release; uv 0.13 wrote the current files)
# tests/unit/test_locks.py fails when pyproject.toml asks for something a lock does not pin.
# Extra arguments go to uv, e.g. requirements/update.sh --upgrade-package aiohttp
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
uv=${UV:-uv}
common=(pip compile pyproject.toml --universal --python-version 3.11 --no-header --quiet)
header() {
  printf '%s\n' \
    "# $1" \
    "# Generated from pyproject.toml by requirements/update.sh (uv pip compile, Python 3.11);" \
    "# do not edit by hand: change pyproject.toml and run requirements/update.sh again."
}
{ header "Lugang's development and CI environment: dependencies plus the dev, bench and demo extras."
  "$uv" "${common[@]}" --extra dev --extra bench --extra demo "$@"; } >requirements/dev.lock
# The production lock is constrained by the development one, so the image runs the versions
# the tests run (alone, uv may pick newer ones that a bench or dev package holds back).
{ header "Lugang's production environment (the Docker image): dependencies only."
  "$uv" "${common[@]}" --constraint requirements/dev.lock "$@"; } >requirements/prod.lock
echo "wrote requirements/dev.lock and requirements/prod.lock"
