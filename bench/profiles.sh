#!/usr/bin/env bash
# Build profiles, A/B: the same tree built with `release` (what a
# developer's `cargo run --release` builds: no LTO, 16 codegen units) and
# with `dist` (what ships and what the other benchmarks measure: thin LTO,
# 4 codegen units), measured in one run, interleaved:
#   - lookups: bench/lookup.sh's "warm, SQLite, L1 only" scenario (wrk,
#     32 connections) with each binary;
#   - pushes: pos-sim against each binary on SQLite, 16 terminals pushing
#     one sale at a time back to back (as scripts/overload-test's unloaded
#     phase), completed pushes per second after the first 10 s.
# ROUNDS rounds, alternating A and B, so drift on this shared machine
# lands on both. Prints each round and the median ratio dist / release.
#
#   bench/profiles.sh [rounds]    (builds both profiles unless
#                                  RELEASE_DIR / DIST_DIR name their folders)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
PUSH_SECS=${PUSH_SECS:-30}
TARGET=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
if [ -z "${RELEASE_DIR:-}" ]; then
  cargo build --release --quiet -p pos -p pos-sim
  RELEASE_DIR="$TARGET/release"
fi
if [ -z "${DIST_DIR:-}" ]; then
  cargo build --profile dist --quiet -p pos -p pos-sim
  DIST_DIR="$TARGET/dist"
fi
CEILING="$DIST_DIR/examples/graphql_ceiling"
[ -x "$CEILING" ] || { cargo build --profile dist --quiet --example graphql_ceiling; CEILING="$TARGET/dist/examples/graphql_ceiling"; }
SIM="$DIST_DIR/pos-sim"
WORK=$(mktemp -d)
trap 'kill "${SERVER:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

lookup() { # bin -> req/s
  BENCH_BIN="$1" BENCH_CEILING="$CEILING" BENCH_ONLY="warm, SQLite, L1 only" bench/lookup.sh 15 2>/dev/null |
    awk -F'|' '/^\| warm, SQLite, L1 only/ {gsub(/ /, "", $3); print $3}'
}

push() { # bin -> pushes/s
  local bin=$1 port=18830 db="$WORK/push-$RANDOM.db"
  env -u POS_REDIS_URL -u POS_MIGRATE_DATABASE_URL POS_DATABASE_URL="sqlite://$db?mode=rwc" POS_LOG=warn \
    POS_RATE_LIMIT_TERMINAL_RPS=0 POS_RATE_LIMIT_TENANT_RPS=0 POS_LISTEN="127.0.0.1:$port" "$bin" serve >"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  env -u POS_REDIS_URL -u POS_MIGRATE_DATABASE_URL POS_DATABASE_URL="sqlite://$db?mode=rwc" \
    "$SIM" --url "http://127.0.0.1:$port" --pos-bin "$bin" --tenants 2 --locations 2 --terminals 4 \
    --variants 20 --sales 100000 --duration-secs "$PUSH_SECS" --pace-ms 1 --batch 1 --phase-secs 10 \
    --offline 0 --chaos 0 --lookups 0 --drain-secs 60 --timeout-secs 30 --seed 7 >"$WORK/sim.log" 2>&1 || true
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
  sed -n 's/^sim: steady .*: \([0-9.]*\) pushes answered per second.*/\1/p' "$WORK/sim.log"
}

echo "| round | lookup release | lookup dist | dist / release | push release | push dist | dist / release |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
lookups=() pushes=()
for round in $(seq 1 "$ROUNDS"); do
  lr=$(lookup "$RELEASE_DIR/pos"); ld=$(lookup "$DIST_DIR/pos")
  pr=$(push "$RELEASE_DIR/pos"); pd=$(push "$DIST_DIR/pos")
  l=$(python3 -c "print(f'{$ld / $lr:.2f}')"); p=$(python3 -c "print(f'{$pd / $pr:.2f}')")
  lookups+=("$l"); pushes+=("$p")
  echo "| $round | $lr | $ld | $l | $pr | $pd | $p |"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo
echo "median dist / release: lookups $(median "${lookups[@]}"), pushes $(median "${pushes[@]}")"
