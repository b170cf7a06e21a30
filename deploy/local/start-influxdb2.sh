#!/usr/bin/env bash
# Start InfluxDB OSS 2.x on loopback, wait until /health answers, and set it up as compose
# does: organisation, an all-access token, and the bucket "lugang/autogen", mapped to
# database "lugang", default retention policy "autogen", for the v1 API (InfluxQL queries)
# that Lugang uses.
# Prints LUGANG_INFLUX_URL=http://host:port and LUGANG_INFLUX_TOKEN=….
#   LUGANG_INFLUX2_PORT   HTTP port (default: a free port)
#   LUGANG_WORK           where data, logs and the pid file go
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

bin=$("$here/install-influxdb2.sh")
dir="$LUGANG_WORK/influxdb2"
pidfile="$dir/influxd.pid"
stop_pidfile "$pidfile"
rm -rf "$dir"
mkdir -p "$dir"
port="${LUGANG_INFLUX2_PORT:-$(free_port)}"
token="lugang-test-token"
nohup "$bin" --bolt-path "$dir/influxd.bolt" --engine-path "$dir/engine" \
  --sqlite-path "$dir/influxd.sqlite" --http-bind-address "127.0.0.1:$port" \
  --reporting-disabled --log-level warn >"$dir/influxd.log" 2>&1 &
echo $! >"$pidfile"
url="http://127.0.0.1:$port"
wait_for "InfluxDB 2" 60 "$dir/influxd.log" "$pidfile" http_ok "$url/health" \
  || { stop_pidfile "$pidfile"; die "InfluxDB 2 did not start" "see $dir/influxd.log"; }
setup=$(curl -fsS --max-time 10 -XPOST "$url/api/v2/setup" -H 'Content-Type: application/json' \
  -d "{\"username\":\"lugang\",\"password\":\"lugang-password\",\"org\":\"lugang\",\"bucket\":\"lugang/autogen\",\"token\":\"$token\"}") \
  || { stop_pidfile "$pidfile"; die "could not set up InfluxDB 2" "see $dir/influxd.log"; }
# The database InfluxQL names: "lugang", its default retention policy "autogen" (as
# deploy/influxdb/initdb.d maps it in compose).
dbrp=$(printf '%s' "$setup" | python3 -c 'import json,sys; s=json.load(sys.stdin); print(json.dumps({"bucketID": s["bucket"]["id"], "orgID": s["org"]["id"], "database": "lugang", "retention_policy": "autogen", "default": True}))')
curl -fsS --max-time 10 -XPOST "$url/api/v2/dbrps" -H "Authorization: Token $token" \
  -H 'Content-Type: application/json' -d "$dbrp" >/dev/null \
  || { stop_pidfile "$pidfile"; die "could not map database lugang in InfluxDB 2" "see $dir/influxd.log"; }
version=$(curl -fsS --max-time 2 "$url/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
say "InfluxDB $version ready on 127.0.0.1:$port (pid $(cat "$pidfile"), logs $dir/influxd.log)"
echo "LUGANG_INFLUX_URL=$url"
echo "LUGANG_INFLUX_TOKEN=$token"
