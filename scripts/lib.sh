# Shared by the reliability scripts: start, stop and kill `pos` servers on
# their own ports and data, a fresh database per run, and the simulator.
# Sourced, not run.

BIN_DIR=${BIN_DIR:?set BIN_DIR to the directory holding pos and pos-sim}
POS="$BIN_DIR/pos"
SIM="$BIN_DIR/pos-sim"
BACKEND=${BACKEND:-sqlite}
PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
WORK=$(mktemp -d)
declare -A SERVER_PID=()
SIM_PID=

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*"; }

# Scripts may define more to undo.
extra_cleanup() { :; }

cleanup() {
  extra_cleanup
  for port in "${!SERVER_PID[@]}"; do
    { kill -9 "${SERVER_PID[$port]}" && wait "${SERVER_PID[$port]}"; } 2>/dev/null || true
  done
  if [ -n "$SIM_PID" ]; then { kill -9 "$SIM_PID" && wait "$SIM_PID"; } 2>/dev/null || true; fi
  if [ "$BACKEND" = postgres ] && [ -n "${PG_DB:-}" ]; then
    psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  if [ "${KEEP_WORK:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# The database every server and operator command of this run shares.
setup_backend() {
  export POS_RATE_LIMIT_TERMINAL_RPS=0 POS_RATE_LIMIT_TENANT_RPS=0 POS_LOG=${POS_LOG:-warn}
  if [ "$BACKEND" = postgres ]; then
    PG_DB="pos_rel_$$"
    psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -qc "CREATE DATABASE $PG_DB" >/dev/null
    export POS_DATABASE_URL="postgres://pos_app@$PG_HOST:$PG_PORT/$PG_DB"
    export POS_MIGRATE_DATABASE_URL="postgres://postgres@$PG_HOST:$PG_PORT/$PG_DB"
    export POS_REDIS_URL=${POS_REDIS_URL:-redis://127.0.0.1:6379}
  else
    export POS_DATABASE_URL="sqlite://$WORK/pos.db?mode=rwc"
    unset POS_MIGRATE_DATABASE_URL
  fi
  "$POS" migrate up >/dev/null
}

# start_server PORT: starts a server and waits until /readyz answers 200.
start_server() {
  local port=$1
  POS_LISTEN="127.0.0.1:$port" "$POS" serve >>"$WORK/server-$port.log" 2>&1 &
  SERVER_PID[$port]=$!
  for _ in $(seq 1 200); do
    if curl -fs -o /dev/null "http://127.0.0.1:$port/readyz"; then return 0; fi
    kill -0 "${SERVER_PID[$port]}" 2>/dev/null || { tail -20 "$WORK/server-$port.log"; return 1; }
    sleep 0.05
  done
  log "server on $port not ready after 10 s"; tail -20 "$WORK/server-$port.log"; return 1
}

kill_server() { # kill_server PORT SIGNAL
  kill "-$2" "${SERVER_PID[$1]}" 2>/dev/null || true
  wait "${SERVER_PID[$1]}" 2>/dev/null || true
}

# start_sim URLS ARGS...: the simulator in the background, its output in
# $WORK/sim.log; returns once its terminals are selling.
start_sim() {
  local urls=$1; shift
  "$SIM" --url "$urls" --pos-bin "$POS" "$@" >"$WORK/sim.log" 2>&1 &
  SIM_PID=$!
  for _ in $(seq 1 600); do
    grep -q '^sim: selling' "$WORK/sim.log" && return 0
    kill -0 "$SIM_PID" 2>/dev/null || { cat "$WORK/sim.log"; return 1; }
    sleep 0.1
  done
  cat "$WORK/sim.log"; return 1
}

sim_running() { kill -0 "$SIM_PID" 2>/dev/null; }

# finish_sim: waits for the simulator's verdict and prints its summary.
finish_sim() {
  local rc=0
  wait "$SIM_PID" || rc=$?
  SIM_PID=
  grep -v '^sim: *[0-9]* s:' "$WORK/sim.log" | grep -v PROBLEM | tail -12
  grep -c PROBLEM "$WORK/sim.log" >/dev/null && grep PROBLEM "$WORK/sim.log" | head -5
  return $rc
}

# answered_pushes / unanswered_pushes: from the last simulator run's log.
answered_pushes() {
  sed -n 's/^sim: \(first\|after the first\) [0-9]* s: \([0-9]*\) pushes answered.*/\2/p' "$WORK/sim.log" |
    awk '{ n += $1 } END { print n + 0 }'
}
unanswered_pushes() {
  sed -n 's/^sim: failed pushes by answer: .* \([0-9]*\) with no answer$/\1/p' "$WORK/sim.log" |
    awk '{ n += $1 } END { print n + 0 }'
}

# check_fleet_server PORT ANSWERED UNANSWERED: after fleet runs on the
# private cluster (OWN_PG_PORT), calls fail (set by the caller) when the
# breaker opened, PostgreSQL saw a BEGIN inside a transaction, an audit
# entry could not be written, or the syncPush entries with outcome OK do
# not equal the ANSWERED pushes (at most UNANSWERED more: pushes that
# committed but whose answer was lost).
check_fleet_server() {
  local port=$1 answered=$2 lost=$3 audited
  if grep -q "the database is unreachable" "$WORK/server-$port.log"; then
    fail "the breaker opened: $(grep -m1 'the database is unreachable' "$WORK/server-$port.log")"
  fi
  if grep -q "there is already a transaction in progress" "$WORK/pg/log"; then
    fail "PostgreSQL saw a BEGIN inside a transaction ($(grep -c 'there is already a transaction in progress' "$WORK/pg/log") times)"
  fi
  if grep -q "could not write the audit entry" "$WORK/server-$port.log"; then
    fail "$(grep -c 'could not write the audit entry' "$WORK/server-$port.log") audit entries were not written"
  fi
  audited=$(psql -h 127.0.0.1 -p "$OWN_PG_PORT" -U postgres -d "$PG_DB" -Atc \
    "SELECT count(*) FROM audit_log WHERE operation = 'syncPush' AND outcome = 'OK'")
  log "audit: $audited syncPush entries with outcome OK, $answered pushes answered, $lost without an answer"
  if [ "$audited" -lt "$answered" ] || [ "$audited" -gt $((answered + lost)) ]; then
    fail "syncPush audit entries ($audited) do not match the answered pushes ($answered, +$lost unanswered)"
  fi
}

# A random number of milliseconds in [lo, hi), as seconds for sleep.
pause_between() { awk -v lo="$1" -v hi="$2" -v r="$RANDOM" 'BEGIN { printf "%.3f", (lo + (hi - lo) * r / 32768) / 1000 }'; }

# A private PostgreSQL cluster and Redis, for runs that stop them or load
# them past what a shared one should take. Set OWN_PG_PORT and
# OWN_REDIS_PORT first; needs PostgreSQL's server binaries (initdb,
# pg_ctl), redis-server, and root (the cluster runs as the postgres user).
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
as_postgres() { setpriv --reuid postgres --regid postgres --clear-groups "$@"; }

own_pg_start() {
  as_postgres "$PGBIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w -s \
    -o "-p $OWN_PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1" start
}
own_pg_stop() { as_postgres "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m fast -w -s stop; }
own_pg() {
  mkdir -p "$WORK/pg" && chown postgres "$WORK" "$WORK/pg"
  as_postgres "$PGBIN/initdb" -D "$WORK/pg/data" -A trust -U postgres >/dev/null
  own_pg_start
  for sql in "CREATE ROLE pos_rw NOLOGIN" "CREATE ROLE pos_app LOGIN NOSUPERUSER NOBYPASSRLS" "GRANT pos_rw TO pos_app"; do
    psql -h 127.0.0.1 -p "$OWN_PG_PORT" -U postgres -d postgres -qc "$sql"
  done
  PG_PORT=$OWN_PG_PORT
}

own_redis_start() {
  redis-server --bind 127.0.0.1 --port "$OWN_REDIS_PORT" --save "" --appendonly no \
    --daemonize yes --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log"
  for _ in $(seq 1 50); do redis-cli -p "$OWN_REDIS_PORT" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}
own_redis_stop() { redis-cli -p "$OWN_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; }
