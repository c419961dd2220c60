#!/usr/bin/env bash
# Side by side with the Node peer (issue 15): builds our release binaries, then starts our server
# (with Redis, then as a single node with REDIS_URL=memory) and, in turn, the in-memory Node peer (../shared/peers/node-ref, run from where it is), drives
# both through the same loads with target/release/loadgen, and writes one table:
# bench/results/<date>/compare.md (+ compare.json, and each run's loadgen report in compare/).
#
#   scripts/compare.sh              light load, 25 100 200 300 400 600 rooms, vote storm
#   scripts/compare.sh 50 150       light load, these levels, vote storm
#   scripts/compare.sh smoke        light load (1 room), 5 and 20 rooms, a 20-room storm, into
#                                   target/compare/smoke/ (proves the script works, no numbers)
#
# Every load: 8 players a room, $COMPARE_ROUNDS (4) rounds, each player's vote at a random moment
# of 1 s. Levels: room starts staggered over 3 s (a steady vote rate). Storm: every room at
# once, votes within 100 ms. Light: 2 rooms, votes over 2 s, latency from the moment each vote
# is sent (the generator's timer adds up to 1 ms to "scheduled", which matters at ≈ 2 ms).
# CPU per vote: user + system time of the server process, of Postgres (postmaster and every
# child: backends, WAL writer, checkpointer, autovacuum) and of Redis, read by loadgen from
# /proc over the games only (accounts are registered and sockets joined before), divided by the
# votes. "others" is the machine's busy time less all of these and the generator: other work on
# the machine, i.e. how noisy the run was.
#
# Environment (all optional):
#   COMPARE_SERVERS      "ours memory node" (any of them; memory: our server as a single node,
#                        REDIS_URL=memory, on the same Postgres)
#   NODE_PEER_DIR        the Node peer (default ../shared/peers/node-ref from the repository,
#                        or from its main checkout when this is a git worktree);
#                        its node_modules are used when present, otherwise `npm ci` installs
#                        its locked dependencies into target/compare/node-peer-deps (the peer's
#                        directory is shared and read-only) and NODE_PATH points there
#   COMPARE_DATABASE_URL Postgres for our server (else BENCH_DATABASE_URL; else a private
#                        cluster in target/compare/pg on a free port, started and stopped here)
#   COMPARE_REDIS_URL    Redis for our server, keys under COMPARE_REDIS_PREFIX (default
#                        compare:<time>:); else a private redis-server on a free port
#   COMPARE_PORT, COMPARE_NODE_PORT, COMPARE_PG_PORT, COMPARE_REDIS_PORT   (default: free ports)
#   COMPARE_ROUNDS (4), COMPARE_STORM_ROOMS (250), COMPARE_LIGHT_ROOMS (2), COMPARE_OUT (dir)
# Never touches a Postgres or Redis it was not pointed at; stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
# shellcheck source=scripts/services.sh
source scripts/services.sh
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

mode=full
levels=(25 100 200 300 400 600)
storm_rooms=${COMPARE_STORM_ROOMS:-250}
light_rooms=${COMPARE_LIGHT_ROOMS:-2}
out=${COMPARE_OUT:-bench/results/$(date -u +%Y-%m-%d)}
if [[ ${1:-} == smoke ]]; then
  mode=smoke levels=(5 20) storm_rooms=${COMPARE_STORM_ROOMS:-20} light_rooms=${COMPARE_LIGHT_ROOMS:-1}
  out=${COMPARE_OUT:-target/compare/smoke}
elif [[ $# -gt 0 ]]; then
  levels=("$@")
fi
for l in "${levels[@]}" "$storm_rooms" "$light_rooms"; do
  [[ $l =~ ^[1-9][0-9]*$ ]] || { echo "a level is a number of rooms, not '$l'" >&2; exit 2; }
done
rounds=${COMPARE_ROUNDS:-4}
servers=${COMPARE_SERVERS:-ours memory node}
players=8
state=target/compare
mkdir -p "$state/logs" "$out/compare"
rm -f "$out"/compare/*.json "$out"/compare/*.metrics "$out/compare.md" "$out/compare.json"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
say() { printf '[compare] %s\n' "$*" >&2; }

# --- what this script starts, and stops on any exit -------------------------------------------
server_pid= redis_pid= pg_dir= pg_bin= child=
cleanup() {
  if [[ -n $child ]]; then kill "$child" 2>/dev/null || true; wait "$child" 2>/dev/null || true; fi
  stop_server
  if [[ -n $redis_pid ]]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
  if [[ -n $pg_dir ]]; then as_pg "$pg_bin/pg_ctl" -D "$pg_dir" -m fast -w stop >/dev/null 2>&1 || true; fi
  # On a Redis it was pointed at: only the keys under the fresh prefix it made up (never a
  # prefix it was given: that may hold someone's data).
  if [[ -n ${COMPARE_REDIS_URL:-} && -z ${COMPARE_REDIS_PREFIX:-} && ${redis_prefix:-} == compare:?* ]] && have redis-cli; then
    redis-cli -u "$COMPARE_REDIS_URL" --scan --pattern "${redis_prefix}*" 2>/dev/null |
      xargs -r -n 500 redis-cli -u "$COMPARE_REDIS_URL" DEL >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs a command in the background and waits for it, so that a signal to this script is
# handled at once (a foreground command would be waited out first) and the command stopped.
run_child() {
  local rc=0
  "$@" &
  child=$!
  wait "$child" || rc=$?
  child=
  return "$rc"
}

stop_server() {
  [[ -n $server_pid ]] || return 0
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}

wait_http() { # url pid
  for _ in $(seq 1 300); do
    curl -sf "$1" >/dev/null 2>&1 && return 0
    kill -0 "$2" 2>/dev/null || { say "the server exited while starting (log in $state/logs)"; return 1; }
    sleep 0.1
  done
  say "no answer from $1 within 30 s"; return 1
}

# --- the Node peer's location and dependencies --------------------------------------------------
node_dir=${NODE_PEER_DIR:-../shared/peers/node-ref}
# A git worktree elsewhere: beside the main checkout instead.
if [[ -z ${NODE_PEER_DIR:-} && ! -d $node_dir ]]; then
  main_checkout=$(cd "$(git rev-parse --git-common-dir)/.." && pwd)
  node_dir=$main_checkout/../shared/peers/node-ref
fi
node_modules=
if [[ " $servers " == *" node "* ]]; then
  [[ -f $node_dir/server.js ]] || { say "no Node peer at $node_dir (set NODE_PEER_DIR)"; exit 1; }
  node_dir=$(cd "$node_dir" && pwd)
  have node && have npm || apt_install nodejs npm
  if [[ -d $node_dir/node_modules ]]; then
    node_modules=$node_dir/node_modules
  else
    deps=$repo/$state/node-peer-deps
    if ! cmp -s "$node_dir/package-lock.json" "$deps/package-lock.json" || [[ ! -d $deps/node_modules ]]; then
      say "npm ci: the Node peer's locked dependencies into $deps"
      rm -rf "$deps"; mkdir -p "$deps"
      cp "$node_dir/package.json" "$node_dir/package-lock.json" "$deps/"
      # From inside it: with --prefix, npm took a path through a symlink for a linked package.
      (cd "$deps" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    fi
    node_modules=$deps/node_modules
  fi
fi

# --- build ------------------------------------------------------------------------------------
say "cargo build --release"
cargo build --release --locked --bin voting-game --bin loadgen

# --- Postgres and Redis for our server ----------------------------------------------------------
pg_pid= redis_cpu_pid=
as_pg() { if is_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }
db_url=${COMPARE_DATABASE_URL:-${BENCH_DATABASE_URL:-}}
if [[ " $servers " == *" ours "* || " $servers " == *" memory "* ]]; then
  if [[ -n $db_url ]]; then
    export DATABASE_URL=$db_url REDIS_URL=${COMPARE_REDIS_URL:-redis://127.0.0.1:6379}
    ensure_postgres && ensure_database
    db_url=$DATABASE_URL
    # The postmaster is the parent of its checkpointer (long-lived, unlike a backend of ours),
    # when Postgres runs on this machine.
    checkpointer=$(psql_url "$db_url" "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'" 2>/dev/null || true)
    if [[ -n $checkpointer ]]; then
      pg_pid=$(awk '{ sub(/.*\) /, ""); print $2 }' "/proc/$checkpointer/stat" 2>/dev/null || true)
    fi
    say "Postgres: $(redact "$db_url") (CPU of process tree ${pg_pid:-unknown}; other databases' work on it counts too)"
  else
    pg_bin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -n 1)
    [[ -n $pg_bin ]] || { apt_install postgresql postgresql-client; pg_bin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin | sort -V | tail -n 1); }
    pg_dir=$repo/$state/pg
    pg_port=${COMPARE_PG_PORT:-$(free_port)}
    if [[ ! -f $pg_dir/PG_VERSION ]]; then
      say "initdb: a private Postgres cluster in $pg_dir"
      rm -rf "$pg_dir" "$state"/accounts-ours-private.txt; mkdir -p "$pg_dir"
      if is_root; then chown postgres: "$pg_dir"; fi
      as_pg "$pg_bin/initdb" -D "$pg_dir" -U postgres --auth=trust -E UTF8 >/dev/null
    fi
    # Left running by a run that was killed outright: restart it on this run's port.
    if as_pg "$pg_bin/pg_ctl" -D "$pg_dir" status >/dev/null 2>&1; then
      as_pg "$pg_bin/pg_ctl" -D "$pg_dir" -m fast -w stop >/dev/null
    fi
    # Same durability as a stock cluster (fsync, synchronous_commit on); TCP only.
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir" -w -l "$pg_dir/log" \
      -o "-p $pg_port -c listen_addresses=127.0.0.1 -c unix_socket_directories=''" start >/dev/null
    pg_pid=$(head -n 1 "$pg_dir/postmaster.pid")
    db_url=postgres://postgres@127.0.0.1:$pg_port/voting_game_compare
    export DATABASE_URL=$db_url
    ensure_database
    say "Postgres: private cluster on port $pg_port (pid $pg_pid)"
  fi
  if [[ -n ${COMPARE_REDIS_URL:-} ]]; then
    redis_url=$COMPARE_REDIS_URL
    redis_prefix=${COMPARE_REDIS_PREFIX:-compare:$(date +%s%N):}
    host=$(url_host "$redis_url") port=$(url_port "$redis_url" 6379)
    if is_local "$host" && have redis-cli; then
      redis_cpu_pid=$(redis-cli -h "$host" -p "$port" INFO server 2>/dev/null | awk -F: '/^process_id/ { print $2 }' | tr -d '\r')
    fi
    say "Redis: $(redact "$redis_url") under $redis_prefix (CPU of pid ${redis_cpu_pid:-unknown}; other users' work on it counts too)"
  else
    have redis-server || apt_install redis-server
    redis_port=${COMPARE_REDIS_PORT:-$(free_port)}
    # As the shared one is configured: no persistence (Postgres is the durable record).
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
      --dir "$state" --logfile "$repo/$state/logs/redis.log" &
    redis_pid=$! redis_cpu_pid=$redis_pid
    redis_url=redis://127.0.0.1:$redis_port redis_prefix=compare:
    for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
    say "Redis: private redis-server on port $redis_port (pid $redis_pid)"
  fi
fi

# --- one server at a time -----------------------------------------------------------------------
start_ours() { # port [redis url]
  local port=$1
  env DATABASE_URL="$db_url" REDIS_URL="${2:-$redis_url}" REDIS_PREFIX="$redis_prefix" \
    PORT="$port" HOST=127.0.0.1 RUST_LOG=warn OPENAI_API_KEY= \
    RATE_LIMIT_API_PER_SECOND=1000000 RATE_LIMIT_AUTH_PER_MINUTE=1000000 \
    RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_MINUTE=1000000 RATE_LIMIT_JOINS_PER_MINUTE=1000000 \
    RATE_LIMIT_SOCKET_EVENTS_PER_SECOND=1000000 MAX_SOCKETS_PER_USER=0 MAX_SOCKETS_PER_IP=0 \
    RATE_LIMIT_POLLS_PER_ACCOUNT_PER_MINUTE=1000000 RATE_LIMIT_ACCOUNT_WRITES_PER_MINUTE=1000000 \
    "${CARGO_TARGET_DIR:-target}"/release/voting-game >>"$state/logs/ours.log" 2>&1 &
  server_pid=$!
  wait_http "http://127.0.0.1:$port/health" "$server_pid"
}
start_node() {
  local port=$1
  (cd "$node_dir" && exec env NODE_PATH="$node_modules" PORT="$port" HOST=127.0.0.1 node server.js) \
    >>"$repo/$state/logs/node.log" 2>&1 &
  server_pid=$!
  wait_http "http://127.0.0.1:$port/health" "$server_pid"
}

# Between runs: Postgres cleans up after the last one (autovacuum starting in the middle of the
# next run showed up as a latency spike in bench.sh), and the machine goes idle.
settle() {
  if [[ $1 != node ]]; then psql_url "$db_url" 'VACUUM ANALYZE' >/dev/null 2>&1 || true; fi
  sleep 2
}

# One measured run against the server that is up ($server, $lg, $cpu).
run() { # scenario rooms loadgen-args…
  local scenario=$1 rooms=$2; shift 2
  say "$server: $scenario ($rooms rooms)"
  run_child "${lg[@]}" "${cpu[@]}" --scenario "$scenario" --rooms "$rooms" "${common[@]}" \
    --json "$out/compare/$server-$scenario.json" "$@" || say "($server $scenario reported errors)"
  # Ours: its Prometheus metrics after each run (cumulative over the runs of this process;
  # the batch step histograms — swap, commit, publish — say where a vote's time went).
  if [[ $server != node ]]; then
    curl -sf "http://127.0.0.1:$port/metrics" >"$out/compare/$server-$scenario.metrics" || true
  fi
  settle "$server"
}

most_rooms=$(printf '%s\n' "${levels[@]}" "$storm_rooms" "$light_rooms" 10 | sort -n | tail -n 1)
common=(--players "$players" --sources 4 --connect-concurrency 64)

for server in $servers; do
  case $server in
    ours | memory)
      port=${COMPARE_PORT:-$(free_port)}
      if [[ $server == ours ]]; then
        say "== our server on port $port"
        start_ours "$port"
      else
        say "== our server as a single node (REDIS_URL=memory) on port $port"
        start_ours "$port" memory
      fi
      cpu=(--cpu "server=$server_pid")
      [[ -z $pg_pid ]] || cpu+=(--cpu "postgres=$pg_pid")
      [[ -z $redis_cpu_pid || $server == memory ]] || cpu+=(--cpu "redis=$redis_cpu_pid")
      # Our accounts live in Postgres: their tokens are reused while that database keeps them.
      key=private
      [[ -z $pg_dir ]] && key=$(printf '%s' "$(redact "$db_url")" | cksum | cut -d' ' -f1)
      accounts=$state/accounts-ours-$key.txt
      ;;
    node)
      port=${COMPARE_NODE_PORT:-$(free_port)}
      say "== the Node peer ($node_dir) on port $port"
      start_node "$port"
      cpu=(--cpu "server=$server_pid")
      # Its users live in its memory: new accounts for every start.
      accounts=$state/accounts-node.txt
      rm -f "$accounts"
      ;;
    *) say "unknown server '$server' in COMPARE_SERVERS"; exit 2 ;;
  esac
  lg=("${CARGO_TARGET_DIR:-target}"/release/loadgen --server "127.0.0.1:$port" --server-pid "$server_pid" --accounts "$accounts")
  say "$server: accounts for $most_rooms rooms (password hashing, not measured)"
  run_child "${lg[@]}" --register-only --rooms "$most_rooms" --players "$players" >/dev/null
  # Warm-up (not recorded): JIT and caches for the Node peer, pools and caches for ours; also
  # proves that reused tokens still work, else they are made anew.
  if ! run_child "${lg[@]}" --scenario warm-up --rooms 10 "${common[@]}" --rounds 2 >"$state/logs/warm-up-$server.txt" 2>&1; then
    if [[ $server != node ]]; then
      say "$server: warm-up failed with reused accounts; registering new ones"
      rm -f "$accounts"
      run_child "${lg[@]}" --register-only --rooms "$most_rooms" --players "$players" >/dev/null
      run_child "${lg[@]}" --scenario warm-up --rooms 10 "${common[@]}" --rounds 2 >"$state/logs/warm-up-$server.txt" 2>&1 ||
        { say "warm-up failed, see $state/logs/warm-up-$server.txt"; exit 1; }
    else
      say "warm-up failed, see $state/logs/warm-up-$server.txt"; exit 1
    fi
  fi
  settle "$server"
  run light "$light_rooms" --rounds "$rounds" --vote-spread-ms 2000 --stagger-ms 3000 --latency-from sent
  for rooms in "${levels[@]}"; do
    run "rooms-$rooms" "$rooms" --rounds "$rounds" --vote-spread-ms 1000 --stagger-ms 3000
  done
  run storm "$storm_rooms" --rounds "$rounds" --vote-spread-ms 100
  stop_server
done

# --- the table ----------------------------------------------------------------------------------
python3 - "$out" "$mode" "$rounds" "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.lock || echo +changes)" \
  "$(node --version 2>/dev/null || echo '?')" <<'PY'
import json, os, platform, sys

out, mode, rounds, commit, node_version = sys.argv[1:6]
rows = []
for f in sorted(os.listdir(os.path.join(out, "compare"))):
    if f.endswith(".json"):
        r = json.load(open(os.path.join(out, "compare", f)))
        r["server"] = f.split("-", 1)[0]
        rows.append(r)

def order(r):
    s = r["scenario"]
    rank = 0 if s == "light" else 2 if s == "storm" else 1
    rooms = int(s.split("-")[1]) if s.startswith("rooms-") else 0
    return (rank, rooms, {"ours": 0, "memory": 1}.get(r["server"], 2))
rows.sort(key=order)

def cpu(r, name):
    c = (r.get("cpu") or {}).get(name) or {}
    return c.get("us_per_vote"), c.get("cpu_s")

def fmt(v, digits=0):
    return "–" if v is None else f"{v:,.{digits}f}"

name = {"ours": "ours (Redis)", "memory": "ours, one node (memory)", "node": "Node peer"}
label = {"light": "light load", "storm": "vote storm"}
cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
lines = [
    f"# Ours vs. the Node peer, {os.path.basename(os.path.normpath(out))}" + (" (smoke: proves the script, not a measurement)" if mode == "smoke" else ""),
    "",
    f"Machine: {os.cpu_count()} cores ({cpu_model}), {platform.system()} {platform.release()}; "
    f"ours at {commit}, Node peer on Node {node_version}; generator, Postgres and Redis on the same cores. "
    f"8 players a room, {rounds} rounds; levels: room starts staggered over 3 s, votes spread over 1 s; "
    "vote storm: all rooms at once, votes within 100 ms; light load: votes over 2 s, latency from each vote's send "
    "(elsewhere from its scheduled time). CPU: user + system from /proc over the games only, per vote; "
    "Postgres is the postmaster and all its children; others = the machine's busy time less the server, "
    "Postgres, Redis and the generator, in cores busy on average (other work: more than a few hundredths means a noisy run).",
    "",
    "| load | server | votes | votes/s | vote→update p50 / p99 / p99.9 ms | server µs/vote | Postgres µs/vote | Redis µs/vote | total µs/vote | generator µs/vote | others' CPU, cores | lost / dup / errors |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
]
table = []
for r in rows:
    v = r["vote_to_update"]
    s, p, rd = cpu(r, "server")[0], cpu(r, "postgres")[0], cpu(r, "redis")[0]
    total = None if s is None else s + (p or 0) + (rd or 0)
    lat = f"{v['p50_ms']:.1f} / {v['p99_ms']:.1f} / {v['p999_ms']:.1f}" if r["votes"] else "–"
    sc = r["scenario"]
    load = label.get(sc) or sc.replace("rooms-", "") + " rooms"
    if sc in label:
        rooms = r.get("rooms", r["connections"] // 8)
        load += f" ({rooms} room{'s' if rooms != 1 else ''})"
    others_s = cpu(r, "others")[1]
    others = others_s / r["games_s"] if others_s is not None and r.get("games_s") else None
    lines.append(
        f"| {load} | {name.get(r['server'], r['server'])} | {r['votes']:,} | {r['votes_per_s']:,.0f} | {lat} "
        f"| {fmt(s)} | {fmt(p)} | {fmt(rd)} | {fmt(total)} | {fmt(cpu(r, 'loadgen')[0])} | {fmt(others, 2)} "
        f"| {r['lost_updates']} / {r['duplicated_updates']} / {r['errors']} |")
    table.append({
        "load": sc, "server": r["server"], "rooms": r.get("rooms", r["connections"] // 8), "votes": r["votes"],
        "games_s": r.get("games_s"), "others_cores": others, "votes_per_s": r["votes_per_s"], "p50_ms": v["p50_ms"], "p99_ms": v["p99_ms"], "p999_ms": v["p999_ms"],
        "latency_from": r.get("latency_from", "scheduled"),
        "cpu_us_per_vote": {k: cpu(r, k)[0] for k in ("server", "postgres", "redis", "loadgen")} | {"total": total},
        "cpu_s": {k: cpu(r, k)[1] for k in ("server", "postgres", "redis", "loadgen", "machine", "others")},
        "lost": r["lost_updates"], "duplicated": r["duplicated_updates"], "errors": r["errors"],
        "first_error": r.get("first_error"),
    })

# The issue's targets, from these rows.
def best_under(server, p99=25.0):
    ok = [t for t in table if t["server"] == server and t["load"].startswith("rooms-") and t["p99_ms"] <= p99 and t["votes"]]
    return max(ok, key=lambda t: t["votes_per_s"], default=None)
def one(server, load):
    return next((t for t in table if t["server"] == server and t["load"] == load), None)
targets = {}
lines.append("")
node_best = best_under("node")
d = lambda t: "none" if t is None else f"{t['votes_per_s']:,.0f} votes/s ({t['rooms']} rooms, p99 {t['p99_ms']:.1f} ms)"
ours_servers = [s for s in ("ours", "memory") if any(t["server"] == s for t in table)]
for server in ours_servers:
    best = best_under(server)
    ratio = best["votes_per_s"] / node_best["votes_per_s"] if best and node_best else None
    targets.setdefault("rate_at_p99_25ms", {})[server] = {"votes_per_s": best and best["votes_per_s"], "node": node_best and node_best["votes_per_s"], "ratio": ratio}
    lines.append(f"- Highest vote rate with p99 ≤ 25 ms: {name[server]} {d(best)}, Node peer {d(node_best)}"
                 + (f"; ratio {ratio:.2f}× (target ≥ 2× and ≥ 5,000 votes/s)" if ratio else "") + ".")
for load, what, key, limit in (("storm", "Vote storm p99", "p99_ms", "≤ 50 ms"), ("light", "Light-load p50", "p50_ms", "≤ 2 ms")):
    n = one("node", load)
    found = {s: one(s, load) for s in ours_servers}
    if n or any(found.values()):
        targets[load] = {s: o and o[key] for s, o in found.items()} | {"node": n and n[key]}
        lines.append(f"- {what}: " + ", ".join(f"{name[s]} {fmt(o and o[key], 1)} ms" for s, o in found.items())
                     + f", Node peer {fmt(n and n[key], 1)} ms (target {limit}).")
for server in ours_servers:
    ratios = []
    for t in table:
        n = one("node", t["load"])
        if t["server"] == server and n and t["cpu_us_per_vote"]["server"] and n["cpu_us_per_vote"]["server"]:
            ratios.append((t["load"], t["cpu_us_per_vote"]["server"] / n["cpu_us_per_vote"]["server"],
                           (t["cpu_us_per_vote"]["total"] or 0) / n["cpu_us_per_vote"]["server"]))
    if ratios:
        targets.setdefault("server_cpu_ratio", {})[server] = {l: s for l, s, _ in ratios}
        lines.append(f"- Server CPU per vote, {name[server]} ÷ Node peer (target ≤ 1; with Postgres and Redis in brackets): "
                     + ", ".join(f"{label.get(l, l.replace('rooms-', '') + ' rooms')} {s:.2f} ({a:.2f})" for l, s, a in ratios) + ".")
text = "\n".join(lines) + "\n"
open(os.path.join(out, "compare.md"), "w").write(text)
json.dump({"mode": mode, "commit": commit, "node": node_version, "rounds": int(rounds), "rows": table, "targets": targets},
          open(os.path.join(out, "compare.json"), "w"), indent=2)
print(text)
PY
say "table in $out/compare.md (runs in $out/compare/, logs in $state/logs/)"
