#!/usr/bin/env bash
# Stop the Alertmanager that start-alertmanager.sh started.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
stop_pidfile "$LUGANG_WORK/alertmanager/alertmanager.pid"
