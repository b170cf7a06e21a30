#!/usr/bin/env bash
# Start the embedded Tansu broker (Kafka-compatible, memory storage: a restart loses
# everything) on loopback. Prints LUGANG_TANSU_BOOTSTRAP=host:port.
#   LUGANG_TANSU_PORT   broker port (default: a free port)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
bin=$("$here/install-tansu.sh")
dir="$LUGANG_WORK/tansu"
pidfile="$dir/tansu.pid"
stop_pidfile "$pidfile"
mkdir -p "$dir"
port="${LUGANG_TANSU_PORT:-$(free_port)}"
nohup "$bin" broker --listener-url "tcp://127.0.0.1:$port" \
  --advertised-listener-url "tcp://127.0.0.1:$port" --storage-engine memory://tansu/ \
  >"$dir/tansu.log" 2>&1 &
echo $! >"$pidfile"
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }
wait_for "Tansu" 20 "$dir/tansu.log" "$pidfile" listening \
  || { stop_pidfile "$pidfile"; die "Tansu did not start" "see $dir/tansu.log"; }
say "Tansu ready on 127.0.0.1:$port (pid $(cat "$pidfile"), log $dir/tansu.log)"
echo "LUGANG_TANSU_BOOTSTRAP=127.0.0.1:$port"
