#!/usr/bin/env bash
# Stop the InfluxDB 2 that start-influxdb2.sh started.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
stop_pidfile "$LUGANG_WORK/influxdb2/influxd.pid"
