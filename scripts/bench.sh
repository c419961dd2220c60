#!/usr/bin/env bash
# Benchmarks a release build on this machine: starts the server (its own database and Redis
# prefix, rate limits raised: the generator is one IP), runs the load generator's scenarios,
# and writes bench/results/<date>/*.json plus summary.md (the table in docs/benchmarks.md).
#   scripts/bench.sh            all scenarios (about 10 minutes; the first run also registers
#                               19,000 players, a few minutes of password hashing)
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
ai_port=${BENCH_AI_PORT:-8201}
# Players' tokens, reused for 20 h: registering is password hashing, not what is measured.
accounts=target/bench-accounts.txt
server_pid=
ai_pid=

start_server() { # extra environment assignments…
  env REDIS_PREFIX="bench:$(date +%s%N):" PORT="$port" HOST=127.0.0.1 RUST_LOG=warn \
    RATE_LIMIT_API_PER_SECOND=1000000 RATE_LIMIT_AUTH_PER_MINUTE=1000000 \
    RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE=1000000 RATE_LIMIT_JOINS_PER_MINUTE=1000000 \
    RATE_LIMIT_SOCKET_EVENTS_PER_SECOND=1000000 MAX_SOCKETS_PER_USER=0 MAX_SOCKETS_PER_IP=0 \
    RATE_LIMIT_POLLS_PER_ACCOUNT_PER_MINUTE=1000000 RATE_LIMIT_ACCOUNT_WRITES_PER_MINUTE=1000000 \
    OPENAI_API_KEY= "$@" \
    "${CARGO_TARGET_DIR:-target}"/release/voting-game >>"$out/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server did not start" >&2; return 1
}
stop_server() {
  [[ -n $server_pid ]] || return 0
  kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true
  server_pid=
}
cleanup() { stop_server; [[ -z $ai_pid ]] || kill "$ai_pid" 2>/dev/null || true; }
trap cleanup EXIT

run() { # name, [server env assignments…] --, loadgen args…
  local name=$1; shift
  local env=()
  while [[ $# -gt 0 && $1 != -- ]]; do env+=("$1"); shift; done
  [[ ${1:-} == -- ]] && shift
  echo "== $name"
  start_server "${env[@]}"
  "${CARGO_TARGET_DIR:-target}"/release/loadgen --server "127.0.0.1:$port" --server-pid "$server_pid" \
    --accounts "$accounts" --scenario "$name" --json "$out/$name.json" "$@" \
    || echo "($name reported errors)"
  stop_server
  settle
}

# Between scenarios: let Postgres clean up after the last one (autovacuum starting in the
# middle of the next scenario showed up as a tail-latency spike) and the machine go idle.
settle() {
  psql "$DATABASE_URL" -qc "VACUUM ANALYZE" >/dev/null 2>&1 || true
  sleep 2
}

if [[ ${1:-all} == smoke ]]; then
  run smoke -- --rooms 3 --players 4 --rounds 2
  exit 0
fi
: >"$out/server.log"
rm -f "$out"/*.json "$out/knee.txt" "$out/summary.md"
settle
common=(--players 8 --sources 4 --connect-concurrency 64)

# Idle capacity first: it also registers (once) every player the other scenarios reuse.
run idle -- --rooms 2375 --players 8 --idle-hold 10 --sources 8 --connect-concurrency 64
# Every room in lockstep: 2,000 answers at once, then 2,000 votes within one second.
run full-rounds -- --rooms 250 "${common[@]}" --rounds 3 --vote-spread-ms 1000
# Rooms started at random over 3 s, so that votes arrive at a steady rate.
run sustained -- --rooms 250 "${common[@]}" --rounds 8 --vote-spread-ms 1000 --stagger-ms 3000
run vote-storm -- --rooms 250 "${common[@]}" --rounds 3 --vote-spread-ms 100
# The AI takes 5 s per question; rounds must start from the bank meanwhile.
python3 bench/slow_openai.py "$ai_port" 5 >/dev/null 2>&1 &
ai_pid=$!
run slow-ai OPENAI_API_KEY=sk-bench "OPENAI_BASE_URL=http://127.0.0.1:$ai_port/v1" -- \
  --rooms 250 "${common[@]}" --rounds 4 --vote-spread-ms 1000 --stagger-ms 3000
kill "$ai_pid" 2>/dev/null || true; ai_pid=

# Ramp to the knee: more staggered rooms, each playing 8 rounds, until the vote→update p99
# passes 50 ms in two steps running (one step over it can be a hiccup of this shared machine;
# every step is in the table). Reports the highest measured vote rate below the first step over.
knee=none
over=0
for rooms in 50 100 150 200 250 300 400; do
  run "ramp-$rooms" -- --rooms "$rooms" "${common[@]}" --rounds 8 --vote-spread-ms 1000 --stagger-ms 3000
  read -r rate p99 < <(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(round(r['votes_per_s']), r['vote_to_update']['p99_ms'])" "$out/ramp-$rooms.json")
  echo "ramp: $rooms rooms → $rate votes/s, p99 $p99 ms"
  if python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= 50 else 1)" "$p99"; then
    [[ $over -gt 0 ]] || knee="$rate votes/s (p99 $p99 ms at $rooms rooms)"
  else
    over=$((over + 1))
    [[ $over -lt 2 ]] || break
  fi
done
echo "knee: highest measured vote rate with p99 ≤ 50 ms: $knee" | tee "$out/knee.txt"

python3 - "$out" <<'PY' | tee "$out/summary.md"
import json, os, platform, sys
out = sys.argv[1]
def load(name):
    p = os.path.join(out, name + ".json")
    return json.load(open(p)) if os.path.exists(p) else None
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"Machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}; date {os.path.basename(out)}\n")
print("| scenario | conns | votes/s | updates/s | vote→update p50 / p99 / p99.9 ms | round start p99 ms | connect/s, p99 ms | RSS/conn KB | lost / dup / errors |")
print("|---|---|---|---|---|---|---|---|---|")
names = ["idle", "full-rounds", "sustained", "vote-storm", "slow-ai"] + sorted(
    (f[:-5] for f in os.listdir(out) if f.startswith("ramp-") and f.endswith(".json")),
    key=lambda n: int(n.split("-")[1]))
for n in names:
    r = load(n)
    if not r:
        continue
    v, rs, c = r["vote_to_update"], r["round_start"], r["connect"]
    lat = f"{v['p50_ms']:.1f} / {v['p99_ms']:.1f} / {v['p999_ms']:.1f}" if r["votes"] else "–"
    start = f"{rs['p99_ms']:.1f}" if rs["count"] else "–"
    print(f"| {n} | {r['connections']} | {r['votes_per_s']:.0f} | {r['updates_per_s']:.0f} | {lat} | {start} "
          f"| {r['connects_per_s']:.0f}, {c['p99_ms']:.1f} | {r['server_rss_kb_per_connection']:.1f} "
          f"| {r['lost_updates']} / {r['duplicated_updates']} / {r['errors']} |")
PY
echo "reports in $out"
