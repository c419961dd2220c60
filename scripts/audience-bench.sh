#!/usr/bin/env bash
# The audience scenario of issue 14, short: one room of 8 players and N audience members (default
# 5,000) play a few rounds against a release build; prints the players' vote→update and the
# audience's vote→vote_totals latencies. Accounts are kept in target/audience-accounts.txt and
# reused (registering 5,000 accounts is a few minutes of password hashing, done once).
#   BENCH_DATABASE_URL=postgres://…/voting_game_bench scripts/audience-bench.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
audience=${1:-5000}
export DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/voting_game_bench}
port=${BENCH_PORT:-8134}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
cargo build --release --locked --bin voting-game --bin loadgen
env REDIS_PREFIX="bench-audience:$(date +%s%N):" PORT="$port" HOST=127.0.0.1 RUST_LOG=warn \
  RATE_LIMIT_API_PER_SECOND=1000000 RATE_LIMIT_AUTH_PER_MINUTE=1000000 \
  RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE=1000000 RATE_LIMIT_JOINS_PER_MINUTE=1000000 \
  RATE_LIMIT_SOCKET_EVENTS_PER_SECOND=1000000 MAX_SOCKETS_PER_USER=0 MAX_SOCKETS_PER_IP=0 \
  RATE_LIMIT_POLLS_PER_ACCOUNT_PER_MINUTE=1000000 RATE_LIMIT_ACCOUNT_WRITES_PER_MINUTE=1000000 \
  OPENAI_API_KEY= "${CARGO_TARGET_DIR:-target}"/release/voting-game >target/audience-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
  sleep 0.1
done
"${CARGO_TARGET_DIR:-target}"/release/loadgen --server "127.0.0.1:$port" --server-pid "$server" \
  --rooms 1 --players 8 --audience "$audience" --rounds 3 --vote-spread-ms 1000 \
  --sources 8 --connect-concurrency 64 --accounts target/audience-accounts.txt \
  --scenario audience --json target/audience.json
