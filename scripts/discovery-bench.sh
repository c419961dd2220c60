#!/usr/bin/env bash
# Discovery at scale (issue 12): latency over HTTP of `GET /api/polls` lists — recent, popular
# and trending, a few pages deep, category and status filters — and searches (a very common word,
# a mid-frequency word, a prefix as typed, rare words), against a release build on the data set
# of scripts/seed-polls.sh (seeded first if the database has fewer than SEED_POLLS polls).
# One client, one request at a time on a kept-alive connection (curl), REQUESTS per scenario after
# a warm-up; prints p50/p99/max per scenario as a Markdown table (also in
# target/discovery-bench.md). A run takes about a minute once seeded.
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/voting_game_bench scripts/discovery-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/voting_game_bench}
port=${BENCH_PORT:-8135}
requests=${REQUESTS:-200}
seed_polls=${SEED_POLLS:-100000}
target=${CARGO_TARGET_DIR:-target}
base="http://127.0.0.1:$port"

# BENCH_BIN: a server binary already built (the build is skipped).
bin=${BENCH_BIN:-}
if [ -z "$bin" ]; then
  cargo build --release --locked --bin voting-game
  bin="$target/release/voting-game"
fi
env REDIS_PREFIX="bench-discovery:$(date +%s%N):" PORT="$port" HOST=127.0.0.1 RUST_LOG=warn \
  RATE_LIMIT_API_PER_SECOND=1000000 OPENAI_API_KEY= \
  "$bin" >"$target/discovery-server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  curl -sf "$base/health" >/dev/null && break
  sleep 0.1
done
curl -sf "$base/health" >/dev/null || { echo "the server did not start" >&2; exit 1; }

have=$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM polls")
if [ "$have" -lt "$seed_polls" ]; then
  scripts/seed-polls.sh "$seed_polls"
fi
read -r polls ballots votes < <(psql "$DATABASE_URL" -At -F ' ' -c \
  "SELECT (SELECT count(*) FROM polls), count(*), sum(cardinality(option_ids)) FROM poll_ballots")

# Rare words: made-up words from the questions of random public polls (each in a few dozen).
mapfile -t rare < <(psql "$DATABASE_URL" -At -c \
  "SELECT DISTINCT (regexp_match(question, '([a-z]+in)\?$'))[1] AS w FROM polls \
   TABLESAMPLE SYSTEM (1) WHERE is_public AND status <> 'draft' AND question ~ '[a-z]+in\?$' LIMIT 5")
[ "${#rare[@]}" -gt 0 ] || rare=(bakotin)

# name|path (a path with several rare words is asked in turn).
scenarios=(
  "recent p1|/api/polls?sort=recent"
  "recent p5|/api/polls?sort=recent&page=5"
  "popular p1|/api/polls?sort=popular"
  "popular p5|/api/polls?sort=popular&page=5"
  "trending p1|/api/polls?sort=trending"
  "trending p5|/api/polls?sort=trending&page=5"
  "trending alias|/api/polls/trending"
  "category recent p1|/api/polls?category=food"
  "category popular p3|/api/polls?category=games&sort=popular&page=3"
  "category+open trending p2|/api/polls?category=technology&status=open&sort=trending&page=2"
  "q common word (best) p1|/api/polls/search?q=best"
  "q common word (best) p3|/api/polls?q=best&page=3"
  "q common word, sort=recent|/api/polls?q=best&sort=recent"
  "q mid word (pizza)|/api/polls?q=pizza"
  "q two words (best pizza)|/api/polls?q=best%20pizza"
  "q prefix as typed (piz)|/api/polls?q=piz"
  "q rare words|RARE"
)

pct() { # file, percentile → milliseconds
  sort -n "$1" | awk -v p="$2" '{a[NR]=$1} END {i=int(NR*p/100+0.999); if (i<1) i=1; if (i>NR) i=NR; printf "%.1f", a[i]*1000}'
}

tmp=$(mktemp -d)
out="$target/discovery-bench.md"
{
  echo "| scenario | p50 ms | p99 ms | max ms |"
  echo "|---|---:|---:|---:|"
} >"$out"
for s in "${scenarios[@]}"; do
  name=${s%%|*}
  path=${s#*|}
  : >"$tmp/urls"
  for i in $(seq 1 "$requests"); do
    if [ "$path" = RARE ]; then
      p="/api/polls?q=${rare[$((i % ${#rare[@]}))]}"
    else
      p=$path
    fi
    echo "url = \"$base$p\"" >>"$tmp/urls"
    echo "output = /dev/null" >>"$tmp/urls"
  done
  # Warm-up (the first request of a kind pays for plans and cold pages), then the measured run.
  head -20 "$tmp/urls" | curl -s -K - -w '' >/dev/null
  curl -s -K "$tmp/urls" -w '%{time_total}\n' >"$tmp/times"
  check=$path
  [ "$path" = RARE ] && check="/api/polls?q=${rare[0]}"
  codes=$(curl -s -o /dev/null -w '%{http_code}' "$base$check")
  [ "$codes" = 200 ] || echo "warning: $name answered $codes" >&2
  echo "| $name | $(pct "$tmp/times" 50) | $(pct "$tmp/times" 99) | $(pct "$tmp/times" 100) |" >>"$out"
done
rm -rf "$tmp"
{
  echo
  echo "$polls polls, $ballots ballots ($votes votes), $requests requests per scenario, one client;"
  echo "$(date -u +%F) on $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"
} >>"$out"
cat "$out"
