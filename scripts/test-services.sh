#!/usr/bin/env bash
# test-services.sh: run the services the Go and browser tests need, as plain
# processes on 127.0.0.1, and tell the tests where they are.
#
# Usage:  scripts/test-services.sh start    stop leftovers, start everything,
#                                           write var/test-services.env
#         scripts/test-services.sh stop     stop everything this script started
#         scripts/test-services.sh env      print var/test-services.env
#         scripts/test-services.sh status   show each service and its PID
#
# In the Makefile:
#   scripts/test-services.sh start
#   set -a; . var/test-services.env; set +a; B2B_REQUIRE_SERVICES=1 go test ./...
#   scripts/test-services.sh stop          (also on failure: use a trap)
#
# var/test-services.env (export lines; a variable is absent when its service
# could not be started, e.g. no gcloud, so those tests skip locally):
#   FIRESTORE_EMULATOR_HOST=127.0.0.1:18086   Firestore emulator (gcloud's jar)
#   PUBSUB_EMULATOR_HOST=127.0.0.1:18085      Pub/Sub emulator (gcloud's)
#   B2B_AZURITE_BLOB_URL=http://127.0.0.1:10000/devstoreaccount1
#   B2B_POSTGRES_DSN=postgres://postgres@127.0.0.1:55432/postgres?sslmode=disable
#   B2B_MARIADB_DSN=root@tcp(127.0.0.1:33306)/
#   B2B_CHROMIUM=/usr/bin/chromium
#   B2B_TEST_SERVICES_DIR=<repo>/var/test-services
#
# Ports (override by env): TEST_PUBSUB_PORT=18085 TEST_FIRESTORE_PORT=18086
#   TEST_AZURITE_PORT=10000 TEST_PG_PORT=55432 TEST_MARIADB_PORT=33306
# Other env: TEST_SERVICES="postgres mariadb" starts only those (default: all
#   of firestore pubsub azurite postgres mariadb chromium),
#   TEST_SERVICES_TIMEOUT=60 (seconds to wait for each service),
#   AZURITE_DIR=<repo>/.tools/azurite (scripts/install-deps.sh installs it),
#
# State, data and logs live in var/test-services/ (logs/<service>.log,
# pids/<service>.pid); every start begins with empty databases.
# Measured on 2 cores shared with other builds (load average 6-9): `start`
# 3.3-8.4 s for all five (alone: postgres 1.4 s, mariadb 0.8-1.6 s, azurite
# 2.7 s, firestore 1.8 s, pubsub 1.6 s; the two JVMs dominate), `stop` about
# 2.1 s (Azurite's node process needs SIGKILL after its 2 s grace).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=$ROOT/var/test-services
LOGS=$DIR/logs
PIDS=$DIR/pids
ENVFILE=$ROOT/var/test-services.env

PUBSUB_PORT=${TEST_PUBSUB_PORT:-18085}
FIRESTORE_PORT=${TEST_FIRESTORE_PORT:-18086}
AZURITE_PORT=${TEST_AZURITE_PORT:-10000}
PG_PORT=${TEST_PG_PORT:-55432}
MARIADB_PORT=${TEST_MARIADB_PORT:-33306}
TIMEOUT=${TEST_SERVICES_TIMEOUT:-60}
AZURITE_DIR=${AZURITE_DIR:-$ROOT/.tools/azurite}
HOST=127.0.0.1

log() { printf 'test-services: %s\n' "$*" >&2; }
warn() { printf 'test-services: WARNING: %s\n' "$*" >&2; }
die() { printf 'test-services: ERROR: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

SERVICES=${TEST_SERVICES:-firestore pubsub azurite postgres mariadb chromium}
want() { [[ " $SERVICES " == *" $1 "* ]]; }

# missing NAME WHY: a program a service needs is not on this machine. The
# service is skipped and its variable left unset: its tests skip, or fail
# under B2B_REQUIRE_SERVICES=1 (testenv.Require), which keeps the other
# services' tests running. A service that is installed but does not come up
# is an error (exit 1).
FAILED=()
missing() {
  warn "$1 not started: $2 (its tests skip, or fail under B2B_REQUIRE_SERVICES=1)"
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# pid_alive PID: running and not a zombie (services started by this shell
# stay its children until it exits).
pid_alive() {
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
  local st
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ "$st" != Z ]
}

pidfile_pid() { [ -f "$PIDS/$1.pid" ] && cat "$PIDS/$1.pid" || true; }

now_ms() { date +%s%3N; }

# check_port NAME PORT VAR: the port must be free before we start.
check_port() {
  if port_open "$2"; then
    FAILED+=("$1: port $2 is already in use by another process (set $3 to another port)")
    printf 'test-services: ERROR: %s: port %s is already in use (set %s)\n' "$1" "$2" "$3" >&2
    return 1
  fi
}

# Readiness: every started service is polled in one loop, so each one's
# time is its own. ready_NAME is the check; set_env_NAME records its variable.
declare -A STARTED_AT READY_MS
wait_all() {
  local pending=() name pid deadline=$((SECONDS + TIMEOUT))
  for name in "$@"; do
    [ -n "$(pidfile_pid "$name")" ] && pending+=("$name")
  done
  while [ ${#pending[@]} -gt 0 ]; do
    local still=()
    for name in "${pending[@]}"; do
      pid=$(pidfile_pid "$name")
      if "ready_$name" >/dev/null 2>&1; then
        READY_MS[$name]=$(($(now_ms) - ${STARTED_AT[$name]}))
        "set_env_$name"
      elif ! pid_alive "$pid"; then
        FAILED+=("$name: exited during start-up; see $LOGS/$name.log")
        printf 'test-services: ERROR: %s exited during start-up; log: %s\n' "$name" "$LOGS/$name.log" >&2
        tail -n 15 "$LOGS/$name.log" >&2 2>/dev/null || true
      elif [ $SECONDS -ge $deadline ]; then
        FAILED+=("$name: not answering after ${TIMEOUT}s; see $LOGS/$name.log")
        printf 'test-services: ERROR: %s did not answer within %ss; log: %s\n' "$name" "$TIMEOUT" "$LOGS/$name.log" >&2
        tail -n 15 "$LOGS/$name.log" >&2 2>/dev/null || true
      else
        still+=("$name")
      fi
    done
    pending=("${still[@]+"${still[@]}"}")
    [ ${#pending[@]} -eq 0 ] || sleep 0.1
  done
}

http_answers() { # any HTTP status means the server is up
  local code
  code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$1") || true
  [ -n "$code" ] && [ "$code" != 000 ]
}

# ------------------------------------------------------------ gcloud emulators
SDK=
find_sdk() {
  have gcloud || return 1
  SDK=$(dirname "$(dirname "$(readlink -f "$(command -v gcloud)")")")
  if [ ! -d "$SDK/platform" ]; then
    SDK=$(gcloud info --format='value(installation.sdk_root)' 2>/dev/null) || true
  fi
  [ -n "$SDK" ] && [ -d "$SDK/platform" ]
}

declare -A ENV_OUT

start_firestore() {
  local jar=$SDK/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar
  [ -f "$jar" ] || { missing firestore "the Firestore emulator component is not installed ($jar)"; return 0; }
  have java || { missing firestore "java is not installed"; return 0; }
  check_port firestore "$FIRESTORE_PORT" TEST_FIRESTORE_PORT || return 0
  STARTED_AT[firestore]=$(now_ms)
  nohup java -Xmx1g -cp "$jar" com.google.cloud.datastore.emulator.firestore.CloudFirestore start \
    --host="$HOST" --port="$FIRESTORE_PORT" --database-mode=firestore-native \
    >"$LOGS/firestore.log" 2>&1 </dev/null &
  echo $! >"$PIDS/firestore.pid"
}

start_pubsub() {
  local bin=$SDK/platform/pubsub-emulator/bin/cloud-pubsub-emulator
  [ -x "$bin" ] || { missing pubsub "the Pub/Sub emulator component is not installed ($bin)"; return 0; }
  have java || { missing pubsub "java is not installed"; return 0; }
  check_port pubsub "$PUBSUB_PORT" TEST_PUBSUB_PORT || return 0
  mkdir -p "$DIR/pubsub"
  STARTED_AT[pubsub]=$(now_ms)
  # The launcher execs java, so $! is the JVM.
  JAVA_OPTS="-Xmx512m" nohup "$bin" --host="$HOST" --port="$PUBSUB_PORT" \
    >"$LOGS/pubsub.log" 2>&1 </dev/null &
  echo $! >"$PIDS/pubsub.pid"
}

# ------------------------------------------------------------ Azurite
start_azurite() {
  local bin=$AZURITE_DIR/node_modules/.bin/azurite-blob
  [ -x "$bin" ] || { missing azurite "$bin not found (run scripts/install-deps.sh)"; return 0; }
  have node || { missing azurite "node is not installed"; return 0; }
  check_port azurite "$AZURITE_PORT" TEST_AZURITE_PORT || return 0
  rm -rf "$DIR/azurite"
  mkdir -p "$DIR/azurite"
  STARTED_AT[azurite]=$(now_ms)
  # Run the script with node directly so $! is the node process.
  nohup node "$(readlink -f "$bin")" --blobHost "$HOST" --blobPort "$AZURITE_PORT" \
    --location "$DIR/azurite" --skipApiVersionCheck --silent --loose \
    >"$LOGS/azurite.log" 2>&1 </dev/null &
  echo $! >"$PIDS/azurite.pid"
}

# ------------------------------------------------------------ PostgreSQL
PG_BIN=
find_pg() {
  local d
  if have pg_ctl && have initdb; then
    PG_BIN=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
    return 0
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ]; then
      PG_BIN=$d
      return 0
    fi
  done
  return 1
}

# as_pg CMD...: PostgreSQL refuses to run as root; run as postgres then.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start_postgres() {
  find_pg || { missing postgres "PostgreSQL server binaries not found (run scripts/install-deps.sh)"; return 0; }
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    missing postgres "running as root but there is no postgres user to run the server"
    return 0
  fi
  check_port postgres "$PG_PORT" TEST_PG_PORT || return 0
  local pgdir=$DIR/pg
  rm -rf "$pgdir"
  mkdir -p "$pgdir"
  touch "$LOGS/postgres.log"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$pgdir" "$LOGS/postgres.log"
  fi
  STARTED_AT[postgres]=$(now_ms)
  if ! as_pg "$PG_BIN/initdb" -D "$pgdir/data" -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8 \
    >>"$LOGS/postgres.log" 2>&1; then
    FAILED+=("postgres: initdb failed; see $LOGS/postgres.log")
    printf 'test-services: ERROR: postgres initdb failed; log: %s\n' "$LOGS/postgres.log" >&2
    return 0
  fi
  if ! as_pg "$PG_BIN/pg_ctl" -D "$pgdir/data" -l "$LOGS/postgres.log" -w -t "$TIMEOUT" \
    -o "-p $PG_PORT -k $pgdir -c listen_addresses=$HOST -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null 2>&1; then
    FAILED+=("postgres: pg_ctl start failed; see $LOGS/postgres.log")
    printf 'test-services: ERROR: postgres did not start; log: %s\n' "$LOGS/postgres.log" >&2
    tail -n 15 "$LOGS/postgres.log" >&2 || true
    return 0
  fi
  head -n 1 "$pgdir/data/postmaster.pid" >"$PIDS/postgres.pid"
}

pg_ready() { "$PG_BIN/pg_isready" -q -h "$HOST" -p "$PG_PORT" -U postgres; }

# ------------------------------------------------------------ MariaDB
MARIADBD=
start_mariadb() {
  MARIADBD=$(command -v mariadbd || true)
  [ -n "$MARIADBD" ] || { [ -x /usr/sbin/mariadbd ] && MARIADBD=/usr/sbin/mariadbd; } || true
  if [ -z "$MARIADBD" ] || ! have mariadb-install-db; then
    missing mariadb "mariadbd / mariadb-install-db not found (run scripts/install-deps.sh)"
    return 0
  fi
  check_port mariadb "$MARIADB_PORT" TEST_MARIADB_PORT || return 0
  local mdir=$DIR/mariadb user
  user=$(id -un)
  rm -rf "$mdir"
  mkdir -p "$mdir"
  STARTED_AT[mariadb]=$(now_ms)
  if ! mariadb-install-db --no-defaults --datadir="$mdir/data" --user="$user" \
    --auth-root-authentication-method=normal --skip-test-db >"$LOGS/mariadb.log" 2>&1; then
    FAILED+=("mariadb: mariadb-install-db failed; see $LOGS/mariadb.log")
    printf 'test-services: ERROR: mariadb-install-db failed; log: %s\n' "$LOGS/mariadb.log" >&2
    return 0
  fi
  nohup "$MARIADBD" --no-defaults --datadir="$mdir/data" --socket="$mdir/mysqld.sock" \
    --pid-file="$mdir/mariadbd.pid" --port="$MARIADB_PORT" --bind-address="$HOST" --user="$user" \
    --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 --skip-log-bin \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    >>"$LOGS/mariadb.log" 2>&1 </dev/null &
  echo $! >"$PIDS/mariadb.pid"
}

mariadb_admin() { mariadb-admin --no-defaults --protocol=tcp -h "$HOST" -P "$MARIADB_PORT" -uroot "$@"; }
mariadb_ready() { mariadb_admin ping; }

# ------------------------------------------------------------ stop
# All services get SIGTERM at once (PostgreSQL a fast shutdown), then each is
# waited for up to its grace period and SIGKILLed if still there. Azurite
# logs "successfully closed" on SIGTERM but its node process lingers, so its
# grace is short.
grace_of() {
  case $1 in
    azurite) echo 2 ;;
    *) echo 10 ;;
  esac
}

cmd_stop() {
  local t0 name pid i
  t0=$(now_ms)
  [ -d "$PIDS" ] || { rm -f "$ENVFILE"; return 0; }
  local -A live=()
  for name in postgres mariadb azurite pubsub firestore; do
    pid=$(pidfile_pid "$name")
    if pid_alive "$pid"; then
      live[$name]=$pid
    else
      rm -f "$PIDS/$name.pid"
    fi
  done
  for name in "${!live[@]}"; do
    if [ "$name" = postgres ] && find_pg && [ -d "$DIR/pg/data" ]; then
      as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -m fast -W stop >/dev/null 2>&1 || kill -TERM "${live[$name]}" 2>/dev/null || true
    else
      kill -TERM "${live[$name]}" 2>/dev/null || true
    fi
  done
  for name in "${!live[@]}"; do
    pid=${live[$name]}
    local grace
    grace=$(grace_of "$name")
    # Deadlines count from the common SIGTERM.
    while pid_alive "$pid" && [ $(($(now_ms) - t0)) -lt $((grace * 1000)) ]; do
      sleep 0.1
    done
    if pid_alive "$pid"; then
      log "$name (pid $pid) still running ${grace}s after SIGTERM: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 20; i++)); do
        pid_alive "$pid" || break
        sleep 0.1
      done
      pid_alive "$pid" && warn "$name (pid $pid) survived SIGKILL"
    fi
    log "stopped $name (pid $pid)"
    rm -f "$PIDS/$name.pid"
  done
  rm -f "$ENVFILE"
  log "stop took $(($(now_ms) - t0)) ms"
}

ready_firestore() { http_answers "http://$HOST:$FIRESTORE_PORT/"; }
ready_pubsub() { http_answers "http://$HOST:$PUBSUB_PORT/"; }
ready_azurite() { http_answers "http://$HOST:$AZURITE_PORT/devstoreaccount1?comp=list"; }
ready_postgres() { pg_ready; }
ready_mariadb() { mariadb_ready; }
set_env_firestore() { ENV_OUT[FIRESTORE_EMULATOR_HOST]="$HOST:$FIRESTORE_PORT"; }
set_env_pubsub() { ENV_OUT[PUBSUB_EMULATOR_HOST]="$HOST:$PUBSUB_PORT"; }
set_env_azurite() { ENV_OUT[B2B_AZURITE_BLOB_URL]="http://$HOST:$AZURITE_PORT/devstoreaccount1"; }
set_env_postgres() { ENV_OUT[B2B_POSTGRES_DSN]="postgres://postgres@$HOST:$PG_PORT/postgres?sslmode=disable"; }
set_env_mariadb() { ENV_OUT[B2B_MARIADB_DSN]="root@tcp($HOST:$MARIADB_PORT)/"; }

# ------------------------------------------------------------ start
cmd_start() {
  local t0
  t0=$(now_ms)
  have curl || die "curl is required (run scripts/install-deps.sh)"
  cmd_stop 2>/dev/null || true
  mkdir -p "$LOGS" "$PIDS"
  chmod 755 "$ROOT/var" "$DIR" "$LOGS" 2>/dev/null || true

  # The JVMs and node take longest to come up: launch them first, then do
  # the databases while they boot.
  if want firestore || want pubsub; then
    if find_sdk; then
      want firestore && start_firestore
      want pubsub && start_pubsub
    else
      want firestore && missing firestore "gcloud is not installed (no offline Firestore emulator without it)"
      want pubsub && missing pubsub "gcloud is not installed"
    fi
  fi
  want azurite && start_azurite
  want postgres && start_postgres
  want mariadb && start_mariadb

  wait_all firestore pubsub azurite postgres mariadb

  local chromium=${B2B_CHROMIUM:-} c
  if [ -z "$chromium" ]; then
    for c in /usr/bin/chromium /usr/bin/chromium-browser; do
      [ -x "$c" ] && chromium=$c && break
    done
  fi
  if [ -n "$chromium" ]; then
    ENV_OUT[B2B_CHROMIUM]=$chromium
  elif want chromium; then
    missing chromium "no chromium binary (run scripts/install-deps.sh)"
  fi

  if [ ${#FAILED[@]} -gt 0 ]; then
    printf 'test-services: ERROR: %s\n' "${FAILED[@]}" >&2
    log "stopping what started"
    cmd_stop
    exit 1
  fi

  local tmp=$ENVFILE.tmp k
  {
    echo "# Written by scripts/test-services.sh start at $(date -u +%FT%TZ). Source it: set -a; . $ENVFILE; set +a"
    for k in $(printf '%s\n' "${!ENV_OUT[@]}" | sort); do
      printf "export %s='%s'\n" "$k" "${ENV_OUT[$k]}"
    done
    printf "export B2B_TEST_SERVICES_DIR='%s'\n" "$DIR"
  } >"$tmp"
  mv "$tmp" "$ENVFILE"

  for name in firestore pubsub azurite postgres mariadb; do
    [ -n "${READY_MS[$name]:-}" ] && log "$name ready in ${READY_MS[$name]} ms (pid $(pidfile_pid "$name"), log $LOGS/$name.log)"
  done
  log "all started in $(($(now_ms) - t0)) ms; environment in $ENVFILE"
}

cmd_status() {
  local name pid
  for name in firestore pubsub azurite postgres mariadb; do
    pid=$(pidfile_pid "$name")
    if pid_alive "$pid"; then
      printf '%-10s running  pid %s\n' "$name" "$pid"
    else
      printf '%-10s stopped\n' "$name"
    fi
  done
  [ -f "$ENVFILE" ] && cat "$ENVFILE"
  return 0
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  env)
    [ -f "$ENVFILE" ] || die "$ENVFILE not found: run scripts/test-services.sh start"
    cat "$ENVFILE"
    ;;
  status) cmd_status ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
