#!/usr/bin/env bash
# The hot-poll benchmark (issue 23): one poll watched by 5,000 anonymous sockets and voted on
# by 200 signed-in sockets at each asked rate, a fresh release server per rate (own Redis
# prefix, rate limits raised: the generator is one IP), and the CPU time of the server,
# Postgres and Redis per vote (`--cpu`; Postgres and Redis are the machine's shared ones, so
# anyone else's work on them counts too).
#
#   scripts/poll-bench.sh LABEL RATE...     e.g. scripts/poll-bench.sh after 2000 3000 4000
#
# Environment: POLL_BENCH_BIN (default target/release/voting-game, built by this script when
# it is the default), BENCH_DATABASE_URL, POLL_BENCH_OUT (default
# bench/results/<date>/hot-poll), POLL_BENCH_SECONDS (10), POLL_BENCH_SUBSCRIBERS (5000),
# POLL_BENCH_COLD (1000), BENCH_PORT (8100).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/services.sh
source scripts/services.sh
export DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/voting_game_bench}
ensure_services
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
label=${1:?label}; shift
[[ $# -gt 0 ]] || { echo "name at least one rate" >&2; exit 2; }
target=${CARGO_TARGET_DIR:-target}
bin=${POLL_BENCH_BIN:-}
if [[ -z $bin ]]; then
  cargo build --release --locked --bin voting-game --bin loadgen
  bin=$target/release/voting-game
fi
out=${POLL_BENCH_OUT:-bench/results/$(date -u +%Y-%m-%d)/hot-poll}
mkdir -p "$out"
port=${BENCH_PORT:-8100}
accounts=$target/poll-bench-accounts.txt
server_pid=
stop_server() {
  [[ -n $server_pid ]] || return 0
  kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true
  server_pid=
}
trap stop_server EXIT
pg_pid=$(head -1 "$(psql "$DATABASE_URL" -Atc 'show data_directory')/postmaster.pid" 2>/dev/null || true)
redis_pid=$(redis-cli info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p')
for rate in "$@"; do
  psql "$DATABASE_URL" -qc "VACUUM ANALYZE" >/dev/null 2>&1 || true
  sleep 2
  env REDIS_PREFIX="pollbench:$(date +%s%N):" PORT="$port" HOST=127.0.0.1 RUST_LOG=warn \
    RATE_LIMIT_API_PER_SECOND=1000000 RATE_LIMIT_AUTH_PER_MINUTE=1000000 \
    RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE=1000000 RATE_LIMIT_JOINS_PER_MINUTE=1000000 \
    RATE_LIMIT_SOCKET_EVENTS_PER_SECOND=1000000 MAX_SOCKETS_PER_USER=0 MAX_SOCKETS_PER_IP=0 \
    RATE_LIMIT_POLLS_PER_ACCOUNT_PER_MINUTE=1000000 RATE_LIMIT_ACCOUNT_WRITES_PER_MINUTE=1000000 \
    OPENAI_API_KEY= "$bin" >>"$out/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
    sleep 0.1
  done
  cpu=(--cpu "server=$server_pid")
  [[ -z $pg_pid ]] || cpu+=(--cpu "postgres=$pg_pid")
  [[ -z $redis_pid ]] || cpu+=(--cpu "redis=$redis_pid")
  echo "== $label at $rate votes/s ($(uptime | sed 's/.*load average/load average/'))"
  "$target/release/loadgen" --server "127.0.0.1:$port" --server-pid "$server_pid" \
    --accounts "$accounts" --rooms 1 --players 200 --scenario polls \
    --poll-subscribers "${POLL_BENCH_SUBSCRIBERS:-5000}" --poll-rate "$rate" \
    --poll-seconds "${POLL_BENCH_SECONDS:-10}" --cold-polls "${POLL_BENCH_COLD:-1000}" \
    --connect-concurrency 64 "${cpu[@]}" --json "$out/$label-$rate.json" >/dev/null \
    || echo "(reported errors)"
  python3 - "$out/$label-$rate.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = r.get("cpu", {})
us = lambda k: (c.get(k) or {}).get("us_per_vote")
f = lambda v: "-" if v is None else f"{v:.0f}"
print(f"  {r['votes_per_s']:.0f} votes/s, ack p50 {r['ack_p50_ms']:.1f} p99 {r['ack_p99_ms']:.1f} max {r['ack_max_ms']:.1f} ms, "
      f"exact {r['subscribers_exact']}/{r['subscribers']} after {r['all_exact_after_last_ack_ms']:.0f} ms, errors {r['errors']}; "
      f"µs/vote server {f(us('server'))} postgres {f(us('postgres'))} redis {f(us('redis'))} loadgen {f(us('loadgen'))} others {f(us('others'))}")
PY
  stop_server
done
