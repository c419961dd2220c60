#!/usr/bin/env bash
# Prints an HAProxy configuration that puts server nodes behind one address: sticky for
# Socket.IO (its HTTP long-polling requests must reach the node holding the session; the
# official client starts with polling, then upgrades to a WebSocket on the same node), plain
# round robin for REST (every node serves every REST call). Used by scripts/nodes.sh and by the
# balancer test (tests/it/balancer.rs), so both run the one configuration.
#
#   scripts/haproxy-config.sh LISTEN STATS NODE...
#     LISTEN  host:port the balancer listens on, e.g. 127.0.0.1:8080
#     STATS   host:port of the stats page (/stats, ;csv for machines), or - for none
#     NODE    host:port of each server node
#
# Stickiness is a cookie the balancer adds (`vg_node`, HttpOnly) on the first Socket.IO response
# and reads on the next requests: unlike `balance source`, it keeps working when a whole class
# shares one address, and spreads them over the nodes. A node that goes down loses its
# sessions; their clients reconnect and land on a live node. The nodes must trust the balancer's
# X-Forwarded-For: set TRUSTED_PROXIES to its address (rate limits are per client address).
set -euo pipefail
if [[ $# -lt 3 ]]; then
  echo "usage: $0 LISTEN STATS NODE..." >&2
  exit 2
fi
listen=$1
stats=$2
shift 2

cat <<CFG
global
  # Below the usual open-file limit: HAProxy needs two descriptors a connection.
  maxconn 8000

defaults
  mode http
  option forwardfor
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  # A WebSocket (and a long poll's wait) is one long exchange: the tunnel timeout covers it.
  timeout tunnel 1h
  timeout http-keep-alive 10s

frontend web
  bind ${listen}
  acl socketio path_beg /socket.io/
  use_backend socketio if socketio
  default_backend rest

backend socketio
  balance roundrobin
  option httpchk GET /health
  cookie vg_node insert indirect nocache httponly
CFG
n=0
for node in "$@"; do
  n=$((n + 1))
  echo "  server n${n} ${node} cookie n${n} check inter 2s"
done
echo
echo "backend rest"
echo "  balance roundrobin"
echo "  option httpchk GET /health"
n=0
for node in "$@"; do
  n=$((n + 1))
  echo "  server n${n} ${node} check inter 2s"
done
if [[ $stats != - ]]; then
  cat <<CFG

listen stats
  bind ${stats}
  stats enable
  stats uri /stats
  stats refresh 5s
CFG
fi
