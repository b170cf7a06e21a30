#!/usr/bin/env bash
# Stop the Kafka broker that start-kafka.sh started.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
stop_pidfile "$LUGANG_WORK/kafka/kafka.pid"
