#!/usr/bin/env bash
# Build InfluxDB OSS 1.x (with Flux and the v2-compatible API) once into the cache.
# Prints the path of the cached influxd binary.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

INFLUXDB_VERSION="${LUGANG_INFLUXDB_VERSION:-v1.12.4}"
PKG_CONFIG_VERSION="v0.2.14"
dest="$LUGANG_CACHE/influxdb-$INFLUXDB_VERSION"
bin="$dest/bin/influxd"

if [ -x "$bin" ]; then echo "$bin"; exit 0; fi

command -v go >/dev/null || die "go is not installed" "install Go >= 1.24 (Debian: golang, or go.dev) and run again"
command -v cargo >/dev/null || die "cargo is not installed (libflux is Rust)" "install Rust with rustup and run again"

mkdir -p "$dest/bin"
log="$dest/build.log"
say "building influxd $INFLUXDB_VERSION with Flux (first time only; about 10-20 minutes on 2 cores); log: $log"
export GOTOOLCHAIN=local
export GOBIN="$dest/bin"
export GOFLAGS="-mod=mod"
# The flux module pins Rust 1.72 in rust-toolchain.toml; use the installed stable instead.
export RUSTUP_TOOLCHAIN=stable
# libflux denies every warning (feature "strict") and a newer rustc warns about more.
# RUSTFLAGS would miss the host build of flux-core (a build dependency when cargo is given
# --target), so cap lints through a wrapper that cargo uses for workspace members only.
cat >"$dest/rustc-cap-lints" <<'WRAP'
#!/bin/sh
exec "$@" --cap-lints=warn
WRAP
chmod +x "$dest/rustc-cap-lints"
export RUSTC_WORKSPACE_WRAPPER="$dest/rustc-cap-lints"
if ! go install "github.com/influxdata/pkg-config@$PKG_CONFIG_VERSION" >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  die "could not install InfluxData's pkg-config wrapper" "check that the Go module proxy is reachable; see $log"
fi
export PKG_CONFIG="$dest/bin/pkg-config"
if ! go install -ldflags "-X main.version=${INFLUXDB_VERSION#v}" "github.com/influxdata/influxdb/cmd/influxd@$INFLUXDB_VERSION" >>"$log" 2>&1; then
  tail -n 40 "$log" >&2
  rm -f "$bin"
  die "building influxd $INFLUXDB_VERSION failed" "read $log; LUGANG_INFLUXDB_VERSION=v1.8.10 selects the pure-Go fallback"
fi
say "influxd built: $bin"
echo "$bin"
