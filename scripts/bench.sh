#!/usr/bin/env bash
# Benchmarks a release build on this machine: starts the server (its own database and Redis
# prefix, rate limits raised: the generator is one IP), runs the load generator's scenarios,
# and writes bench/results/<date>/*.json plus a summary table.
#   scripts/bench.sh            all scenarios
#   scripts/bench.sh smoke      a few rooms for a few seconds
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/services.sh
source scripts/services.sh
export DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/voting_game_bench}
ensure_services
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

cargo build --release --locked --bin voting-game --bin loadgen
out="bench/results/$(date -u +%Y-%m-%d)"
mkdir -p "$out"
port=${BENCH_PORT:-8100}

start_server() {
  REDIS_PREFIX="bench:$(date +%s%N):" PORT=$port HOST=127.0.0.1 RUST_LOG=warn \
  RATE_LIMIT_API_PER_SECOND=1000000 RATE_LIMIT_AUTH_PER_MINUTE=1000000 \
  RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE=1000000 RATE_LIMIT_JOINS_PER_MINUTE=1000000 \
  RATE_LIMIT_SOCKET_EVENTS_PER_SECOND=1000000 OPENAI_API_KEY='' \
    target/release/voting-game >"$out/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server did not start" >&2; return 1
}
stop_server() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
trap stop_server EXIT

run() { # name, loadgen args…
  local name=$1; shift
  echo "== $name"
  start_server
  target/release/loadgen --server "127.0.0.1:$port" --server-pid "$server_pid" \
    --scenario "$name" --json "$out/$name.json" "$@" || echo "($name reported errors)"
  stop_server
}

if [[ ${1:-all} == smoke ]]; then
  run smoke --rooms 3 --players 4 --rounds 2
  exit 0
fi
run full-rounds --rooms 250 --players 8 --rounds 3 --vote-spread-ms 1000 --sources 4
run vote-storm  --rooms 250 --players 8 --rounds 3 --vote-spread-ms 100 --sources 4
run idle        --rooms 250 --players 8 --idle-hold 5 --sources 4

# Ramp to the knee: more rooms voting within the same 1 s window each round, until the
# vote→update p99 passes 50 ms. Reports the highest offered rate that stayed under it.
knee=none
for rooms in 10 20 40 80 160; do
  run "ramp-$rooms" --rooms "$rooms" --players 8 --rounds 4 --vote-spread-ms 1000
  p99=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['vote_to_update']['p99_ms'])" "$out/ramp-$rooms.json")
  echo "ramp: $((rooms * 8)) votes offered per 1 s window → p99 ${p99} ms"
  if python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= 50 else 1)" "$p99"; then
    knee="$((rooms * 8)) votes/s (p99 ${p99} ms at ${rooms} rooms)"
  else
    break
  fi
done
echo "knee: highest offered vote rate with p99 ≤ 50 ms: $knee" | tee "$out/knee.txt"
echo "reports in $out"
