#!/usr/bin/env bash
# Runs the server: makes sure Postgres and Redis are there, then builds and starts it
# (migrations are applied by the server itself at start-up).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
ensure_services
exec cargo run --release --locked --bin voting-game -- "$@"
