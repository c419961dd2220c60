#!/usr/bin/env bash
# The whole check, as CI runs it (.ci/run): services up, formatting, lints, every test.
#   scripts/test.sh
# Tests use TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/voting_game_test), not
# DATABASE_URL: #[sqlx::test] makes a throwaway database per test on that server and keeps its
# bookkeeping in the named database, so the development database stays untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/services.sh
source scripts/services.sh

export DEBIAN_FRONTEND=noninteractive # apt-get never asks
export RUST_BACKTRACE=1
export CARGO_TERM_PROGRESS_WHEN=never # no progress bars in logs
# Compiled dependencies are kept across checkouts of this project on this machine (CI tests a
# fresh clone each time, and rebuilding every crate was most of its time). Cargo's fingerprints
# decide what is stale, so a cache can only save time; set CARGO_TARGET_DIR to build elsewhere.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/voting-game/target}
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

started=$SECONDS
current="services"
finish() {
  local rc=$?
  if [[ $rc -eq 0 ]]; then
    echo "== test.sh: PASSED (services, web client, fmt, clippy, tests) in $((SECONDS - started)) s"
  else
    echo "== test.sh: FAILED at step '$current' (exit $rc) after $((SECONDS - started)) s" >&2
  fi
}
trap finish EXIT
step() { current=$1; echo "== $1"; }

step "services"
export DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/voting_game_test}
ensure_services
if ! can_create_databases; then
  echo "the Postgres role in DATABASE_URL needs CREATEDB (#[sqlx::test] creates a database per test)" >&2
  exit 1
fi
# Many sockets per test, many tests at once.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 65536 2>/dev/null || true
echo "open files limit: $(ulimit -n)"

# tests/it/official_client.rs drives the official socket.io-client (npm) with Node.js;
# tests/it/browser.rs drives Debian's Chromium with playwright-core (never a downloaded browser).
step "node, chromium, haproxy + npm ci (tests/js, tests/browser, web)"
if ! have node || ! have npm; then apt_install nodejs npm; fi
if [[ ! -x /usr/bin/chromium ]]; then apt_install chromium; fi
# tests/it/balancer.rs puts two nodes behind Debian's HAProxy.
if [[ ! -x /usr/sbin/haproxy ]]; then apt_install haproxy; fi
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
for dir in tests/js tests/browser web; do
  if [[ $dir/node_modules/.package-lock.json -nt $dir/package-lock.json ]]; then
    echo "$dir/node_modules is up to date"
  else
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
  fi
done

# The server embeds web/dist (committed): it must be the build of web/src.
step "web client: type check, web/dist is the build of web/src"
npm run --silent check --prefix web

step "cargo fmt --all -- --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets --locked -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings

step "cargo test --locked --all-targets"
cargo test --locked --all-targets
current="done"
