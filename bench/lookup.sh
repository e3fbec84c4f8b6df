#!/usr/bin/env bash
# The productByBarcode benchmark: a 10,000-variant catalog, 32 concurrent
# connections, wrk with every response body checked, and two ceilings
# measured in the same scenario: GET /healthz of the same server (a plain
# axum endpoint), and a bare async-graphql resolver answering the same
# query with the same response shape from a static value
# (examples/graphql_ceiling.rs). See BENCHMARKS.md.
#
# Usage: bench/lookup.sh [duration-seconds]    (needs wrk, python3, and for
# the PostgreSQL/Redis scenarios the services .ci/run uses)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${1:-20}"
PORT=18080
URL="http://127.0.0.1:$PORT"
SECRET="bench-secret-that-is-at-least-32-bytes-long"
PG_OWNER="postgres://postgres@127.0.0.1:5432"
PG_APP="postgres://pos_app@127.0.0.1:5432"
CEILING_URL="http://127.0.0.1:$((PORT + 1))"
WORK=$(mktemp -d)
trap 'kill "$SERVER" "${CEILING:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

# BENCH_BIN=<path> measures that binary instead of building this tree's
# (to compare two builds in one session).
if [ -n "${BENCH_BIN:-}" ]; then
  BIN="$BENCH_BIN"
else
  # The profile that ships (Cargo.toml, `dist`).
  cargo build --profile dist --quiet
  BIN="${CARGO_TARGET_DIR:-target}/dist/pos"
  [ -x "$BIN" ] || BIN="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/dist/pos"
fi

# The async-graphql ceiling, built from this tree unless BENCH_CEILING
# names a binary.
if [ -n "${BENCH_CEILING:-}" ]; then
  CEILING_BIN="$BENCH_CEILING"
else
  cargo build --profile dist --quiet --example graphql_ceiling
  CEILING_BIN="$(dirname "$BIN")/examples/graphql_ceiling"
fi
"$CEILING_BIN" "127.0.0.1:$((PORT + 1))" &
CEILING=$!

results=()
cpu=()

wrk_run() { # script url [connections] -> "rps p50 p99 checked-line"
  local out conns=${3:-32} threads=2
  [ "$conns" -lt 2 ] && threads=1
  out=$(BENCH_TOKEN="$TOKEN" BENCH_LOCATION="$LOCATION" BENCH_BARCODES="$WORK/barcodes" BENCH_THREADS="$threads" \
    wrk -t"$threads" -c"$conns" -d"${DURATION}s" --latency -s "$1" "$2")
  local rps p50 p99 checked
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  # A sequential run stops when its list ends: its own clock gives the rate.
  if grep -q '^sequential rate' <<<"$out"; then rps=$(awk '/^sequential rate/ {print $3}' <<<"$out"); fi
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  checked=$(grep '^checked' <<<"$out")
  echo "$rps|$p50|$p99|$checked"
}

scenario() { # name db-url migrate-url redis-url cache-capacity [first-scans]
  local name=$1 db=$2 migrate=$3 redis=$4 capacity=$5 first_scans=${6:-}
  if [ -n "${BENCH_ONLY:-}" ] && ! grep -qE "$BENCH_ONLY" <<<"$name"; then return; fi
  echo "== $name" >&2
  local redis_env=()
  [ -n "$redis" ] && redis_env=(POS_REDIS_URL="$redis")
  # One tenant asks tens of thousands of times a second, so its rate limit
  # (500/s by default) is off: this measures the lookup, not the limiter.
  env -u POS_REDIS_URL POS_RATE_LIMIT_TENANT_RPS=0 POS_LISTEN="127.0.0.1:$PORT" POS_LOG=warn POS_JWT_SECRET="$SECRET" \
    POS_DATABASE_URL="$db" POS_MIGRATE_DATABASE_URL="$migrate" "${redis_env[@]}" \
    POS_CACHE_CAPACITY="$capacity" ${BENCH_DB_CONNECTIONS:+POS_DB_MAX_CONNECTIONS=$BENCH_DB_CONNECTIONS} "$BIN" serve >"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do curl -sf "$URL/readyz" >/dev/null && break; sleep 0.1; done
  local tenant
  tenant=$(POS_DATABASE_URL="$db" POS_MIGRATE_DATABASE_URL="$migrate" "$BIN" tenant create "Bench" --currency EUR)
  TOKEN=$(POS_DATABASE_URL="$db" POS_MIGRATE_DATABASE_URL="$migrate" POS_JWT_SECRET="$SECRET" "$BIN" token --tenant "$tenant" --sub bench --role OWNER --ttl 2h)
  LOCATION=$(python3 bench/seed.py --url "$URL/graphql" --token "$TOKEN" --variants 10000 --barcodes "$WORK/barcodes")
  # Let PostgreSQL write out the seed so its checkpoint does not land
  # mid-run.
  if [[ "$db" == postgres* ]]; then psql "$PG_OWNER/postgres" -qc CHECKPOINT; fi
  if [ -n "$first_scans" ]; then
    # Restart for empty caches. Warm the connection pool and its prepared
    # statements on the first 1,000 barcodes, then ask each of the other
    # 9,000 once, in order: each wrk thread stops at the end of its share
    # of the list (or after 10 s), so every measured lookup misses the
    # cache however fast the run; the bodies count shows how many there
    # were.
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
    env -u POS_REDIS_URL POS_RATE_LIMIT_TENANT_RPS=0 POS_LISTEN="127.0.0.1:$PORT" POS_LOG=warn POS_JWT_SECRET="$SECRET" \
      POS_DATABASE_URL="$db" POS_MIGRATE_DATABASE_URL="$migrate" "${redis_env[@]}" \
      POS_CACHE_CAPACITY="$capacity" ${BENCH_DB_CONNECTIONS:+POS_DB_MAX_CONNECTIONS=$BENCH_DB_CONNECTIONS} "$BIN" serve >"$WORK/server.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 1 100); do curl -sf "$URL/readyz" >/dev/null && break; sleep 0.1; done
    BENCH_TOKEN="$TOKEN" BENCH_LOCATION="$LOCATION" BENCH_BARCODES="$WORK/barcodes" BENCH_SEQUENTIAL=1 \
      BENCH_LIMIT=1000 wrk -t2 -c32 -d1s -s bench/lookup.lua "$URL/graphql" >/dev/null
    local first
    first=$(BENCH_SEQUENTIAL=1 BENCH_OFFSET=1000 DURATION=10 wrk_run bench/lookup.lua "$URL/graphql")
    kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
    IFS='|' read -r f_rps f_p50 f_p99 f_checked <<<"$first"
    results+=("| $name | $f_rps | $f_p50 | $f_p99 | - | - | - | - | - | - | $f_checked |")
    cpu+=("- $name: (not sampled: a run of a few seconds)")
    return
  fi
  # Warm-up (also fills the caches in the warm scenarios).
  BENCH_TOKEN="$TOKEN" BENCH_LOCATION="$LOCATION" BENCH_BARCODES="$WORK/barcodes" \
    wrk -t2 -c32 -d5s -s bench/lookup.lua "$URL/graphql" >/dev/null
  # Where the CPU goes mid-run (server, PostgreSQL, Redis, wrk).
  ( sleep $((DURATION / 2)); top -b -n 2 -d 2 | awk '/^top -/{n++} n==2 && $1 ~ /^[0-9]+$/ {cpu[$12]+=$9} END {for (c in cpu) if (cpu[c] >= 1) printf "%s %.0f%%  ", c, cpu[c]; print ""}' >"$WORK/cpu" ) &
  local lookup health single=""
  lookup=$(wrk_run bench/lookup.lua "$URL/graphql")
  health=$(wrk_run bench/health.lua "$URL/healthz")
  ceiling=$(wrk_run bench/lookup.lua "$CEILING_URL/graphql")
  # One connection: the latency of a lookup without queueing behind others.
  single=$(wrk_run bench/lookup.lua "$URL/graphql" 1)
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
  IFS='|' read -r l_rps l_p50 l_p99 l_checked <<<"$lookup"
  IFS='|' read -r h_rps h_p50 h_p99 _ <<<"$health"
  IFS='|' read -r s_rps s_p50 s_p99 _ <<<"$single"
  IFS='|' read -r c_rps _ c_p99 _ <<<"$ceiling"
  local ratio to_ceiling
  ratio=$(python3 -c "print(f'{100 * $l_rps / $h_rps:.0f}%')")
  to_ceiling=$(python3 -c "print(f'{$l_rps / $c_rps:.2f}')")
  results+=("| $name | $l_rps | $l_p50 | $l_p99 | $h_rps | $h_p99 | $ratio | $c_rps | $to_ceiling | $s_p50 / $s_p99 | $l_checked |")
  cpu+=("- $name: $(cat "$WORK/cpu" 2>/dev/null)")
}

fresh_pg() {
  psql "$PG_OWNER/postgres" -qc "DROP DATABASE IF EXISTS pos_bench WITH (FORCE)" -qc "CREATE DATABASE pos_bench" >/dev/null
}

scenario "warm, SQLite, L1 only" "sqlite://$WORK/a.db?mode=rwc" "sqlite://$WORK/a.db?mode=rwc" "" 100000
scenario "warm, SQLite, L1 + Redis" "sqlite://$WORK/b.db?mode=rwc" "sqlite://$WORK/b.db?mode=rwc" "redis://127.0.0.1:6379" 100000
scenario "Redis only (L1 off), SQLite" "sqlite://$WORK/c.db?mode=rwc" "sqlite://$WORK/c.db?mode=rwc" "redis://127.0.0.1:6379" 0
scenario "cold (no cache), SQLite" "sqlite://$WORK/d.db?mode=rwc" "sqlite://$WORK/d.db?mode=rwc" "" 0
fresh_pg
scenario "warm, PostgreSQL, L1 + Redis" "$PG_APP/pos_bench" "$PG_OWNER/pos_bench" "redis://127.0.0.1:6379" 100000
fresh_pg
scenario "cold (no cache), PostgreSQL" "$PG_APP/pos_bench" "$PG_OWNER/pos_bench" "" 0
# The driver uses TLS when the server offers it (sslmode=prefer, the
# default), as this machine's PostgreSQL does; on loopback that only costs
# CPU on both sides.
fresh_pg
scenario "cold (no cache), PostgreSQL, no TLS" "$PG_APP/pos_bench?sslmode=disable" "$PG_OWNER/pos_bench" "" 0
# PostgreSQL on the same host through its Unix socket: no TCP, no TLS.
fresh_pg
scenario "cold (no cache), PostgreSQL, Unix socket" "postgres://pos_app@localhost/pos_bench?host=/var/run/postgresql" "$PG_OWNER/pos_bench" "" 0
fresh_pg
scenario "first scans (empty caches), PostgreSQL" "$PG_APP/pos_bench" "$PG_OWNER/pos_bench" "" 100000 first

echo
echo "| scenario | lookup req/s | lookup p50 | lookup p99 | /healthz req/s | /healthz p99 | lookup / healthz | async-graphql ceiling req/s | lookup / ceiling | 1 connection p50 / p99 | bodies (32 connections) |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${results[@]}"
echo
echo "CPU by process during the 32-connection lookup run (200% = both cores):"
printf '%s\n' "${cpu[@]}"
