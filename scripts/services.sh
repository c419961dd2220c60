#!/usr/bin/env bash
# Makes sure the Postgres and Redis named by DATABASE_URL / REDIS_URL answer: uses them if they
# run, starts them if installed, installs them from Debian's packages when missing (as root),
# then creates the database. Sourced by run.sh and test.sh; `scripts/services.sh` alone works too.
set -euo pipefail

say() { printf '[services] %s\n' "$*" >&2; }

# host and port of a URL like scheme://user:pass@host:port/db
url_host() { local rest=${1#*://}; rest=${rest#*@}; rest=${rest%%/*}; printf '%s' "${rest%%:*}"; }
url_port() {
  local rest=${1#*://}; rest=${rest#*@}; rest=${rest%%/*}
  if [[ $rest == *:* ]]; then printf '%s' "${rest##*:}"; else printf '%s' "$2"; fi
}
url_db() { local rest=${1#*://}; rest=${rest#*@}; rest=${rest#*/}; printf '%s' "${rest%%\?*}"; }
is_local() { [[ $1 == 127.0.0.1 || $1 == localhost || $1 == ::1 ]]; }

# true when something accepts TCP connections on host:port
answers() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for() {
  local what=$1 host=$2 port=$3
  for _ in $(seq 1 60); do
    if answers "$host" "$port"; then return 0; fi
    sleep 0.5
  done
  say "$what did not start answering on $host:$port within 30 s"
  return 1
}

apt_install() {
  if [[ $(id -u) -ne 0 ]]; then
    say "missing: $* — install it (Debian: sudo apt-get install -y $*) or point the URL at a running server"
    return 1
  fi
  say "installing $* from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
  local host port
  host=$(url_host "$DATABASE_URL"); port=$(url_port "$DATABASE_URL" 5432)
  if answers "$host" "$port"; then return 0; fi
  if ! is_local "$host"; then say "Postgres at $host:$port does not answer"; return 1; fi
  if ! compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; then
    apt_install postgresql postgresql-client
  fi
  if ! compgen -G "/etc/postgresql/*/main" >/dev/null; then
    local version; version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    say "creating a Postgres $version cluster"
    pg_createcluster "$version" main >/dev/null
  fi
  say "starting Postgres"
  local version; version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for Postgres "$host" "$port"
}

ensure_redis() {
  local host port
  host=$(url_host "$REDIS_URL"); port=$(url_port "$REDIS_URL" 6379)
  if answers "$host" "$port"; then return 0; fi
  if ! is_local "$host"; then say "Redis at $host:$port does not answer"; return 1; fi
  command -v redis-server >/dev/null || apt_install redis-server
  say "starting Redis on port $port"
  mkdir -p /tmp/voting-game-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
    --dir /tmp/voting-game-redis --logfile /tmp/voting-game-redis/redis.log
  wait_for Redis "$host" "$port"
}

# psql as the URL's user over TCP; falls back to the local postgres superuser via the socket.
run_sql() {
  local sql=$1 admin_url
  admin_url="${DATABASE_URL%/*}/postgres"
  if command -v psql >/dev/null && psql "$admin_url" -qtAc "$sql" 2>/dev/null; then return 0; fi
  if [[ $(id -u) -eq 0 ]] && command -v runuser >/dev/null; then
    runuser -u postgres -- psql -qtAc "$sql"
    return $?
  fi
  return 1
}

ensure_database() {
  local db; db=$(url_db "$DATABASE_URL")
  [[ -n $db ]] || return 0
  if run_sql "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then return 0; fi
  say "creating database $db"
  run_sql "CREATE DATABASE \"$db\"" >/dev/null || true
  # A fresh Debian cluster trusts only the local socket: let the app's TCP user in, as a
  # development convenience (trust for 127.0.0.1 only, never for remote hosts).
  if ! psql "$DATABASE_URL" -qtAc "SELECT 1" >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]]; then
    local hba; hba=$(runuser -u postgres -- psql -qtAc "SHOW hba_file")
    say "allowing local TCP connections in $hba"
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    runuser -u postgres -- psql -qtAc "SELECT pg_reload_conf()" >/dev/null
  fi
}

ensure_services() {
  if [[ -f .env ]]; then
    # Only fill what the environment does not already say.
    while IFS='=' read -r key value; do
      [[ $key =~ ^[A-Z_]+$ ]] || continue
      [[ -n ${!key:-} ]] || export "$key=$value"
    done < <(grep -E '^[A-Z_]+=' .env)
  fi
  export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/voting_game}
  export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
  ensure_postgres
  ensure_redis
  ensure_database
  say "Postgres and Redis are ready"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  cd "$(dirname "$0")/.."
  ensure_services
fi
