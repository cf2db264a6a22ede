#!/usr/bin/env bash
# A throwaway PostgreSQL server for the postgres store's tests.
#
#   pg_server.sh start STATE_DIR   initdb into a fresh temp folder, start the
#                                  server, write the connection info into
#                                  STATE_DIR; fails loudly if it cannot
#   pg_server.sh stop STATE_DIR    stop that server and remove its folder
#
# The server listens on 127.0.0.1 only, on a free port (never 5432), with
# its unix socket inside its own folder, fsync off, trust authentication,
# and one password-protected role (lm_secret) for the password tests. Any
# cluster the Debian package created is left alone. Run as root, the server
# runs as the `postgres` user (initdb refuses root).
#
# STATE_DIR receives:
#   pg_service.conf  services "lm_test" (superuser "postgres", database
#                    lm_test) and "lm_secret" (no password in it); point
#                    PGSERVICEFILE at it and connect with "service=lm_test"
#   password         lm_secret's password (mode 600)
#   conninfo         "host=127.0.0.1 port=N user=postgres dbname=lm_test"
#   port             the port
#   server.env       what `stop` needs (the temp folder, the bin folder)
set -euo pipefail

usage() {
  echo "usage: $0 start|stop STATE_DIR" >&2
  exit 2
}
[ $# -ge 2 ] || usage
mode=$1
state=$2

log() { echo "pg_server: $*"; }
fail() {
  echo "pg_server: FAILED: $*" >&2
  exit 1
}

find_bindir() {
  if [ -n "${LM_PG_BINDIR:-}" ]; then
    [ -x "$LM_PG_BINDIR/initdb" ] || fail "LM_PG_BINDIR=$LM_PG_BINDIR holds no initdb"
    echo "$LM_PG_BINDIR"
    return
  fi
  local dir
  for dir in /usr/lib/postgresql/15/bin $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return
    fi
  done
  fail "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin: install the 'postgresql' package" \
    "(.ci/deps does), or set LM_PG_BINDIR"
}

# Runs a command as the server's owner: `postgres` when we are root.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd "$tmp" && runuser -u postgres -- "$@")
  else
    (cd "$tmp" && "$@")
  fi
}

# True when nothing answers on 127.0.0.1:$1.
port_is_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Stops the server whose folder is $1 (binaries in $2) and removes the
# folder. Only ever a server this script started: one in a lm-pg.* folder.
stop_folder() {
  local tmp=$1 bindir=$2
  case "$tmp" in
    */lm-pg.*) ;;
    *) return 0 ;;
  esac
  if [ -f "$tmp/data/postmaster.pid" ]; then
    log "stopping the server in $tmp"
    as_owner "$bindir/pg_ctl" -D "$tmp/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
      as_owner "$bindir/pg_ctl" -D "$tmp/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    # Last resort: the postmaster of our own data folder, never anyone
    # else's server.
    if [ -f "$tmp/data/postmaster.pid" ]; then
      local pid
      pid=$(head -n 1 "$tmp/data/postmaster.pid")
      if [ -n "$pid" ] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$tmp/data"; then
        log "killing postmaster $pid"
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
  fi
  [ -d "$tmp" ] && rm -rf "$tmp"
  return 0
}

# Stops the server recorded in $state/server.env, if it is still there.
stop_server() {
  [ -f "$state/server.env" ] || return 0
  local tmp="" bindir="" watchdog=""
  # shellcheck disable=SC1091
  . "$state/server.env"
  # Our watchdog first, so it does not race us; checked by its command line.
  if [ -n "$watchdog" ] && tr '\0' ' ' 2>/dev/null <"/proc/$watchdog/cmdline" | grep -qF -- "watch $state $tmp"; then
    kill "$watchdog" 2>/dev/null || true
  fi
  [ -n "$tmp" ] && stop_folder "$tmp" "$bindir"
  rm -f "$state/server.env" "$state/pg_service.conf" "$state/password" "$state/conninfo" "$state/port"
}

# A detached watchdog, so that no server outlives its purpose when the
# cleanup never runs (ctest killed, build folder deleted): it stops the
# server once $state/server.env no longer names it, or after
# LM_PG_MAX_LIFETIME seconds (default 3 hours), and exits once the server
# is gone.
watch_server() {
  local tmp=$1 bindir=$2 deadline=$((SECONDS + ${LM_PG_MAX_LIFETIME:-10800}))
  while [ -f "$tmp/data/postmaster.pid" ]; do
    if ! grep -qF -- "$tmp" "$state/server.env" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      stop_folder "$tmp" "$bindir"
      return 0
    fi
    sleep 5
  done
}

# The EXIT trap of start: a start that fails shows the server's log, stops
# what it started and removes the folder.
on_start_exit() {
  local rc=$?
  [ "$rc" -eq 0 ] && return
  if [ -f "$tmp/server.log" ]; then
    echo "---- server log ($tmp/server.log) ----" >&2
    cat "$tmp/server.log" >&2
  fi
  stop_server
}

start_server() {
  mkdir -p "$state"
  stop_server  # a server left over from an interrupted run
  bindir=$(find_bindir)
  log "PostgreSQL binaries: $bindir ($("$bindir/postgres" --version))"

  # Not $TMPDIR: the postgres user must be able to reach the folder, and the
  # socket path must stay short.
  tmp=$(mktemp -d "${LM_PG_TMPDIR:-/tmp}/lm-pg.XXXXXX")
  chmod 700 "$tmp"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$tmp"
  printf 'tmp=%q\nbindir=%q\n' "$tmp" "$bindir" >"$state/server.env"
  # From here on, a failure stops what was started and removes the folder.
  trap on_start_exit EXIT

  as_owner "$bindir/initdb" --pgdata="$tmp/data" --username=postgres --auth=trust --encoding=UTF8 \
    --locale=C --no-sync >"$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log" >&2; fail "initdb failed"; }

  cat >"$tmp/data/pg_hba.conf" <<'EOF'
# Written by tests/postgres/pg_server.sh: a throwaway server for tests.
local all all                  trust
host  all lm_secret 127.0.0.1/32 scram-sha-256
host  all all       127.0.0.1/32 trust
EOF
  cat >>"$tmp/data/postgresql.conf" <<EOF

# tests/postgres/pg_server.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = '$tmp'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 32MB
max_connections = 200
password_encryption = 'scram-sha-256'
EOF

  local port="" attempt
  for attempt in 1 2 3 4 5 6 7 8; do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    [ "$port" -eq 5432 ] && continue
    port_is_free "$port" || continue
    if as_owner "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 60 -o "-p $port" start >/dev/null; then
      break
    fi
    # Someone took the port between our check and the server's bind: retry.
    grep -q "could not bind\|Address already in use" "$tmp/server.log" 2>/dev/null || fail "the server did not start"
    log "port $port was taken, trying another"
    port=""
  done
  [ -n "$port" ] || fail "no free port for the server after $attempt attempts"

  local ready=0
  for attempt in $(seq 1 60); do
    if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2; then
      ready=1
      break
    fi
    sleep 0.5
  done
  [ "$ready" -eq 1 ] || fail "the server on port $port did not become ready within 30 s"

  local password
  password=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
  "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
    -v password="$password" >/dev/null <<'EOF' || fail "cannot create the test database and role"
CREATE DATABASE lm_test;
CREATE ROLE lm_secret LOGIN PASSWORD :'password';
GRANT CREATE, CONNECT ON DATABASE lm_test TO lm_secret;
EOF

  (umask 077 && printf '%s' "$password" >"$state/password")
  printf '%s\n' "$port" >"$state/port"
  printf 'host=127.0.0.1 port=%s user=postgres dbname=lm_test\n' "$port" >"$state/conninfo"
  cat >"$state/pg_service.conf" <<EOF
# Written by tests/postgres/pg_server.sh for the throwaway test server.
[lm_test]
host=127.0.0.1
port=$port
user=postgres
dbname=lm_test

[lm_secret]
host=127.0.0.1
port=$port
user=lm_secret
dbname=lm_test
EOF
  trap - EXIT
  setsid bash "$0" watch "$state" "$tmp" "$bindir" </dev/null >/dev/null 2>&1 &
  printf 'watchdog=%q\n' "$!" >>"$state/server.env"
  log "PostgreSQL $("$bindir/psql" -X -At -h 127.0.0.1 -p "$port" -U postgres -d lm_test -c 'SHOW server_version')" \
    "ready on 127.0.0.1:$port, data in $tmp"
  log "connection info in $state (PGSERVICEFILE=$state/pg_service.conf, service=lm_test)"
}

case "$mode" in
  start) start_server ;;
  watch)
    [ $# -eq 4 ] || usage
    watch_server "$3" "$4"
    ;;
  stop)
    stop_server
    log "stopped"
    ;;
  *) usage ;;
esac
