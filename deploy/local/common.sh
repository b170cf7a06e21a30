# Shared helpers for the deploy/local scripts. Source it; do not run it.
# shellcheck shell=bash

LUGANG_CACHE="${LUGANG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lugang}"
LUGANG_WORK="${LUGANG_WORK:-${TMPDIR:-/tmp}/lugang-work}"
mkdir -p "$LUGANG_CACHE" "$LUGANG_WORK"

say() { printf '[lugang] %s\n' "$*" >&2; }

# die MESSAGE [HINT]: print what failed and what to do next, then exit 1.
die() {
  printf '[lugang] ERROR: %s\n' "$1" >&2
  [ $# -gt 1 ] && printf '[lugang] next step: %s\n' "$2" >&2
  exit 1
}

# free_port: ask the kernel for an unused loopback TCP port.
free_port() {
  free_ports 1
}

# free_ports N [TAKEN]: N distinct unused loopback TCP ports, one line, none equal to TAKEN.
# Held open together while the kernel picks them: two calls of free_port can give the same
# port (one closed is free again), and Kafka once got its broker and controller listeners on
# one port and refused to start.
free_ports() {
  python3 -c '
import socket, sys
count, taken = int(sys.argv[1]), sys.argv[2:]
held, ports = [], []
while len(ports) < count:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
    port = str(s.getsockname()[1])
    if port not in taken:
        ports.append(port)
print(" ".join(ports))
' "$@"
}

# wait_for DESCRIPTION SECONDS LOGFILE PIDFILE COMMAND...: poll COMMAND until it succeeds.
# When the process in PIDFILE exits, or SECONDS pass, print the tail of LOGFILE and fail.
wait_for() {
  local what=$1 seconds=$2 log=$3 pidfile=$4; shift 4
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      say "$what exited during start-up; last lines of $log:"
    elif [ $SECONDS -ge $deadline ]; then
      say "$what did not become ready within ${seconds}s; last lines of $log:"
    else
      sleep 0.3
      continue
    fi
    tail -n 40 "$log" >&2 || true
    return 1
  done
}

# http_ok URL: true when URL answers 2xx within two seconds.
http_ok() { curl -fsS --max-time 2 "$1" >/dev/null; }

# stop_pidfile PIDFILE: stop the process named in PIDFILE, if it runs.
stop_pidfile() {
  local pidfile=$1 pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# influx_build_env DEST LOG: prepare the environment InfluxDB's Go builds need (1.x and 2.x
# alike: Flux links libflux, which is Rust), with InfluxData's pkg-config wrapper in
# DEST/bin. Needs go and cargo.
influx_build_env() {
  local dest=$1 log=$2
  command -v go >/dev/null || die "go is not installed" "install Go >= 1.24 (Debian: golang, or go.dev) and run again"
  command -v cargo >/dev/null || die "cargo is not installed (libflux is Rust)" "install Rust with rustup and run again"
  mkdir -p "$dest/bin"
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
  if ! go install "github.com/influxdata/pkg-config@v0.2.14" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "could not install InfluxData's pkg-config wrapper" "check that the Go module proxy is reachable; see $log"
  fi
  export PKG_CONFIG="$dest/bin/pkg-config"
}
