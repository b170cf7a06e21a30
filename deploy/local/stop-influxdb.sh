#!/usr/bin/env bash
# Stop the InfluxDB that start-influxdb.sh started.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
stop_pidfile "$LUGANG_WORK/influxdb/influxd.pid"
