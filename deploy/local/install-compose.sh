#!/usr/bin/env bash
# Build the Docker Compose CLI plugin once into the cache, so that `docker compose config`
# can validate docker-compose.yml on a machine without Docker's compose plugin (or engine).
# Prints the folder to use as DOCKER_CONFIG: it holds cli-plugins/docker-compose.
#   LUGANG_COMPOSE_VERSION   Compose module version (default: v5.0.2)
#   LUGANG_COMPOSE_LINK=1    also link the plugin into ${DOCKER_CONFIG:-~/.docker}/cli-plugins,
#                            so that a plain `docker compose` finds it
#
# Compose v5 is Compose v2's successor (same CLI and compose-spec loader, renumbered). Its
# v5.0.2 go.mod has no replace or exclude directives, so `go install` builds it from the Go
# module proxy; later tags exclude module versions (go install refuses them) and v2.x
# needs replace directives.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"

COMPOSE_VERSION="${LUGANG_COMPOSE_VERSION:-v5.0.2}"
case "$COMPOSE_VERSION" in
  v2.*) module="github.com/docker/compose/v2" ;;
  v5.*) module="github.com/docker/compose/v5" ;;
  *) die "unsupported LUGANG_COMPOSE_VERSION $COMPOSE_VERSION" "use a v5.x (or v2.x) tag of github.com/docker/compose" ;;
esac
dest="$LUGANG_CACHE/compose-$COMPOSE_VERSION"
plugin="$dest/cli-plugins/docker-compose"

link() {
  [ "${LUGANG_COMPOSE_LINK:-0}" = 1 ] || return 0
  local dir="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
  mkdir -p "$dir" && ln -sf "$plugin" "$dir/docker-compose"
  say "linked $dir/docker-compose -> $plugin"
}

if [ -x "$plugin" ]; then link; echo "$dest"; exit 0; fi

command -v go >/dev/null || die "go is not installed" "install Go >= 1.24 (Debian: golang, or go.dev) and run again"
command -v docker >/dev/null || die "the docker CLI is not installed (the plugin runs under it)" \
  "install the docker CLI (Debian: docker-cli), then run again"

mkdir -p "$dest/bin" "$dest/cli-plugins"
log="$dest/build.log"
say "building Docker Compose $COMPOSE_VERSION (first time only; about 2 minutes); log: $log"
if ! GOTOOLCHAIN=local GOFLAGS=-mod=mod GOBIN="$dest/bin" CGO_ENABLED=0 \
  go install -trimpath -ldflags "-s -w -X $module/internal.Version=$COMPOSE_VERSION" \
  "$module/cmd@$COMPOSE_VERSION" >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  die "building Docker Compose $COMPOSE_VERSION failed" \
      "read $log; check that the Go module proxy is reachable, or set LUGANG_COMPOSE_VERSION"
fi
# go install names the binary after the package folder (cmd); the docker CLI wants
# cli-plugins/docker-compose.
mv "$dest/bin/cmd" "$plugin"
DOCKER_CONFIG="$dest" docker compose version >>"$log" 2>&1 \
  || { tail -n 10 "$log" >&2; rm -f "$plugin"; die "docker does not accept the built compose plugin" "see $log"; }
say "Docker Compose $COMPOSE_VERSION ready: DOCKER_CONFIG=$dest docker compose ..."
link
echo "$dest"
