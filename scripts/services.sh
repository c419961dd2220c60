#!/usr/bin/env bash
# Makes sure the Postgres and Redis named by DATABASE_URL / REDIS_URL answer, then creates the
# database. Sourced by run.sh, test.sh and bench.sh (which set `-euo pipefail` themselves);
# `scripts/services.sh` on its own does the same and prints the two URLs.
#
#   DATABASE_URL  default postgres://postgres@127.0.0.1:5432/voting_game
#   REDIS_URL     default redis://127.0.0.1:6379
#   (taken from the environment first, then from ./.env, then the defaults)
#
# For a local host (127.0.0.1 / localhost / ::1) that does not answer: a stopped Postgres
# cluster or Redis is started; a missing one is installed from Debian's packages first (root
# only; otherwise it says what to install and fails). A fresh Debian cluster only trusts the
# local socket: if the URL's user cannot log in over TCP, it gets a password (the URL's, or
# "postgres") set through `runuser -u postgres -- psql`, and DATABASE_URL is updated to carry
# it. Remote hosts are only checked, never touched.

say() { printf '[services] %s\n' "$*" >&2; }
is_root() { [[ $(id -u) -eq 0 ]]; }
have() { command -v "$1" >/dev/null 2>&1; }

# --- URLs: scheme://[user[:password]@]host[:port][/path][?query] ------------------------------
url_authority() { local r=${1#*://}; r=${r%%\?*}; printf '%s' "${r%%/*}"; }
url_userinfo() { local a; a=$(url_authority "$1"); [[ $a == *@* ]] && printf '%s' "${a%@*}"; return 0; }
url_user() { local u; u=$(url_userinfo "$1"); printf '%s' "${u%%:*}"; }
url_password() { local u; u=$(url_userinfo "$1"); [[ $u == *:* ]] && printf '%s' "${u#*:}"; return 0; }
url_hostport() { local a; a=$(url_authority "$1"); printf '%s' "${a##*@}"; }
url_host() {
  local hp; hp=$(url_hostport "$1")
  if [[ $hp == \[* ]]; then hp=${hp#[}; printf '%s' "${hp%%]*}"; else printf '%s' "${hp%%:*}"; fi
}
url_port() { # url default-port
  local hp; hp=$(url_hostport "$1"); hp=${hp##*]}
  if [[ $hp == *:* && -n ${hp##*:} ]]; then printf '%s' "${hp##*:}"; else printf '%s' "$2"; fi
}
url_db() { # the path without its leading slash, e.g. voting_game
  local r=${1#*://}; r=${r%%\?*}
  [[ $r == */* ]] && printf '%s' "${r#*/}"; return 0
}
url_with_db() { # url dbname: the same server and credentials, another database
  local url=$1 query=''
  [[ $url == *\?* ]] && query="?${url#*\?}"
  printf '%s://%s/%s%s' "${url%%://*}" "$(url_authority "$url")" "$2" "$query"
}
redact() { # the URL with its password replaced by ***
  local p; p=$(url_password "$1")
  if [[ -n $p ]]; then printf '%s' "${1/":$p@"/":***@"}"; else printf '%s' "$1"; fi
}
is_local() { [[ $1 == 127.0.0.1 || $1 == localhost || $1 == ::1 ]]; }

# --- probes ---------------------------------------------------------------------------------
tcp_answers() { # host port: something accepts TCP connections there
  # shellcheck disable=SC2016 # $0/$1 expand in the inner bash
  timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}
postgres_ready() { # host port
  if have pg_isready; then pg_isready -q -h "$1" -p "$2" -t 3; else tcp_answers "$1" "$2"; fi
}
redis_ready() { # host port
  if have redis-cli; then
    local password reply
    password=$(url_password "$REDIS_URL")
    if [[ -n $password ]]; then
      reply=$(REDISCLI_AUTH=$password timeout 3 redis-cli -h "$1" -p "$2" ping 2>/dev/null)
    else
      reply=$(timeout 3 redis-cli -h "$1" -p "$2" ping 2>/dev/null)
    fi
    [[ $reply == PONG ]]
  else
    tcp_answers "$1" "$2"
  fi
}
wait_until_ready() { # name probe host port
  local name=$1 probe=$2 host=$3 port=$4
  say "waiting for $name on $host:$port (up to 30 s)"
  for _ in $(seq 1 30); do
    if "$probe" "$host" "$port"; then say "$name answers on $host:$port"; return 0; fi
    sleep 1
  done
  say "$name did not answer on $host:$port within 30 s"
  return 1
}

# --- installing -----------------------------------------------------------------------------
apt_install() { # packages…
  if ! is_root; then
    say "missing: $* — install it first (Debian: sudo apt-get install -y $*),"
    say "or point DATABASE_URL / REDIS_URL at servers that are running"
    return 1
  fi
  say "installing $* from Debian's packages (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || return 1
  apt-get install -y -qq -o Dpkg::Options::=--force-confold "$@" >/dev/null || return 1
}

# --- Postgres -------------------------------------------------------------------------------
start_postgres() { # port
  local port=$1 version cluster
  if ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
    apt_install postgresql postgresql-client || return 1
  fi
  # The cluster that listens on this port (installing the package creates 15/main on 5432).
  cluster=$(pg_lsclusters -h 2>/dev/null | awk -v p="$port" '$3 == p { print $1, $2; exit }')
  if [[ -z $cluster ]]; then
    if [[ -n $(pg_lsclusters -h 2>/dev/null) ]]; then
      say "no Postgres cluster listens on port $port; clusters here:"
      pg_lsclusters >&2
      say "point DATABASE_URL at one of them"
      return 1
    fi
    is_root || { say "Postgres has no cluster: create one as root (pg_createcluster)"; return 1; }
    version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
    say "creating Postgres cluster $version/main on port $port"
    pg_createcluster --port "$port" "$version" main >/dev/null || return 1
    cluster="$version main"
  fi
  # shellcheck disable=SC2086 # "$version main" is two words on purpose
  set -- $cluster
  if ! is_root && [[ $(id -un) != postgres ]]; then
    say "Postgres $1/$2 is stopped; start it as root: pg_ctlcluster --skip-systemctl-redirect $1 $2 start"
    return 1
  fi
  say "starting Postgres $1/$2: pg_ctlcluster --skip-systemctl-redirect $1 $2 start"
  # "already running" (e.g. still starting up) is fine: the wait below decides.
  pg_ctlcluster --skip-systemctl-redirect "$1" "$2" start || true
}

ensure_postgres() { ensure_service Postgres postgres_ready start_postgres "$DATABASE_URL" 5432; }

# --- Redis ----------------------------------------------------------------------------------
start_redis() { # port
  local port=$1 dir logdir
  have redis-server || apt_install redis-server || return 1
  dir=/var/lib/redis logdir=/var/log/redis
  if [[ ! -d $dir || ! -w $dir || ! -d $logdir || ! -w $logdir ]]; then
    dir=${TMPDIR:-/tmp}/voting-game-redis logdir=$dir
    mkdir -p "$dir" || return 1
  fi
  say "starting Redis on 127.0.0.1:$port (no persistence, log $logdir/redis-$port.log)"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$port" --save '' --appendonly no \
    --dir "$dir" --logfile "$logdir/redis-$port.log" --pidfile "$dir/redis-$port.pid" || return 1
}

ensure_redis() { ensure_service Redis redis_ready start_redis "$REDIS_URL" 6379; }

# ensure_service name ready-check start url default-port: the service answers already, or (only
# when it is on this machine) it is started and waited for.
ensure_service() {
  local name=$1 ready=$2 start=$3 host port
  host=$(url_host "$4"); port=$(url_port "$4" "$5")
  say "checking $name on $host:$port"
  if "$ready" "$host" "$port"; then say "$name answers on $host:$port"; return 0; fi
  if ! is_local "$host"; then
    say "$name at $host:$port does not answer (not a local host: not starting anything)"
    return 1
  fi
  if tcp_answers "$host" "$port"; then
    say "something listens on $host:$port but does not answer like $name yet; waiting"
  else
    "$start" "$port" || return 1
  fi
  wait_until_ready "$name" "$ready" "$host" "$port"
}

# --- database -------------------------------------------------------------------------------
psql_url() { # url sql…: one query, no prompts, tuples only
  local url=$1; shift
  PGCONNECT_TIMEOUT=5 psql "$url" -X -w -q -v ON_ERROR_STOP=1 -tA -c "$@"
}

with_dev_password() { # url without a password: the same with user (default postgres):postgres
  local url=$1 rest user
  rest=${url#*://}; user=$(url_user "$url")
  printf '%s://%s:postgres@%s' "${url%%://*}" "${user:-postgres}" "${rest#*@}"
}

# psql as the postgres superuser over the local socket of the cluster on that port (root only).
psql_as_postgres() { # port psql-args…
  local port=$1; shift
  (cd / && runuser -u postgres -- psql -X -q -p "$port" -v ON_ERROR_STOP=1 -tA "$@")
}

# Lets the URL's user log in over TCP with a password (local servers, as root only).
set_local_password() {
  local user password sql port
  port=$(url_port "$DATABASE_URL" 5432)
  user=$(url_user "$DATABASE_URL"); user=${user:-postgres}
  password=$(url_password "$DATABASE_URL"); password=${password:-postgres}
  say "cannot log in as $user over TCP; setting a password for role $user (local development)"
  sql="DO \$\$ BEGIN
         IF EXISTS (SELECT FROM pg_roles WHERE rolname = '${user//\'/\'\'}') THEN
           ALTER ROLE \"${user//\"/\"\"}\" LOGIN PASSWORD '${password//\'/\'\'}';
         ELSE
           CREATE ROLE \"${user//\"/\"\"}\" LOGIN CREATEDB PASSWORD '${password//\'/\'\'}';
         END IF;
       END \$\$"
  psql_as_postgres "$port" -c "$sql" >/dev/null || return 1
  if [[ -z $(url_password "$DATABASE_URL") ]]; then
    DATABASE_URL=$(with_dev_password "$DATABASE_URL")
    say "DATABASE_URL now carries that password: $(redact "$DATABASE_URL")"
  fi
}

ensure_database() {
  local db host admin err
  db=$(url_db "$DATABASE_URL"); host=$(url_host "$DATABASE_URL")
  if ! have psql; then
    say "psql is needed to create the database"
    apt_install postgresql-client || return 1
  fi
  admin=$(url_with_db "$DATABASE_URL" postgres)
  if ! err=$(psql_url "$admin" 'SELECT 1' 2>&1 >/dev/null); then
    # An earlier run may already have given the role the development password.
    if [[ -z $(url_password "$DATABASE_URL") ]] && is_local "$host" &&
      psql_url "$(with_dev_password "$admin")" 'SELECT 1' >/dev/null 2>&1; then
      DATABASE_URL=$(with_dev_password "$DATABASE_URL")
      admin=$(url_with_db "$DATABASE_URL" postgres)
      say "logging in with the development password: $(redact "$DATABASE_URL")"
    elif is_local "$host" && is_root && have runuser; then
      set_local_password || return 1
      admin=$(url_with_db "$DATABASE_URL" postgres)
      err=$(psql_url "$admin" 'SELECT 1' 2>&1 >/dev/null) || {
        say "still cannot log in to Postgres: $err"
        say "check the host lines of $(psql_as_postgres "$(url_port "$DATABASE_URL" 5432)" -c 'SHOW hba_file')"
        return 1
      }
    else
      say "cannot log in to Postgres: $err"
      say "fix the user/password in DATABASE_URL, or run this once as root to set them up"
      return 1
    fi
  fi
  [[ -n $db ]] || { say "DATABASE_URL names no database; nothing to create"; return 0; }
  local exists="SELECT 1 FROM pg_database WHERE datname = '${db//\'/\'\'}'"
  if [[ $(psql_url "$admin" "$exists") == 1 ]]; then
    say "database $db exists"
    return 0
  fi
  say "creating database $db"
  if ! err=$(psql_url "$admin" "CREATE DATABASE \"${db//\"/\"\"}\"" 2>&1 >/dev/null); then
    # Another process may have created it at the same moment: that is fine.
    if [[ $(psql_url "$admin" "$exists") == 1 ]]; then return 0; fi
    say "could not create database $db: $err"
    return 1
  fi
}

# True when the URL's role may create databases (#[sqlx::test] makes one per test).
can_create_databases() {
  [[ $(psql_url "$(url_with_db "$DATABASE_URL" postgres)" \
    'SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user') == t ]]
}

# Fills DATABASE_URL / REDIS_URL from ./.env when the environment does not set them.
load_urls_from_dotenv() {
  [[ -f .env ]] || return 0
  local line key value
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?(DATABASE_URL|REDIS_URL)[[:space:]]*=(.*)$ ]] ||
      continue
    key=${BASH_REMATCH[2]}
    value=${BASH_REMATCH[3]}
    value=${value#"${value%%[![:space:]]*}"}; value=${value%"${value##*[![:space:]]}"}
    if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then value=${BASH_REMATCH[1]}; fi
    if [[ -z ${!key:-} && -n $value ]]; then
      say "$key from .env"
      export "$key=$value"
    fi
  done <.env
}

ensure_services() {
  load_urls_from_dotenv
  export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/voting_game}
  export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
  ensure_postgres || return 1
  # REDIS_URL=memory: a single node that keeps its live state in-process, no Redis to start.
  if [[ $REDIS_URL == memory ]]; then
    ensure_database || return 1
    export DATABASE_URL REDIS_URL
    say "Postgres is ready (REDIS_URL=memory: no Redis)"
    return 0
  fi
  ensure_redis || return 1
  ensure_database || return 1
  export DATABASE_URL REDIS_URL
  say "Postgres and Redis are ready"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  cd "$(dirname "$0")/.."
  ensure_services
  # Passwords masked: `source scripts/services.sh && ensure_services` exports the real URLs.
  printf 'DATABASE_URL=%s\nREDIS_URL=%s\n' "$(redact "$DATABASE_URL")" "$(redact "$REDIS_URL")"
fi
