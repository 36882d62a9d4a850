#!/usr/bin/env bash
# A throwaway PostgreSQL for the state-store tests: one cluster in a temporary directory,
# listening on 127.0.0.1 only (a free port, its socket in the same directory), trust auth.
#
#   scripts/ci-postgres.sh start   # prints ZOOMORCH_TEST_POSTGRES_URL=postgresql+psycopg://…
#   scripts/ci-postgres.sh stop    # stops the cluster and deletes its directory
#   scripts/ci-postgres.sh url     # prints the line again while it runs
#
# Idempotent: `start` on a running cluster only prints its URL; `stop` on none does nothing.
# Installs Debian's postgresql with apt when it is missing and we are root. Root cannot run
# postgres, so as root the server runs as the `postgres` OS user. Only the URL line goes to
# stdout (progress goes to stderr): `export "$(scripts/ci-postgres.sh start)"` works.
# ZOOMORCH_PG_DIR overrides the directory (default: one per checkout under /tmp).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
dir="${ZOOMORCH_PG_DIR:-/tmp/zoomorch-ci-postgres-$(printf '%s' "$repo" | cksum | cut -d' ' -f1)}"
data="$dir/data"
db=zoomorch_test
role=zoomorch

say() { echo "ci-postgres: $*" >&2; }

find_bindir() {
  local candidate
  # Newest installed major version first.
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$candidate/initdb" ] && { echo "$candidate"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

# Runs a server-side command as the cluster's owner (postgres when we are root).
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

running() {
  [ -n "${bindir:-}" ] && [ -f "$data/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1
}

print_url() {
  echo "ZOOMORCH_TEST_POSTGRES_URL=postgresql+psycopg://$role@127.0.0.1:$(cat "$dir/port")/$db"
}

install_postgres() {
  if [ "$(id -u)" != 0 ]; then
    say "PostgreSQL is not installed and we are not root: install Debian's postgresql first"
    exit 1
  fi
  say "apt-get install postgresql"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  bindir="$(find_bindir)" || { install_postgres; bindir="$(find_bindir)"; }
  if running; then
    say "already running in $dir"
    print_url
    return 0
  fi
  # A directory left by a killed run: start over.
  rm -rf "$dir"
  mkdir -p "$data"
  chmod 700 "$dir"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$dir"
  say "initdb in $data ($("$bindir/postgres" --version))"
  as_owner "$bindir/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C \
    --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  local port
  port="$(free_port)"
  echo "$port" >"$dir/port"
  # A throwaway cluster: durability settings off (tests never survive an OS crash anyway).
  as_owner tee -a "$data/postgresql.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF
  say "starting on 127.0.0.1:$port"
  as_owner "$bindir/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 30 start >/dev/null \
    || { cat "$dir/postgres.log" >&2; exit 1; }
  # An ordinary role owning the test database, like a deployment's (not a superuser).
  as_owner "$bindir/psql" -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres \
    -d postgres >/dev/null <<EOF
CREATE ROLE $role LOGIN;
CREATE DATABASE $db OWNER $role;
EOF
  print_url
}

stop() {
  bindir="$(find_bindir)" || { rm -rf "$dir"; return 0; }
  if running; then
    say "stopping the cluster in $dir"
    as_owner "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null
  fi
  rm -rf "$dir"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  url)
    bindir="$(find_bindir)" || exit 1
    running || { say "not running"; exit 1; }
    print_url
    ;;
  *) echo "usage: $0 [start|stop|url]" >&2; exit 2 ;;
esac
