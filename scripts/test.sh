#!/usr/bin/env bash
# The whole check, as CI runs it: services up, formatting, lints, every test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
# Tests make a throwaway database per test (#[sqlx::test]) on this server.
export DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/voting_game_test}
ensure_services
export RUST_BACKTRACE=1
# Many sockets per test, many tests at once.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# The official socket.io-client (tests/official_client.rs) runs on Node.js.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  apt_install nodejs npm
fi
echo "== npm ci (official socket.io-client for the browser-client test)"
npm ci --no-audit --no-fund --prefix tests/js >/dev/null

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --locked --all-targets
echo "== all checks passed"
