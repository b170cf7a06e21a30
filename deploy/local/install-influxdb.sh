#!/usr/bin/env bash
# Build InfluxDB OSS 1.x (with Flux and the v2-compatible API) once into the cache.
# Prints the path of the cached influxd binary.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

INFLUXDB_VERSION="${LUGANG_INFLUXDB_VERSION:-v1.12.4}"
dest="$LUGANG_CACHE/influxdb-$INFLUXDB_VERSION"
bin="$dest/bin/influxd"

if [ -x "$bin" ]; then echo "$bin"; exit 0; fi

mkdir -p "$dest/bin"
log="$dest/build.log"
say "building influxd $INFLUXDB_VERSION with Flux (first time only; about 10-20 minutes on 2 cores); log: $log"
influx_build_env "$dest" "$log"
if ! go install -ldflags "-X main.version=${INFLUXDB_VERSION#v}" "github.com/influxdata/influxdb/cmd/influxd@$INFLUXDB_VERSION" >>"$log" 2>&1; then
  tail -n 40 "$log" >&2
  rm -f "$bin"
  die "building influxd $INFLUXDB_VERSION failed" "read $log; LUGANG_INFLUXDB_VERSION=v1.8.10 selects the pure-Go fallback"
fi
say "influxd built: $bin"
echo "$bin"
