#!/usr/bin/env bash
# Per-room fan-out against the global channel (issue 24): four nodes on one private Redis, run
# once with REDIS_FANOUT=global (every broadcast on the request channel every node hears, as
# before) and once with REDIS_FANOUT=room (a room's on its own channel). For each:
#   1. games: rooms spread evenly, each room's 8 players on one node (loadgen --socket-servers:
#      room i on node i mod 4), as a room-affine balancer would place them;
#   2. one hot poll watched from all four nodes (subscribers and voters spread over them).
# Reports, per node, the pub/sub messages and payload bytes it received from Redis (its
# /metrics, before and after each run), CPU per vote of each node and of Redis (/proc), and
# vote→update p99; writes bench/results/<date>/fanout.md (+ fanout/ with the raw reports).
#
#   scripts/fanout-bench.sh                 40 rooms, 3 rounds (what fanout.md reports)
#   FANOUT_ROOMS=40 scripts/fanout-bench.sh
#
# Environment: FANOUT_ROOMS (40), FANOUT_ROUNDS (3), FANOUT_NODES (4), FANOUT_SUBSCRIBERS
# (1000), FANOUT_POLL_RATE (300), FANOUT_DATABASE_URL (default: voting_game_fanout_bench on
# the local Postgres), FANOUT_OUT (bench/results/<date>), BIN_DIR (the release binaries:
# default target/release, built here). Redis is a private redis-server on a free port, started
# and stopped here, so its CPU is this benchmark's alone.
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
rooms=${FANOUT_ROOMS:-40}
rounds=${FANOUT_ROUNDS:-3}
nodes=${FANOUT_NODES:-4}
subscribers=${FANOUT_SUBSCRIBERS:-1000}
poll_rate=${FANOUT_POLL_RATE:-300}
out=${FANOUT_OUT:-bench/results/$(date -u +%Y-%m-%d)}
db_url=${FANOUT_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/voting_game_fanout_bench}
bin_dir=${BIN_DIR:-}
state=target/fanout-bench
mkdir -p "$state" "$out/fanout"
say() { printf '[fanout] %s\n' "$*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

if [[ -z $bin_dir ]]; then
  say "cargo build --release"
  cargo build --release --locked --bin voting-game --bin loadgen
  bin_dir=${CARGO_TARGET_DIR:-target}/release
fi
psql "${db_url%/*}/postgres" -qc "CREATE DATABASE ${db_url##*/}" 2>/dev/null || true

pids=() redis_pid=
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -z $redis_pid ]] || kill "$redis_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$state" --logfile "$PWD/$state/redis.log" &
redis_pid=$!
for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
say "Redis on port $redis_port (pid $redis_pid)"

cpu_of() { # pid → user+system clock ticks
  awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}
metrics() { # port file
  curl -sf "http://127.0.0.1:$1/metrics" | grep '^voting_game_pubsub_' >"$2" || true
}

run_mode() { # global|room
  local mode=$1 ports=() node_pids=() i prefix
  # One prefix for the four nodes: they share their live state and channels.
  prefix="fanout-$mode:$(date +%s%N):"
  for i in $(seq 1 "$nodes"); do
    local port
    port=$(free_port)
    env DATABASE_URL="$db_url" REDIS_URL="redis://127.0.0.1:$redis_port" \
      REDIS_PREFIX="$prefix" REDIS_FANOUT="$mode" \
      PORT="$port" HOST=127.0.0.1 RUST_LOG=warn OPENAI_API_KEY= \
      RATE_LIMIT_API_PER_SECOND=1000000 RATE_LIMIT_AUTH_PER_MINUTE=1000000 \
      RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE=1000000 RATE_LIMIT_JOINS_PER_MINUTE=1000000 \
      RATE_LIMIT_SOCKET_EVENTS_PER_SECOND=1000000 MAX_SOCKETS_PER_USER=0 MAX_SOCKETS_PER_IP=0 \
      RATE_LIMIT_POLLS_PER_ACCOUNT_PER_MINUTE=1000000 RATE_LIMIT_ACCOUNT_WRITES_PER_MINUTE=1000000 \
      RATE_LIMIT_GUESTS_PER_MINUTE=1000000 \
      "$bin_dir/voting-game" >>"$state/node-$mode-$i.log" 2>&1 &
    pids+=($!) node_pids+=($!) ports+=("$port")
    for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  done
  say "$mode: nodes on ${ports[*]} (pids ${node_pids[*]})"
  local socket_servers cpu=()
  socket_servers=$(printf '127.0.0.1:%s,' "${ports[@]}"); socket_servers=${socket_servers%,}
  for i in $(seq 1 "$nodes"); do cpu+=(--cpu "node$i=${node_pids[$((i - 1))]}"); done
  cpu+=(--cpu "redis=$redis_pid")
  local lg=("$bin_dir/loadgen" --server "127.0.0.1:${ports[0]}" --socket-servers "$socket_servers"
    --accounts "$state/accounts-$(printf %s "$db_url" | cksum | cut -d" " -f1).txt" --sources 4 --connect-concurrency 64)
  "${lg[@]}" --register-only --rooms "$rooms" --players 8 >/dev/null

  # 1. Games.
  for i in $(seq 1 "$nodes"); do metrics "${ports[$((i - 1))]}" "$out/fanout/$mode-games-before-$i.prom"; done
  say "$mode: $rooms rooms, $rounds rounds"
  "${lg[@]}" "${cpu[@]}" --scenario "games-$mode" --rooms "$rooms" --players 8 --rounds "$rounds" \
    --vote-spread-ms 1000 --stagger-ms 3000 --json "$out/fanout/$mode-games.json" \
    >"$state/loadgen-$mode-games.txt" 2>&1 || say "($mode games reported errors, see $state/loadgen-$mode-games.txt)"
  # The last broadcasts of the games still in flight when the generator exits.
  sleep 2
  for i in $(seq 1 "$nodes"); do metrics "${ports[$((i - 1))]}" "$out/fanout/$mode-games-after-$i.prom"; done

  # 2. One hot poll watched from every node.
  local before=() after=() p
  for p in "${node_pids[@]}" "$redis_pid"; do before+=("$(cpu_of "$p")"); done
  for i in $(seq 1 "$nodes"); do metrics "${ports[$((i - 1))]}" "$out/fanout/$mode-poll-before-$i.prom"; done
  say "$mode: one hot poll, $subscribers subscribers over $nodes nodes, $poll_rate votes/s"
  "${lg[@]}" --scenario polls --rooms 25 --players 8 --poll-subscribers "$subscribers" \
    --poll-rate "$poll_rate" --poll-seconds 10 --cold-polls 0 --json "$out/fanout/$mode-poll.json" \
    >"$state/loadgen-$mode-poll.txt" 2>&1 || say "($mode poll reported errors, see $state/loadgen-$mode-poll.txt)"
  sleep 2
  for i in $(seq 1 "$nodes"); do metrics "${ports[$((i - 1))]}" "$out/fanout/$mode-poll-after-$i.prom"; done
  for p in "${node_pids[@]}" "$redis_pid"; do after+=("$(cpu_of "$p")"); done
  python3 - "$out/fanout/$mode-poll-cpu.json" "$(getconf CLK_TCK)" "${before[*]}" "${after[*]}" <<'PY'
import json, sys
path, tck, b, a = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4].split()
names = [f"node{i + 1}" for i in range(len(b) - 1)] + ["redis"]
json.dump({n: (int(y) - int(x)) / tck for n, x, y in zip(names, b, a)}, open(path, "w"))
PY
  for p in "${node_pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  pids=()
  psql "$db_url" -qc 'VACUUM ANALYZE' >/dev/null 2>&1 || true
  sleep 2
}

run_mode global
run_mode room

python3 - "$out" "$nodes" "$rooms" "$rounds" "$subscribers" "$poll_rate" "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.lock || echo +changes)" "$bin_dir" <<'PY'
import json, os, re, sys
out, nodes, rooms, rounds, subs, rate, commit, bin_dir = sys.argv[1:9]
nodes = int(nodes)
d = os.path.join(out, "fanout")

def prom(path):
    vals = {}
    for line in open(path) if os.path.exists(path) else []:
        m = re.match(r'voting_game_pubsub_received_(messages|bytes)_total\{channel="(\w+)"\} (\S+)', line)
        if m:
            vals[(m.group(1), m.group(2))] = float(m.group(3))
    return vals

def received(mode, run, i):
    b, a = prom(f"{d}/{mode}-{run}-before-{i}.prom"), prom(f"{d}/{mode}-{run}-after-{i}.prom")
    delta = lambda k: a.get(k, 0) - b.get(k, 0)
    msgs = sum(delta(k) for k in a if k[0] == "messages")
    byts = sum(delta(k) for k in a if k[0] == "bytes")
    return msgs, byts, delta(("messages", "room")), delta(("messages", "request"))

lines = [f"# Per-room fan-out vs. the global channel, {os.path.basename(os.path.normpath(out))}", "",
         f"{nodes} nodes on one private Redis and the shared Postgres, at {commit} (binaries: `{bin_dir}`"
         + (", a debug build: CPU and latency are not representative" if "debug" in bin_dir else "") + "); this machine's "
         f"{os.cpu_count()} cores are shared with other builds and benchmarks while this ran, so CPU and latency "
         "are noisy; message and byte counts are not. `scripts/fanout-bench.sh`.", "",
         f"## Games: {rooms} rooms of 8 players, {rounds} rounds, room i on node i mod {nodes}", "",
         "| fan-out | votes | vote→update p50 / p99 ms | lost / dup / errors | " +
         " | ".join(f"node{i} msgs (room / request) · MB" for i in range(1, nodes + 1)) +
         " | " + " | ".join(f"node{i} µs/vote" for i in range(1, nodes + 1)) + " | Redis µs/vote |",
         "|" + "---|" * (4 + 2 * nodes + 1)]
for mode in ("global", "room"):
    p = f"{d}/{mode}-games.json"
    if not os.path.exists(p):
        continue
    r = json.load(open(p))
    v = r["vote_to_update"]
    cpu = r.get("cpu") or {}
    us = lambda n: (cpu.get(n) or {}).get("us_per_vote")
    fmt = lambda x: "–" if x is None else f"{x:,.0f}"
    cells = []
    for i in range(1, nodes + 1):
        m, b, room, req = received(mode, "games", i)
        cells.append(f"{m:,.0f} ({room:,.0f} / {req:,.0f}) · {b / 1e6:.2f}")
    lines.append(f"| {mode} | {r['votes']:,} | {v['p50_ms']:.1f} / {v['p99_ms']:.1f} | "
                 f"{r['lost_updates']} / {r['duplicated_updates']} / {r['errors']} | " + " | ".join(cells) + " | " +
                 " | ".join(fmt(us(f"node{i}")) for i in range(1, nodes + 1)) + f" | {fmt(us('redis'))} |")
lines += ["", f"## One hot poll: {subs} anonymous subscribers and 200 voters spread over the {nodes} nodes, {rate} votes/s for 10 s", "",
          "| fan-out | votes | ack p50 / p99 ms | all exact after last ack, ms | errors | " +
          " | ".join(f"node{i} msgs · MB" for i in range(1, nodes + 1)) + " | CPU s (nodes; Redis) |",
          "|" + "---|" * (5 + nodes + 1)]
for mode in ("global", "room"):
    p = f"{d}/{mode}-poll.json"
    if not os.path.exists(p):
        continue
    r = json.load(open(p))
    c = json.load(open(f"{d}/{mode}-poll-cpu.json")) if os.path.exists(f"{d}/{mode}-poll-cpu.json") else {}
    cells = []
    for i in range(1, nodes + 1):
        m, b, _, _ = received(mode, "poll", i)
        cells.append(f"{m:,.0f} · {b / 1e6:.2f}")
    cs = ", ".join(f"{c.get(f'node{i}', 0):.1f}" for i in range(1, nodes + 1)) + f"; {c.get('redis', 0):.1f}"
    lines.append(f"| {mode} | {r['votes']:,} | {r['ack_p50_ms']:.1f} / {r['ack_p99_ms']:.1f} | "
                 f"{r['all_exact_after_last_ack_ms']:.0f} | {r['errors']} | " + " | ".join(cells) + f" | {cs} |")
text = "\n".join(lines) + "\n"
open(os.path.join(out, "fanout.md"), "w").write(text)
print(text)
PY
say "table in $out/fanout.md"
