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
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
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
