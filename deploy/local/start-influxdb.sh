#!/usr/bin/env bash
# Start InfluxDB OSS 1.x on loopback with Flux and the v2-compatible API enabled, wait
# until /health answers, and create the database "lugang" (retention policy "autogen").
# Prints LUGANG_INFLUX_URL=http://host:port.
#   LUGANG_INFLUX_PORT   HTTP port (default: a free port)
#   LUGANG_WORK          where data, logs and the pid file go
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

bin=$("$here/install-influxdb.sh")
dir="$LUGANG_WORK/influxdb"
pidfile="$dir/influxd.pid"
stop_pidfile "$pidfile"
if [ "${LUGANG_INFLUX_KEEP_DATA:-0}" != 1 ]; then rm -rf "$dir"; fi
mkdir -p "$dir"
port="${LUGANG_INFLUX_PORT:-$(free_port)}"
rpc_port=$(free_ports 1 "$port")
cat >"$dir/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc_port"
[meta]
  dir = "$dir/meta"
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
  # No cap on a tag's values, as InfluxDB 2.x (the production stack's) has none: 1.x refuses
  # a point past 100,000 values of one tag, and container_move is tagged by container (a
  # simulated year of a million events moves 107,000 boxes).
  max-values-per-tag = 0
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:$port"
  auth-enabled = false
  flux-enabled = true
  log-enabled = false
[logging]
  level = "warn"
CONF
nohup "$bin" run -config "$dir/influxdb.conf" >"$dir/influxd.log" 2>&1 &
echo $! >"$pidfile"
wait_for "InfluxDB" 60 "$dir/influxd.log" "$pidfile" http_ok "http://127.0.0.1:$port/health" \
  || { stop_pidfile "$pidfile"; die "InfluxDB did not start" "see $dir/influxd.log"; }
curl -fsS --max-time 10 -XPOST "http://127.0.0.1:$port/query" --data-urlencode 'q=CREATE DATABASE lugang' >/dev/null \
  || die "could not create the database lugang" "see $dir/influxd.log"
version=$(curl -fsS --max-time 2 "http://127.0.0.1:$port/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
say "InfluxDB $version (Flux on) ready on 127.0.0.1:$port (pid $(cat "$pidfile"), logs $dir/influxd.log)"
echo "LUGANG_INFLUX_URL=http://127.0.0.1:$port"
