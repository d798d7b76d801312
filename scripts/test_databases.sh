#!/usr/bin/env bash
# Provision local PostgreSQL and MariaDB servers for the test suite.
#
# Called by `make test` before pytest. For each database it either:
#   * uses LAKEHOUSE_TEST_PG_URL / LAKEHOUSE_TEST_MYSQL_URL from the environment
#     as given (only checks they are reachable), or
#   * uses a server already listening on 127.0.0.1 (5432 / 3306), or
#   * installs (apt, root only) and starts a local server bound to 127.0.0.1,
# then creates (idempotently) the test role/user `lakehouse_test` and the
# database `lakehouse_test`, and writes <repo>/.test-databases.env with
#   LAKEHOUSE_TEST_PG_URL=...
#   LAKEHOUSE_TEST_MYSQL_URL=...
#
# Nothing that already exists is dropped or altered (servers are not
# restarted, existing roles/users/databases/configs are left as they are);
# the only change to existing objects is GRANTs on the test database.
#
# Works without systemd (containers / CI): servers are started with
# pg_ctlcluster and mysqld_safe, in the background.
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "$0")/.." && pwd)"
ENV_FILE="$ROOT_DIR/.test-databases.env"

# Throwaway, test-only credentials for a local test database bound to
# 127.0.0.1. NOT a secret; never reuse for anything real.
TEST_USER="lakehouse_test"
TEST_PASSWORD="lakehouse_test"
TEST_DB="lakehouse_test"

PG_PORT_DEFAULT=5432
MYSQL_PORT=3306
WAIT_SECONDS="${LAKEHOUSE_TEST_DB_WAIT_SECONDS:-60}"

SUMMARY=()
APT_UPDATED=0

log() { printf '[test-databases] %s\n' "$*" >&2; }
die() {
    printf '[test-databases] ERROR: %s\n' "$1" >&2
    shift || true
    local line
    for line in "$@"; do printf '    %s\n' "$line" >&2; done
    exit 1
}
note() { SUMMARY+=("$*"); }

is_root() { [ "$(id -u)" -eq 0 ]; }

# True if something accepts TCP connections on host:port.
port_open() {
    local host="$1" port="$2"
    timeout 2 bash -c ": </dev/tcp/$host/$port" >/dev/null 2>&1
}

# Percent-decode (URLs may contain %40 etc. in the password).
urldecode() {
    local s="${1//+/ }"
    printf '%b' "${s//%/\\x}"
}

# Parse scheme://user:pass@host:port/db?query into URL_* variables.
parse_url() {
    local url="$1" rest auth hostport
    URL_SCHEME="${url%%://*}"
    rest="${url#*://}"
    URL_USER="" URL_PASS="" URL_HOST="" URL_PORT="" URL_DB=""
    if [[ "$rest" == *@* ]]; then
        auth="${rest%@*}"
        rest="${rest##*@}"
        URL_USER="$(urldecode "${auth%%:*}")"
        if [[ "$auth" == *:* ]]; then URL_PASS="$(urldecode "${auth#*:}")"; fi
    fi
    hostport="${rest%%/*}"
    hostport="${hostport%%\?*}"
    if [[ "$rest" == */* ]]; then
        URL_DB="${rest#*/}"
        URL_DB="${URL_DB%%\?*}"
    fi
    if [[ "$hostport" == \[*\]* ]]; then # [ipv6]:port
        URL_HOST="${hostport%%]*}"
        URL_HOST="${URL_HOST#[}"
        [[ "$hostport" == *\]:* ]] && URL_PORT="${hostport##*]:}"
    else
        URL_HOST="${hostport%%:*}"
        [[ "$hostport" == *:* ]] && URL_PORT="${hostport##*:}"
    fi
}

apt_install() {
    if ! is_root; then
        return 1
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        die "apt-get not found; cannot install: $*" \
            "Install $* with your package manager, or point the tests at existing servers"
    fi
    export DEBIAN_FRONTEND=noninteractive
    if [ "$APT_UPDATED" -eq 0 ]; then
        log "apt-get update"
        apt-get update -qq >/dev/null
        APT_UPDATED=1
    fi
    log "apt-get install $*"
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>/tmp/.test-databases-apt.$$ || {
        cat /tmp/.test-databases-apt.$$ >&2
        rm -f /tmp/.test-databases-apt.$$
        die "apt-get install $* failed"
    }
    rm -f /tmp/.test-databases-apt.$$
}

wait_for() { # description, command...
    local what="$1" i
    shift
    for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.5
    done
    return 1
}

# --------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------

pg_instructions=(
    "Either install and start PostgreSQL yourself, e.g. as root:"
    "    apt-get install postgresql && pg_ctlcluster <version> main start"
    "  and rerun this script as root (it creates user/database '$TEST_USER'),"
    "or point the tests at an existing server:"
    "    export LAKEHOUSE_TEST_PG_URL=postgresql://USER:PASSWORD@HOST:5432/DBNAME"
)

# Run a command as the postgres OS user (local superuser via peer auth).
as_postgres() {
    if [ "$(id -un)" = postgres ]; then
        "$@"
    elif is_root; then
        runuser -u postgres -- "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n -u postgres true 2>/dev/null; then
        sudo -n -u postgres -- "$@"
    else
        return 1
    fi
}

pg_super_psql() { # port, extra psql args...
    local port="$1"
    shift
    as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres -tA "$@"
}

pg_user_ok() { # port
    PGPASSWORD="$TEST_PASSWORD" PGCONNECT_TIMEOUT=5 psql -X -q -w -tA \
        -h 127.0.0.1 -p "$1" -U "$TEST_USER" -d "$TEST_DB" -c 'select 1' >/dev/null 2>&1
}

pg_check_given_url() {
    local url="$LAKEHOUSE_TEST_PG_URL" libpq_url
    parse_url "$url"
    case "$URL_SCHEME" in
        postgres | postgresql | postgresql+*) ;;
        *) die "LAKEHOUSE_TEST_PG_URL must be a postgresql:// URL (got scheme '$URL_SCHEME')" ;;
    esac
    if ! port_open "${URL_HOST:-127.0.0.1}" "${URL_PORT:-5432}"; then
        die "LAKEHOUSE_TEST_PG_URL: nothing accepts connections on ${URL_HOST:-127.0.0.1}:${URL_PORT:-5432}" \
            "Start that PostgreSQL server, or unset LAKEHOUSE_TEST_PG_URL to let this script provision one."
    fi
    if command -v psql >/dev/null 2>&1; then
        libpq_url="postgresql://${url#*://}" # strip a SQLAlchemy "+driver" suffix
        local err
        if ! err="$(PGCONNECT_TIMEOUT=5 psql -X -q -w -tA "$libpq_url" -c 'select 1' 2>&1 >/dev/null)"; then
            die "LAKEHOUSE_TEST_PG_URL is set but connecting to it failed:" "$err"
        fi
        note "PostgreSQL: using LAKEHOUSE_TEST_PG_URL from the environment (reachable)"
    else
        note "PostgreSQL: using LAKEHOUSE_TEST_PG_URL from the environment (port open; psql not installed, login not checked)"
    fi
    PG_URL="$url"
}

# Newest installed PostgreSQL major version (or empty).
pg_installed_version() {
    local d
    d="$(ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -n1)"
    [ -n "$d" ] || return 0
    d="${d%/bin/postgres}"
    printf '%s\n' "${d##*/}"
}

pg_ensure_server() {
    PG_PORT="$PG_PORT_DEFAULT"
    if port_open 127.0.0.1 "$PG_PORT"; then
        note "PostgreSQL: server already listening on 127.0.0.1:$PG_PORT (left as is)"
        return 0
    fi

    local version
    version="$(pg_installed_version)"
    if [ -z "$version" ] || ! command -v pg_ctlcluster >/dev/null 2>&1 || ! command -v psql >/dev/null 2>&1; then
        if ! is_root; then
            die "PostgreSQL is not running on 127.0.0.1:$PG_PORT and not installed (installing needs root)." \
                "${pg_instructions[@]}"
        fi
        apt_install postgresql postgresql-client
        version="$(pg_installed_version)"
        [ -n "$version" ] || die "postgresql was installed but no server binary was found under /usr/lib/postgresql"
        note "PostgreSQL: installed postgresql $version with apt"
    fi

    if ! is_root && [ "$(id -un)" != postgres ]; then
        die "PostgreSQL $version is installed but not running on 127.0.0.1:$PG_PORT; starting it needs root." \
            "${pg_instructions[@]}"
    fi

    # Pick a cluster: one on port 5432 if any, else the first existing one,
    # else create "<version>/main" on 5432 listening on 127.0.0.1 only.
    local ver="" name="" port="" status="" line
    line="$(pg_lsclusters -h 2>/dev/null | awk -v p="$PG_PORT_DEFAULT" '$3 == p {print; exit}')"
    [ -n "$line" ] || line="$(pg_lsclusters -h 2>/dev/null | head -n1)"
    if [ -n "$line" ]; then
        read -r ver name port status _ <<<"$line"
    else
        ver="$version" name="main" port="$PG_PORT_DEFAULT"
        log "pg_createcluster $ver $name --port $port"
        pg_createcluster "$ver" "$name" --port "$port" >/dev/null
        # Only on the cluster created here: listen on 127.0.0.1 only.
        # (A drop-in, because pg_createcluster -o writes 127.0.0.1 unquoted.)
        install -d -o postgres -g postgres "/etc/postgresql/$ver/$name/conf.d"
        printf "listen_addresses = '127.0.0.1'\n" >"/etc/postgresql/$ver/$name/conf.d/50-lakehouse-test.conf"
        chown postgres:postgres "/etc/postgresql/$ver/$name/conf.d/50-lakehouse-test.conf"
        note "PostgreSQL: created cluster $ver/$name (port $port, listen_addresses=127.0.0.1)"
        status="down"
    fi
    PG_PORT="$port"

    if port_open 127.0.0.1 "$PG_PORT"; then
        note "PostgreSQL: cluster $ver/$name already running on 127.0.0.1:$PG_PORT (left as is)"
    else
        log "pg_ctlcluster $ver $name start"
        # Redirect everything so a caller capturing our output is not held open.
        pg_ctlcluster "$ver" "$name" start </dev/null >/dev/null 2>&1 ||
            die "pg_ctlcluster $ver $name start failed; see /var/log/postgresql/postgresql-$ver-$name.log"
        note "PostgreSQL: started cluster $ver/$name (pg_ctlcluster $ver $name start)"
    fi
    wait_for "postgres" pg_isready -q -h 127.0.0.1 -p "$PG_PORT" ||
        die "PostgreSQL $ver/$name did not accept connections on 127.0.0.1:$PG_PORT within ${WAIT_SECONDS}s" \
            "see /var/log/postgresql/postgresql-$ver-$name.log"
}

pg_ensure_database() { # name: created owned by the test role when missing, never modified otherwise
    local have_db
    have_db="$(pg_super_psql "$PG_PORT" -c "SELECT 1 FROM pg_database WHERE datname = '$1'")"
    if [ "$have_db" = 1 ]; then
        note "PostgreSQL: database $1 already exists (not modified)"
    else
        pg_super_psql "$PG_PORT" -c "CREATE DATABASE $1 OWNER $TEST_USER"
        note "PostgreSQL: created database $1 owned by $TEST_USER"
    fi
}

pg_provision() {
    local have_role
    if ! have_role="$(pg_super_psql "$PG_PORT" -c "SELECT 1 FROM pg_roles WHERE rolname = '$TEST_USER'" 2>/dev/null)"; then
        # No local superuser access (e.g. server in another container).
        if pg_user_ok "$PG_PORT"; then
            note "PostgreSQL: no local superuser access, but $TEST_USER can already log in to $TEST_DB"
            return 0
        fi
        die "PostgreSQL on 127.0.0.1:$PG_PORT: cannot connect as the local superuser (postgres, peer auth over the unix socket) to create '$TEST_USER'." \
            "Run this script as root on the database host, or create the role/database yourself:" \
            "    CREATE ROLE $TEST_USER LOGIN PASSWORD '$TEST_PASSWORD'; CREATE DATABASE $TEST_DB OWNER $TEST_USER;" \
            "or set LAKEHOUSE_TEST_PG_URL to a database you can use."
    fi
    if [ "$have_role" = 1 ]; then
        note "PostgreSQL: role $TEST_USER already exists (not modified)"
    else
        pg_super_psql "$PG_PORT" -c "CREATE ROLE $TEST_USER LOGIN PASSWORD '$TEST_PASSWORD'"
        note "PostgreSQL: created role $TEST_USER"
    fi
    pg_ensure_database "$TEST_DB"
    # The shared Hive metastore's database for the metastore suite (platform_tests/metastore): a database of
    # its own, which the suite empties and re-creates the Hive schema in at its start.
    pg_ensure_database "${TEST_DB}_metastore"
    # Grants on the test database only (no-ops when it is owned by the test role).
    pg_super_psql "$PG_PORT" -c "GRANT ALL PRIVILEGES ON DATABASE $TEST_DB TO $TEST_USER"
    as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d "$TEST_DB" \
        -c "GRANT ALL ON SCHEMA public TO $TEST_USER" >/dev/null

    pg_user_ok "$PG_PORT" ||
        die "PostgreSQL: '$TEST_USER' cannot log in to '$TEST_DB' over TCP (127.0.0.1:$PG_PORT) with the test password." \
            "If the role existed before with another password, or pg_hba.conf does not allow password" \
            "logins from 127.0.0.1, fix that by hand or set LAKEHOUSE_TEST_PG_URL (this script never alters existing roles)."
}

setup_postgres() {
    if [ -n "${LAKEHOUSE_TEST_PG_URL:-}" ]; then
        pg_check_given_url
        return 0
    fi
    pg_ensure_server
    pg_provision
    PG_URL="postgresql://$TEST_USER:$TEST_PASSWORD@127.0.0.1:$PG_PORT/$TEST_DB"
}

# --------------------------------------------------------------------------
# MariaDB / MySQL
# --------------------------------------------------------------------------

mysql_instructions=(
    "Either install and start MariaDB yourself, e.g. as root:"
    "    apt-get install mariadb-server mariadb-client && service mariadb start"
    "  and rerun this script as root (it creates user/database '$TEST_USER'),"
    "or point the tests at an existing server:"
    "    export LAKEHOUSE_TEST_MYSQL_URL=mysql://USER:PASSWORD@HOST:3306/DBNAME"
)

mysql_client() {
    if command -v mariadb >/dev/null 2>&1; then echo mariadb; else echo mysql; fi
}

mysql_admin() {
    if command -v mariadb-admin >/dev/null 2>&1; then echo mariadb-admin; else echo mysqladmin; fi
}

mysql_server_bin() {
    local b
    for b in mariadbd mysqld; do
        if command -v "$b" >/dev/null 2>&1; then command -v "$b"; return 0; fi
        if [ -x "/usr/sbin/$b" ]; then echo "/usr/sbin/$b"; return 0; fi
    done
    return 1
}

# Root over the unix socket (unix_socket auth as OS root, Debian default).
mysql_root() {
    "$(mysql_client)" --protocol=socket -uroot -N -B "$@"
}

mysql_user_ok() {
    MYSQL_PWD="$TEST_PASSWORD" "$(mysql_client)" --connect-timeout=5 -h 127.0.0.1 -P "$MYSQL_PORT" \
        -u "$TEST_USER" "$TEST_DB" -N -B -e 'select 1' >/dev/null 2>&1
}

mysql_check_given_url() {
    local url="$LAKEHOUSE_TEST_MYSQL_URL"
    parse_url "$url"
    case "$URL_SCHEME" in
        mysql | mariadb | mysql+* | mariadb+*) ;;
        *) die "LAKEHOUSE_TEST_MYSQL_URL must be a mysql:// URL (got scheme '$URL_SCHEME')" ;;
    esac
    local host="${URL_HOST:-127.0.0.1}" port="${URL_PORT:-3306}"
    if ! port_open "$host" "$port"; then
        die "LAKEHOUSE_TEST_MYSQL_URL: nothing accepts connections on $host:$port" \
            "Start that MySQL/MariaDB server, or unset LAKEHOUSE_TEST_MYSQL_URL to let this script provision one."
    fi
    if command -v mariadb >/dev/null 2>&1 || command -v mysql >/dev/null 2>&1; then
        local err
        if ! err="$(MYSQL_PWD="$URL_PASS" "$(mysql_client)" --connect-timeout=5 --protocol=tcp \
            -h "$host" -P "$port" ${URL_USER:+-u "$URL_USER"} ${URL_DB:+"$URL_DB"} -N -B -e 'select 1' 2>&1 >/dev/null)"; then
            die "LAKEHOUSE_TEST_MYSQL_URL is set but connecting to it failed:" "$err"
        fi
        note "MariaDB: using LAKEHOUSE_TEST_MYSQL_URL from the environment (reachable)"
    else
        note "MariaDB: using LAKEHOUSE_TEST_MYSQL_URL from the environment (port open; no mysql client, login not checked)"
    fi
    MYSQL_URL="$url"
}

mysql_ensure_server() {
    if port_open 127.0.0.1 "$MYSQL_PORT"; then
        note "MariaDB: server already listening on 127.0.0.1:$MYSQL_PORT (left as is)"
        return 0
    fi

    if ! mysql_server_bin >/dev/null || ! command -v mariadb >/dev/null 2>&1; then
        if ! is_root; then
            die "MariaDB is not running on 127.0.0.1:$MYSQL_PORT and not installed (installing needs root)." \
                "${mysql_instructions[@]}"
        fi
        apt_install mariadb-server mariadb-client
        note "MariaDB: installed mariadb-server/mariadb-client with apt"
        # Some images allow the package to start the service; reuse it then.
        if port_open 127.0.0.1 "$MYSQL_PORT"; then
            note "MariaDB: server started by the package install (left as is)"
            return 0
        fi
    fi
    if ! is_root; then
        die "MariaDB is installed but not running on 127.0.0.1:$MYSQL_PORT; starting it needs root." \
            "${mysql_instructions[@]}"
    fi

    local datadir=/var/lib/mysql logdir=/var/log/mysql
    if [ ! -d "$datadir/mysql" ]; then
        log "mariadb-install-db --datadir=$datadir"
        install -d -o mysql -g mysql -m 0750 "$datadir"
        mariadb-install-db --user=mysql --datadir="$datadir" \
            --auth-root-authentication-method=socket --skip-test-db >/dev/null
        note "MariaDB: initialised data directory $datadir"
    fi
    install -d -o mysql -g mysql -m 0755 /run/mysqld
    install -d -o mysql -g adm -m 2750 "$logdir"

    log "mysqld_safe --bind-address=127.0.0.1 --port=$MYSQL_PORT (background)"
    # setsid + full redirection: the server outlives this script and does not
    # keep the caller's stdout/stderr pipes open. Log to a file, not syslog
    # (no syslog daemon in containers).
    setsid mysqld_safe --skip-syslog --log-error="$logdir/error.log" \
        --bind-address=127.0.0.1 --port="$MYSQL_PORT" \
        </dev/null >/dev/null 2>&1 &
    disown || true

    # Wait for the TCP listener, then for the unix socket used for root
    # access (a TCP ping without credentials would log "Access denied").
    wait_for "mariadb" port_open 127.0.0.1 "$MYSQL_PORT" ||
        die "MariaDB did not accept connections on 127.0.0.1:$MYSQL_PORT within ${WAIT_SECONDS}s" \
            "see $logdir/error.log"
    wait_for "mariadb socket" "$(mysql_admin)" --protocol=socket -uroot ping || true
    note "MariaDB: started with mysqld_safe on 127.0.0.1:$MYSQL_PORT (log: $logdir/error.log)"
}

mysql_provision() {
    if ! mysql_root -e 'select 1' >/dev/null 2>&1; then
        if mysql_user_ok; then
            note "MariaDB: no local root access, but $TEST_USER can already log in to $TEST_DB"
            return 0
        fi
        die "MariaDB on 127.0.0.1:$MYSQL_PORT: cannot connect as root over the unix socket to create '$TEST_USER'." \
            "Run this script as root on the database host, or create the user/database yourself:" \
            "    CREATE DATABASE $TEST_DB; CREATE USER '$TEST_USER'@'%' IDENTIFIED BY '$TEST_PASSWORD';" \
            "    GRANT ALL PRIVILEGES ON \`$TEST_DB\`.* TO '$TEST_USER'@'%';" \
            "or set LAKEHOUSE_TEST_MYSQL_URL to a database you can use."
    fi
    local host existing created=() sql=""
    # Accounts for every way a local TCP/socket client can be matched
    # (avoids being shadowed by host-specific/anonymous accounts).
    for host in localhost 127.0.0.1 ::1; do
        existing="$(mysql_root -e "SELECT COUNT(*) FROM mysql.user WHERE User='$TEST_USER' AND Host='$host'")"
        if [ "$existing" = 0 ]; then
            sql+="CREATE USER '$TEST_USER'@'$host' IDENTIFIED BY '$TEST_PASSWORD';"
            created+=("'$TEST_USER'@'$host'")
        fi
        sql+="GRANT ALL PRIVILEGES ON \`$TEST_DB\`.* TO '$TEST_USER'@'$host';"
    done
    existing="$(mysql_root -e "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='$TEST_DB'")"
    if [ "$existing" = 0 ]; then
        sql="CREATE DATABASE \`$TEST_DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;$sql"
        note "MariaDB: created database $TEST_DB"
    else
        note "MariaDB: database $TEST_DB already exists (not modified)"
    fi
    mysql_root -e "$sql"
    if [ ${#created[@]} -gt 0 ]; then
        note "MariaDB: created user(s) ${created[*]} with ALL on $TEST_DB.*"
    else
        note "MariaDB: user $TEST_USER already exists (not modified; grants on $TEST_DB.* ensured)"
    fi

    mysql_user_ok ||
        die "MariaDB: '$TEST_USER' cannot log in to '$TEST_DB' over TCP (127.0.0.1:$MYSQL_PORT) with the test password." \
            "If the user existed before with another password, fix it by hand or set LAKEHOUSE_TEST_MYSQL_URL" \
            "(this script never alters existing users)."
}

setup_mysql() {
    if [ -n "${LAKEHOUSE_TEST_MYSQL_URL:-}" ]; then
        mysql_check_given_url
        return 0
    fi
    mysql_ensure_server
    mysql_provision
    MYSQL_URL="mysql://$TEST_USER:$TEST_PASSWORD@127.0.0.1:$MYSQL_PORT/$TEST_DB"
}

# --------------------------------------------------------------------------

main() {
    local start=$SECONDS
    setup_postgres
    setup_mysql

    local tmp
    tmp="$(mktemp "$ENV_FILE.XXXXXX")"
    {
        echo "LAKEHOUSE_TEST_PG_URL=$PG_URL"
        echo "LAKEHOUSE_TEST_MYSQL_URL=$MYSQL_URL"
    } >"$tmp"
    chmod 0644 "$tmp"
    mv -f "$tmp" "$ENV_FILE"

    local line
    for line in "${SUMMARY[@]}"; do log "$line"; done
    log "wrote $ENV_FILE ($((SECONDS - start))s)"
}

main "$@"
