#!/usr/bin/env bash
# Runs the server: makes sure Postgres and Redis answer (starting or installing them when local
# and missing, see scripts/services.sh), then builds and starts a release build. The server
# applies its migrations itself at start-up. Extra arguments go to the server.
#   scripts/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/services.sh
source scripts/services.sh
ensure_services
echo "== cargo run --release --bin voting-game (http://localhost:${PORT:-8000})"
exec cargo run --release --locked --bin voting-game -- "$@"
