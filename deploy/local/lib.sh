# Shared by deploy/local/up, down and test: a private PostgreSQL cluster without Docker.
# Sourced, not run.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SERVICES=(policy-service assignment-service conversation-service channel-gateway)

log() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# PostgreSQL's binaries, installed from apt when missing.
find_pg_bin() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && PGBIN=$dir
    done
    if [ -z "${PGBIN:-}" ]; then
        log "installing PostgreSQL (apt)"
        as_root apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends postgresql >/dev/null
        for dir in /usr/lib/postgresql/*/bin; do
            [ -x "$dir/initdb" ] && PGBIN=$dir
        done
    fi
    [ -n "${PGBIN:-}" ] || die "PostgreSQL's initdb not found after installing"
}

# The server refuses to run as root: as root, run its tools as the postgres user.
pg_run() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Creates DATA and SOCK (owned by whoever runs the server), initialises the cluster if needed.
pg_init() { # data sock superuser-password
    local data=$1 sock=$2 password=$3
    if [ "$(id -u)" -eq 0 ]; then
        install -d -o postgres -g postgres -m 700 "$data"
        install -d -o postgres -g postgres -m 775 "$sock"
    else
        install -d -m 700 "$data"
        install -d -m 775 "$sock"
    fi
    if [ ! -s "$data/PG_VERSION" ]; then
        local pwfile
        pwfile=$(mktemp)
        printf '%s\n' "$password" >"$pwfile"
        chmod 644 "$pwfile"
        pg_run "$PGBIN/initdb" -D "$data" -U postgres --pwfile="$pwfile" \
            --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
        rm -f "$pwfile"
    fi
}

pg_start() { # data sock port [extra server options]
    local data=$1 sock=$2 port=$3 extra=${4:-}
    if pg_run "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        return 0
    fi
    pg_run "$PGBIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t 30 \
        -o "-p $port -k $sock -c listen_addresses=127.0.0.1 $extra" start >/dev/null ||
        { tail -20 "$data/server.log" >&2; die "PostgreSQL did not start (port $port)"; }
}

pg_stop() { # data
    pg_run "$PGBIN/pg_ctl" -D "$1" -m fast -w stop >/dev/null 2>&1 || true
}

pg_psql() { # sock port database [psql args...]
    local sock=$1 port=$2 db=$3
    shift 3
    pg_run "$PGBIN/psql" -h "$sock" -p "$port" -U postgres -v ON_ERROR_STOP=1 -qAt -d "$db" "$@"
}

# Creates DATABASE if missing and applies deploy/sql/init.sql to it (idempotent).
pg_prepare_database() { # sock port database
    local sock=$1 port=$2 db=$3
    if [ -z "$(pg_psql "$sock" "$port" postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
        pg_psql "$sock" "$port" postgres -c "CREATE DATABASE $db" >/dev/null
    fi
    # psql runs as the postgres user: give it the script on standard input.
    pg_psql "$sock" "$port" "$db" -f - <"$ROOT/deploy/sql/init.sql" >/dev/null
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

swift_bin_dir() { # configuration
    (cd "$ROOT" && swift build -c "$1" --show-bin-path)
}
