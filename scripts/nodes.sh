#!/usr/bin/env bash
# Runs N server nodes on this machine behind Debian's HAProxy, as several machines would run
# behind a load balancer: one address for browsers and REST clients, sticky for Socket.IO
# (scripts/haproxy-config.sh says why), every node sharing Postgres and Redis.
#   scripts/nodes.sh [N]        N nodes (default 2); Ctrl-C stops them all
#
#   PORT        the balancer's port (default 8000); nodes take PORT+1 … PORT+N
#   STATS_PORT  HAProxy's stats page, http://127.0.0.1:STATS_PORT/stats (default PORT+100)
#   BIN         a server binary already built (default: build target/release/voting-game)
#   The rest of the configuration (JWT_SECRET, DATABASE_URL, REDIS_URL, …) is the server's, from
#   the environment or ./.env, the same for every node. REDIS_URL=memory makes no sense here:
#   nodes share their live state through Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/services.sh
source scripts/services.sh
ensure_services
n=${1:-2}
port=${PORT:-8000}
stats=${STATS_PORT:-$((port + 100))}
if [[ ${REDIS_URL:-} == memory ]]; then
  echo "REDIS_URL=memory keeps each node's rooms to itself: several nodes need Redis" >&2
  exit 1
fi
if ! have haproxy; then apt_install haproxy; fi

bin=${BIN:-}
if [[ -z $bin ]]; then
  echo "== cargo build --release --bin voting-game"
  cargo build --release --locked --bin voting-game
  bin=${CARGO_TARGET_DIR:-target}/release/voting-game
fi
pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

nodes=()
for i in $(seq 1 "$n"); do
  p=$((port + i))
  # The balancer is the client's address as the nodes see it: trust its X-Forwarded-For.
  PORT=$p TRUSTED_PROXIES=${TRUSTED_PROXIES:-127.0.0.1/32} "$bin" &
  pids+=($!)
  nodes+=("127.0.0.1:$p")
  echo "== node $i on 127.0.0.1:$p (pid $!)"
done
config=$(mktemp --suffix=.cfg)
trap 'stop; rm -f "$config"' EXIT INT TERM
scripts/haproxy-config.sh "0.0.0.0:$port" "127.0.0.1:$stats" "${nodes[@]}" >"$config"
haproxy -c -q -f "$config"
echo "== HAProxy on :$port (stats http://127.0.0.1:$stats/stats) in front of ${nodes[*]}"
haproxy -db -f "$config" &
pids+=($!)
wait -n "${pids[@]}"
