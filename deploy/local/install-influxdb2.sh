#!/usr/bin/env bash
# Build InfluxDB OSS 2.x (the version docker-compose.yml ships) once into the cache.
# Prints the path of the cached influxd binary.
#
# Its go.mod has a replace directive, so `go install …@v2.7.12` is refused: the module is
# downloaded, copied out of the read-only module cache, and built inside. Flux links
# libflux as for 1.x (the same flux release as 1.12.4, so a built libflux is reused).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

INFLUXDB2_VERSION="${LUGANG_INFLUXDB2_VERSION:-v2.7.12}"
dest="$LUGANG_CACHE/influxdb-$INFLUXDB2_VERSION"
bin="$dest/bin/influxd"

if [ -x "$bin" ]; then echo "$bin"; exit 0; fi

mkdir -p "$dest/bin"
log="$dest/build.log"
say "building influxd $INFLUXDB2_VERSION (first time only; about 5 minutes when libflux is built, 20 otherwise); log: $log"
influx_build_env "$dest" "$log"
module="github.com/influxdata/influxdb/v2"
fetch="$dest/fetch"
mkdir -p "$fetch"
(cd "$fetch" && { [ -f go.mod ] || go mod init lugang/fetch >>"$log" 2>&1; } \
  && go mod download "$module@$INFLUXDB2_VERSION" >>"$log" 2>&1) \
  || { tail -n 30 "$log" >&2; die "could not download $module@$INFLUXDB2_VERSION" "check that the Go module proxy is reachable; see $log"; }
src="$dest/src"
rm -rf "$src"
cp -r "$(go env GOMODCACHE)/$module@$INFLUXDB2_VERSION" "$src"
chmod -R u+w "$src"
if ! (cd "$src" && go build -ldflags "-X main.version=${INFLUXDB2_VERSION#v}" -o "$bin" ./cmd/influxd) >>"$log" 2>&1; then
  tail -n 40 "$log" >&2
  rm -f "$bin"
  die "building influxd $INFLUXDB2_VERSION failed" "read $log"
fi
rm -rf "$src"
say "influxd built: $bin"
echo "$bin"
