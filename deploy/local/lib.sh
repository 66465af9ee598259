# shellcheck shell=bash
# Shared helpers for the local dev stack (deploy/local/up, down, test).
# Source it; it does nothing by itself. Every function either succeeds or
# stops the script with a message that says what to do next.

set -euo pipefail

FERRULE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# FERRULE_LOCAL_DIR: pid files, logs, keys and passwords of one local stack (another dir, another stack).
FERRULE_LOCAL_DIR="${FERRULE_LOCAL_DIR:-$FERRULE_ROOT/.local}"
FERRULE_RUN_DIR="$FERRULE_LOCAL_DIR/run"
FERRULE_LOG_DIR="$FERRULE_LOCAL_DIR/logs"

# Where the local services live. Override any of these in the environment.
FERRULE_PG_HOST="${FERRULE_PG_HOST:-127.0.0.1}"
FERRULE_PG_PORT="${FERRULE_PG_PORT:-5432}"
FERRULE_PG_USER="${FERRULE_PG_USER:-postgres}"
FERRULE_REDIS_HOST="${FERRULE_REDIS_HOST:-127.0.0.1}"
FERRULE_REDIS_PORT="${FERRULE_REDIS_PORT:-6379}"
FERRULE_NATS_HOST="${FERRULE_NATS_HOST:-127.0.0.1}"
FERRULE_NATS_PORT="${FERRULE_NATS_PORT:-4222}"
# FERRULE_NATS_STORE_DIR: JetStream store when we start NATS ourselves
# (default /var/lib/nats-server as root, else .local/nats).
# The S3 server of media (s3s-fs) when we start it ourselves; its keys are the local defaults of
# media-store's S3Config, and its objects live under FERRULE_S3_DATA_DIR (default .local/s3).
FERRULE_S3_HOST="${FERRULE_S3_HOST:-127.0.0.1}"
FERRULE_S3_PORT="${FERRULE_S3_PORT:-8014}"
FERRULE_S3_ACCESS_KEY="${FERRULE_S3_ACCESS_KEY:-ferrule-local}"
FERRULE_S3_SECRET_KEY="${FERRULE_S3_SECRET_KEY:-ferrule-local-secret}"
FERRULE_S3_DATA_DIR="${FERRULE_S3_DATA_DIR:-$FERRULE_LOCAL_DIR/s3}"

# ---------------------------------------------------------------- messages

if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
    _c_bold=$'\033[1m' _c_red=$'\033[31m' _c_yellow=$'\033[33m' _c_reset=$'\033[0m'
else
    _c_bold='' _c_red='' _c_yellow='' _c_reset=''
fi

step() { printf '%s==> %s%s\n' "$_c_bold" "$*" "$_c_reset"; }
info() { printf '    %s\n' "$*"; }
warn() { printf '%swarning:%s %s\n' "$_c_yellow" "$_c_reset" "$*" >&2; }

# die MESSAGE [HINT...]: print the error and what to do next, then exit 1.
die() {
    printf '%serror:%s %s\n' "$_c_red" "$_c_reset" "$1" >&2
    shift
    local line
    for line in "$@"; do
        printf '       %s\n' "$line" >&2
    done
    exit 1
}

have() { command -v "$1" >/dev/null 2>&1; }

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# ---------------------------------------------------------------- packages

_ferrule_apt_updated=0

# apt_install PKG...: install Debian packages (root only; apt-get update once per run).
apt_install() {
    if ! is_root; then
        die "missing: $*" \
            "Install it, then run this again:  sudo apt-get install -y $*"
    fi
    if ! have apt-get; then
        die "missing: $* (and no apt-get to install it with)" \
            "Install $* with your system's package manager, then run this again."
    fi
    if [[ "$_ferrule_apt_updated" -eq 0 ]]; then
        step "Updating the apt package lists…"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq \
            || die "apt-get update failed" "Check the network/apt sources, then run this again."
        _ferrule_apt_updated=1
    fi
    step "Installing $*…"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
        || die "apt-get install $* failed" "Install it by hand, then run this again."
}

# ensure_command CMD [DEBIAN_PACKAGE]: make sure CMD is on PATH, installing it if we may.
ensure_command() {
    local cmd="$1" pkg="${2:-$1}"
    have "$cmd" && return 0
    apt_install "$pkg"
    have "$cmd" || die "$cmd is still not on PATH after installing $pkg"
}

# as_root CMD...: run a command with root rights (directly, or via passwordless sudo).
as_root() {
    if is_root; then
        "$@"
    elif have sudo && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        return 126
    fi
}

# ---------------------------------------------------------------- probes

# tcp_open HOST PORT: true if something accepts TCP connections there.
tcp_open() {
    local host="$1" port="$2"
    # shellcheck disable=SC2016 # $0/$1 expand in the child bash, on purpose.
    if have timeout; then
        timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null
    else
        bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null
    fi
}

# wait_until SECONDS DESCRIPTION CMD...: poll CMD every half second until it succeeds
# (fails once SECONDS have passed; DESCRIPTION documents the call site).
wait_until() {
    local seconds="$1"
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@"; do
        if ((SECONDS >= deadline)); then
            return 1
        fi
        sleep 0.5
    done
}

# ---------------------------------------------------------------- toolchain

ensure_rust() {
    if ! have cargo && [[ -x "$HOME/.cargo/bin/cargo" ]]; then
        export PATH="$HOME/.cargo/bin:$PATH"
    fi
    if ! have cargo; then
        die "the Rust toolchain (cargo) is not installed or not on PATH" \
            "Install it with rustup (https://rustup.rs):" \
            "  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y" \
            "then open a new shell (or: source \"\$HOME/.cargo/env\") and run this again."
    fi
}

# ensure_node: Node.js 20 or later with npm (the TypeScript client and the web apps).
ensure_node() {
    if ! have node || ! have npm; then
        apt_install nodejs npm
    fi
    local major
    major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
    [[ "$major" -ge 20 ]] || die "Node.js $(node --version 2>/dev/null || echo '?') is too old (20 or later is needed)" \
        "Install Node.js 20 (https://nodejs.org or your distribution's nodejs package), then run this again."
}

# The pinned schemathesis (the contract tests), in a virtualenv of its own.
FERRULE_SCHEMATHESIS_VERSION="${FERRULE_SCHEMATHESIS_VERSION:-4.32.5}"
FERRULE_TOOLS_DIR="${FERRULE_TOOLS_DIR:-$HOME/.cache/ferrule-tools}"

# ensure_schemathesis: put the pinned `st` on PATH (installing it from PyPI if missing).
ensure_schemathesis() {
    local venv="$FERRULE_TOOLS_DIR/schemathesis-$FERRULE_SCHEMATHESIS_VERSION"
    if [[ ! -x "$venv/bin/st" ]]; then
        have python3 || apt_install python3 python3-venv
        python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv && python3 -m venv "$venv"; } \
            || die "cannot create a Python virtualenv at $venv" "Install python3-venv, then run this again."
        step "Installing schemathesis $FERRULE_SCHEMATHESIS_VERSION (from PyPI)…"
        "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$FERRULE_SCHEMATHESIS_VERSION" \
            || { rm -rf "$venv"; die "pip could not install schemathesis $FERRULE_SCHEMATHESIS_VERSION" \
                "Check access to PyPI, then run this again."; }
    fi
    export PATH="$venv/bin:$PATH"
}

# The pinned sqlx-cli (`cargo sqlx prepare`: the offline data of the compile-time checked queries).
FERRULE_SQLX_CLI_VERSION="${FERRULE_SQLX_CLI_VERSION:-0.8.6}"

# ensure_sqlx_cli: put the pinned `cargo-sqlx` on PATH (building it from crates.io if missing).
ensure_sqlx_cli() {
    ensure_rust
    local root="$FERRULE_TOOLS_DIR/sqlx-cli-$FERRULE_SQLX_CLI_VERSION"
    if [[ ! -x "$root/bin/cargo-sqlx" ]]; then
        step "Installing sqlx-cli $FERRULE_SQLX_CLI_VERSION (from crates.io; a few minutes)…"
        cargo install sqlx-cli --version "$FERRULE_SQLX_CLI_VERSION" --no-default-features \
            --features postgres,rustls --locked --root "$root" --quiet \
            || die "cargo could not install sqlx-cli $FERRULE_SQLX_CLI_VERSION" \
                "Check access to crates.io, then run this again."
    fi
    export PATH="$root/bin:$PATH"
}

# sqlx_prepare [--check]: run `cargo sqlx prepare --workspace` (with --check: only compare) against
# a scratch database migrated with migrations/write, dropped afterwards. Each crate's compile-time
# checked queries are described in .sqlx/, which builds read instead of a database.
sqlx_prepare() {
    ensure_sqlx_cli
    ensure_postgres
    local db="ferrule_sqlx_$$_$RANDOM"
    local url
    url="$(pg_url "$db")"
    # shellcheck disable=SC2064 # expand now: the trap must drop this very database.
    trap "psql_admin -c 'DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)' >/dev/null 2>&1 || true" EXIT
    step "Creating scratch database $db with the write migrations…"
    psql_admin -c "CREATE DATABASE \"$db\"" >/dev/null
    sqlx migrate run --source "$FERRULE_ROOT/migrations/write" --database-url "$url" >/dev/null \
        || die "the write migrations did not apply to $db"
    step "Running cargo sqlx prepare --workspace $*…"
    (cd "$FERRULE_ROOT" && DATABASE_URL="$url" cargo sqlx prepare --workspace "$@" -- --all-targets)
}

# export_test_env: the variables the integration tests read (values already set win).
export_test_env() {
    export FERRULE_TEST_DATABASE_URL="${FERRULE_TEST_DATABASE_URL:-$(pg_url postgres)}"
    export FERRULE_TEST_NATS_URL="${FERRULE_TEST_NATS_URL:-nats://$FERRULE_NATS_HOST:$FERRULE_NATS_PORT}"
    export FERRULE_TEST_REDIS_URL="${FERRULE_TEST_REDIS_URL:-redis://$FERRULE_REDIS_HOST:$FERRULE_REDIS_PORT}"
    export FERRULE_TEST_S3_URL="${FERRULE_TEST_S3_URL:-$(s3_url)}"
}

# ---------------------------------------------------------------- PostgreSQL

_pg_ready() {
    if have pg_isready; then
        pg_isready -q -h "$FERRULE_PG_HOST" -p "$FERRULE_PG_PORT"
    else
        tcp_open "$FERRULE_PG_HOST" "$FERRULE_PG_PORT"
    fi
}

# psql_admin ARGS...: psql as the admin role against the maintenance database.
psql_admin() {
    PGCONNECT_TIMEOUT=5 psql -X -w -v ON_ERROR_STOP=1 -q \
        -h "$FERRULE_PG_HOST" -p "$FERRULE_PG_PORT" -U "$FERRULE_PG_USER" -d postgres "$@"
}

# _pg_cluster: "VERSION NAME" of the local Debian cluster on our port (empty if none).
_pg_cluster() {
    have pg_lsclusters || return 0
    pg_lsclusters -h 2>/dev/null | awk -v p="$FERRULE_PG_PORT" '$3 == p { print $1, $2; exit }'
}

# After we installed PostgreSQL ourselves: let local TCP connections in without a
# password, as the rest of the dev stack (and the test suite) expects.
_pg_trust_loopback() {
    local version="$1" name="$2"
    local hba="/etc/postgresql/$version/$name/pg_hba.conf"
    [[ -f "$hba" ]] || return 0
    info "Allowing password-less connections from 127.0.0.1/::1 (dev only) in $hba"
    sed -i -E \
        -e 's#^(host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+).*#\1trust#' \
        -e 's#^(host[[:space:]]+all[[:space:]]+all[[:space:]]+::1/128[[:space:]]+).*#\1trust#' \
        "$hba"
}

_pg_is_local() {
    [[ "$FERRULE_PG_HOST" == "127.0.0.1" || "$FERRULE_PG_HOST" == "localhost" || "$FERRULE_PG_HOST" == "::1" ]]
}

ensure_postgres() {
    ensure_command psql postgresql-client
    ensure_command pg_isready postgresql-client
    if _pg_ready; then
        info "PostgreSQL is running on $FERRULE_PG_HOST:$FERRULE_PG_PORT."
    else
        _pg_is_local || die "PostgreSQL at $FERRULE_PG_HOST:$FERRULE_PG_PORT is not answering" \
            "Start it, or unset FERRULE_PG_HOST to use a local one."

        local fresh=0
        if ! have pg_ctlcluster || [[ -z "$(_pg_cluster)" ]]; then
            apt_install postgresql
            fresh=1
        fi
        local cluster version name
        cluster="$(_pg_cluster)"
        [[ -n "$cluster" ]] || die "no PostgreSQL cluster is configured on port $FERRULE_PG_PORT" \
            "List them with: pg_lsclusters   (create one with: pg_createcluster 15 main --start)"
        read -r version name <<<"$cluster"
        if [[ "$fresh" -eq 1 ]]; then
            _pg_trust_loopback "$version" "$name"
            # Debian's postinst may have started it already: make it re-read pg_hba.conf.
            pg_ctlcluster --skip-systemctl-redirect "$version" "$name" reload >/dev/null 2>&1 || true
        fi

        if ! _pg_ready; then
            step "Starting PostgreSQL $version/$name…"
            local rc=0
            as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start || rc=$?
            if [[ "$rc" -eq 126 ]]; then
                die "PostgreSQL is stopped and starting it needs root" \
                    "Run:  sudo pg_ctlcluster --skip-systemctl-redirect $version $name start"
            fi
        fi
        wait_until 30 "PostgreSQL" _pg_ready \
            || die "PostgreSQL did not come up on $FERRULE_PG_HOST:$FERRULE_PG_PORT within 30s" \
                "See its log: /var/log/postgresql/postgresql-$version-$name.log"
        info "PostgreSQL is ready."
    fi

    local err
    if ! err="$(psql_admin -Atc 'SELECT 1' 2>&1 >/dev/null)"; then
        die "PostgreSQL is up but refuses role '$FERRULE_PG_USER' on $FERRULE_PG_HOST:$FERRULE_PG_PORT: $err" \
            "The dev stack connects without a password. Either allow 'trust' for 127.0.0.1/32 in pg_hba.conf" \
            "and reload PostgreSQL, or export PGPASSWORD (and FERRULE_PG_USER) for a role that can create databases."
    fi
}

# ensure_database NAME: create the database if it does not exist yet.
ensure_database() {
    local db="$1" exists
    exists="$(psql_admin -Atc "SELECT 1 FROM pg_database WHERE datname = '$db'")"
    if [[ "$exists" == "1" ]]; then
        info "Database $db exists."
    else
        step "Creating database $db…"
        createdb -w -h "$FERRULE_PG_HOST" -p "$FERRULE_PG_PORT" -U "$FERRULE_PG_USER" "$db"
    fi
}

# pg_url DB: a connection URL for DB on the local server.
pg_url() {
    printf 'postgres://%s@%s:%s/%s' "$FERRULE_PG_USER" "$FERRULE_PG_HOST" "$FERRULE_PG_PORT" "$1"
}

# ---------------------------------------------------------------- Redis

_redis_ready() {
    if have redis-cli; then
        [[ "$(redis-cli -h "$FERRULE_REDIS_HOST" -p "$FERRULE_REDIS_PORT" ping 2>/dev/null)" == "PONG" ]]
    else
        tcp_open "$FERRULE_REDIS_HOST" "$FERRULE_REDIS_PORT"
    fi
}

ensure_redis() {
    if _redis_ready; then
        info "Redis is running on $FERRULE_REDIS_HOST:$FERRULE_REDIS_PORT."
        return 0
    fi
    have redis-server || apt_install redis-server
    # Debian's postinst may have started it (where there is an init system).
    if _redis_ready; then
        info "Redis is running on $FERRULE_REDIS_HOST:$FERRULE_REDIS_PORT."
        return 0
    fi
    step "Starting Redis on $FERRULE_REDIS_HOST:$FERRULE_REDIS_PORT…"
    redis-server --daemonize yes --bind "$FERRULE_REDIS_HOST" --port "$FERRULE_REDIS_PORT" \
        --save "" --appendonly no >/dev/null \
        || die "redis-server failed to start" "Try it by hand: redis-server --port $FERRULE_REDIS_PORT"
    wait_until 15 "Redis" _redis_ready \
        || die "Redis did not answer PING on $FERRULE_REDIS_HOST:$FERRULE_REDIS_PORT within 15s" \
            "Try it by hand: redis-server --port $FERRULE_REDIS_PORT"
    info "Redis is ready."
}

# ---------------------------------------------------------------- NATS

_nats_ready() { tcp_open "$FERRULE_NATS_HOST" "$FERRULE_NATS_PORT"; }

_nats_server_bin() {
    if have nats-server; then
        command -v nats-server
    elif [[ -x /usr/sbin/nats-server ]]; then
        printf '/usr/sbin/nats-server'
    fi
}

ensure_nats() {
    if _nats_ready; then
        info "NATS is running on $FERRULE_NATS_HOST:$FERRULE_NATS_PORT."
        return 0
    fi
    local bin
    bin="$(_nats_server_bin)"
    if [[ -z "$bin" ]]; then
        apt_install nats-server
        bin="$(_nats_server_bin)"
        [[ -n "$bin" ]] || die "nats-server is still missing after installing it"
        if _nats_ready; then
            info "NATS is running on $FERRULE_NATS_HOST:$FERRULE_NATS_PORT."
            return 0
        fi
    fi

    # JetStream needs a writable store; the system one for root, else one under .local/.
    local store="${FERRULE_NATS_STORE_DIR:-}"
    if [[ -z "$store" ]]; then
        if is_root; then store=/var/lib/nats-server; else store="$FERRULE_LOCAL_DIR/nats"; fi
    fi
    mkdir -p "$store" "$FERRULE_LOG_DIR"
    local log="$FERRULE_LOG_DIR/nats-server.log"
    local args=(-a "$FERRULE_NATS_HOST" -p "$FERRULE_NATS_PORT" -js -sd "$store" -l "$log")

    step "Starting NATS (JetStream) on $FERRULE_NATS_HOST:$FERRULE_NATS_PORT…"
    if have start-stop-daemon; then
        # The pid file ties "already running?" to this instance, not any nats-server.
        mkdir -p "$FERRULE_RUN_DIR"
        start-stop-daemon --start --oknodo --background \
            --pidfile "$FERRULE_RUN_DIR/nats-server-$FERRULE_NATS_PORT.pid" --make-pidfile \
            --exec "$bin" -- "${args[@]}" \
            || die "nats-server failed to start" "Try it by hand: $bin ${args[*]}"
    else
        nohup "$bin" "${args[@]}" </dev/null >/dev/null 2>&1 &
    fi
    wait_until 15 "NATS" _nats_ready \
        || die "NATS did not open $FERRULE_NATS_HOST:$FERRULE_NATS_PORT within 15s" \
            "See its log: $log"
    info "NATS is ready."
}

# ---------------------------------------------------------------- S3 (s3s-fs)

# The pinned s3s-fs: later versions need a newer Rust than the workspace's.
FERRULE_S3FS_VERSION="${FERRULE_S3FS_VERSION:-0.14.1}"

s3_url() { printf 'http://%s:%s' "$FERRULE_S3_HOST" "$FERRULE_S3_PORT"; }

# _s3_ready: any HTTP answer means it listens (s3s-fs answers 403 to anonymous requests).
_s3_ready() { curl -s -o /dev/null --max-time 2 "$(s3_url)/"; }

# ensure_s3fs: print the path of the pinned s3s-fs, building it from crates.io if missing (kept in
# FERRULE_TOOLS_DIR between runs, like the target directory).
ensure_s3fs() {
    local root="$FERRULE_TOOLS_DIR/s3s-fs-$FERRULE_S3FS_VERSION" candidate
    for candidate in "$root/bin/s3s-fs" "$FERRULE_TOOLS_DIR/bin/s3s-fs"; do
        if [[ -x "$candidate" && "$("$candidate" --version 2>/dev/null)" == "s3s-fs $FERRULE_S3FS_VERSION" ]]; then
            printf '%s' "$candidate"
            return 0
        fi
    done
    ensure_rust
    step "Installing s3s-fs $FERRULE_S3FS_VERSION (from crates.io; a few minutes)…" >&2
    # Built in a temporary directory (not the workspace's target cache): it is built once per
    # machine and then kept in FERRULE_TOOLS_DIR.
    env -u CARGO_TARGET_DIR cargo install s3s-fs --version "$FERRULE_S3FS_VERSION" --features binary --locked \
        --root "$root" --quiet >&2 \
        || die "cargo could not install s3s-fs $FERRULE_S3FS_VERSION" \
            "Check access to crates.io, then run this again."
    printf '%s' "$root/bin/s3s-fs"
}

# s3_create_bucket NAME: create the bucket if it is missing (signed with curl's SigV4; answers
# BucketAlreadyOwnedByYou when it exists, which is fine).
s3_create_bucket() {
    local bucket="$1" status
    # S3 wants the payload hash signed too: this is SHA-256 of the empty body.
    status="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X PUT \
        -H 'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' \
        --aws-sigv4 "aws:amz:us-east-1:s3" --user "$FERRULE_S3_ACCESS_KEY:$FERRULE_S3_SECRET_KEY" \
        "$(s3_url)/$bucket")" || status=000
    case "$status" in
        200 | 409) info "S3 bucket $bucket is there." ;;
        *) die "could not create the S3 bucket $bucket at $(s3_url) (HTTP $status)" \
            "Is the server there using other keys? Set FERRULE_S3_ACCESS_KEY/FERRULE_S3_SECRET_KEY, or stop it." ;;
    esac
}

# ensure_s3 BUCKET...: an S3 server on FERRULE_S3_HOST:PORT (one already listening is reused;
# else our s3s-fs is started with the keys, a pid file and a log), and these buckets in it.
ensure_s3() {
    ensure_command curl
    if _s3_ready; then
        info "S3 is running on $(s3_url)."
    else
        local bin log
        bin="$(ensure_s3fs)"
        mkdir -p "$FERRULE_S3_DATA_DIR" "$FERRULE_RUN_DIR" "$FERRULE_LOG_DIR"
        log="$(logfile_of s3s-fs)"
        step "Starting s3s-fs on $(s3_url) (objects in ${FERRULE_S3_DATA_DIR#"$FERRULE_ROOT"/})…"
        # Test objects of earlier runs (t/<uuid>/ prefixes, scratch buckets) are dropped; nothing
        # else uses this server yet, since it is not running.
        rm -rf "$FERRULE_S3_DATA_DIR/ferrule-test" "$FERRULE_S3_DATA_DIR"/ferrule-test-*
        local args=(--host "$FERRULE_S3_HOST" --port "$FERRULE_S3_PORT"
            --access-key "$FERRULE_S3_ACCESS_KEY" --secret-key "$FERRULE_S3_SECRET_KEY" "$FERRULE_S3_DATA_DIR")
        if have setsid; then
            RUST_LOG=warn setsid "$bin" "${args[@]}" </dev/null >>"$log" 2>&1 &
        else
            RUST_LOG=warn nohup "$bin" "${args[@]}" </dev/null >>"$log" 2>&1 &
        fi
        printf '%s\n' "$!" >"$(pidfile_of s3s-fs)"
        wait_until 30 "s3s-fs" _s3_ready \
            || { show_log_tail s3s-fs; die "s3s-fs did not answer on $(s3_url) within 30s" "See its log: $log"; }
        info "s3s-fs is ready (pid $(<"$(pidfile_of s3s-fs)"))."
    fi
    local bucket
    for bucket in "$@"; do
        s3_create_bucket "$bucket"
    done
}

# ---------------------------------------------------------------- our services

pidfile_of() { printf '%s/%s.pid' "$FERRULE_RUN_DIR" "$1"; }
logfile_of() { printf '%s/%s.log' "$FERRULE_LOG_DIR" "$1"; }

# _pid_is NAME PID: true if PID is alive and runs the program called NAME
# (guards against killing an unrelated process that reused a stale pid).
# Looks at argv[0] and argv[1], so a script run by an interpreter matches too.
_pid_is() {
    local name="$1" pid="$2" args=()
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    if [[ -r "/proc/$pid/cmdline" ]]; then
        mapfile -t -n 2 args < <(tr '\0' '\n' <"/proc/$pid/cmdline")
    elif have ps; then
        read -r -a args <<<"$(ps -p "$pid" -o args=)"
    fi
    local arg
    for arg in "${args[@]:0:2}"; do
        [[ "$(basename -- "$arg")" == "$name" ]] && return 0
    done
    return 1
}

# service_pid NAME: print the pid of our running NAME (fails if it is not running).
service_pid() {
    local name="$1" file pid
    file="$(pidfile_of "$name")"
    [[ -f "$file" ]] || return 1
    pid="$(<"$file")"
    _pid_is "$name" "$pid" || return 1
    printf '%s' "$pid"
}

# service_alive NAME: true while the process we recorded for NAME has not exited
# (for the moments right after we started it; stopping uses service_pid).
service_alive() {
    local file pid
    file="$(pidfile_of "$1")"
    [[ -f "$file" ]] || return 1
    pid="$(<"$file")"
    kill -0 "$pid" 2>/dev/null
}

# stop_service NAME: stop a service started by deploy/local/up (TERM, then KILL after 15s).
stop_service() {
    local name="$1" pid file
    file="$(pidfile_of "$name")"
    if ! pid="$(service_pid "$name")"; then
        rm -f "$file"
        return 0
    fi
    step "Stopping $name (pid $pid)…"
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_until 15 "$name shutdown" _pid_gone "$pid"; then
        warn "$name (pid $pid) ignored SIGTERM for 15s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    info "$name stopped."
    rm -f "$file"
}

_pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# start_service NAME BINARY: start BINARY in the background with the current
# environment, logging to .local/logs/NAME.log (the previous log is kept as .log.1).
start_service() {
    local name="$1" bin="$2" log pid
    mkdir -p "$FERRULE_RUN_DIR" "$FERRULE_LOG_DIR"
    log="$(logfile_of "$name")"
    if [[ -f "$log" ]]; then
        mv -f "$log" "$log.1"
    fi
    step "Starting $name…"
    # setsid: the service outlives this script and the terminal it ran in.
    if have setsid; then
        setsid "$bin" </dev/null >>"$log" 2>&1 &
    else
        nohup "$bin" </dev/null >>"$log" 2>&1 &
    fi
    pid=$!
    printf '%s\n' "$pid" >"$(pidfile_of "$name")"
    info "pid $pid, log ${log#"$FERRULE_ROOT"/}"
}

# show_log_tail NAME: print the last lines of a service's log to stderr.
show_log_tail() {
    local log
    log="$(logfile_of "$1")"
    if [[ -s "$log" ]]; then
        printf -- '----- last lines of %s -----\n' "${log#"$FERRULE_ROOT"/}" >&2
        tail -n 40 "$log" >&2
        printf -- '-----\n' >&2
    fi
}

# local_url ADDR: turn a bind address (0.0.0.0:8080, [::]:8080, host:port) into a URL to call.
local_url() {
    local addr="$1" host port
    port="${addr##*:}"
    host="${addr%:*}"
    case "$host" in
        0.0.0.0 | "" | "[::]" | "*") host=127.0.0.1 ;;
        *) ;;
    esac
    printf 'http://%s:%s' "$host" "$port"
}
