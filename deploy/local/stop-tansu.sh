#!/usr/bin/env bash
# Stop the Tansu broker that start-tansu.sh started.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
stop_pidfile "$LUGANG_WORK/tansu/tansu.pid"
