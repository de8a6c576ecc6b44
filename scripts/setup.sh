#!/usr/bin/env bash
# Prepares a Debian machine for building, running and testing attendance:
#   - installs the C libraries (librdkafka, libpq), PostgreSQL, kcat and tzdata if missing;
#   - starts the packaged PostgreSQL cluster and creates the `attendance` role and database.
# Safe to run again. Sourced by scripts/demo.sh and scripts/test.sh, which export DATABASE_URL.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -c "$1"; else sudo -u postgres sh -c "$1"; fi; }

packages=(librdkafka-dev libpq-dev postgresql postgresql-contrib kcat tzdata pkg-config)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Start the packaged cluster (the newest installed major version).
version=$(pg_lsclusters -h | awk '{print $1}' | sort -n | tail -1)
if [ -z "$version" ]; then
    echo "setup: no PostgreSQL cluster found after installing postgresql" >&2
    exit 1
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
    as_root pg_ctlcluster "$version" main start
fi
wait_ready() {
    for _ in $(seq 1 30); do
        as_postgres "pg_isready -q" && break
        sleep 1
    done
}
wait_ready

# The outbox is published from the write-ahead log (logical decoding), which needs wal_level=logical; every
# schema has its own slot, so tests running side by side need more slots and senders than the default 10.
# These settings take effect on restart, done here only when one is missing (higher limits are kept).
settings=(wal_level=logical max_replication_slots=64 max_wal_senders=64)
restart=no
for setting in "${settings[@]}"; do
    name=${setting%%=*} value=${setting#*=}
    current=$(as_postgres "psql -qtAc 'SHOW $name'")
    if { [ "$name" = wal_level ] && [ "$current" != "$value" ]; } || { [ "$name" != wal_level ] && [ "$current" -lt "$value" ]; }; then
        as_postgres "psql -qc \"ALTER SYSTEM SET $name = '$value'\""
        restart=yes
    fi
done
# Settings that take effect on reload, each set only where the server has less (an operator's choice is kept).
sql_true() { [ "$(as_postgres "psql -qtAc \"SELECT $1\"")" = t ]; }
reload=no
raise_setting() { # name value condition-under-which-to-set
    if sql_true "$3"; then
        as_postgres "psql -qc \"ALTER SYSTEM SET $1 = '$2'\""
        reload=yes
    fi
}
# A slot nobody reads (a stopped demo, an abandoned schema) keeps WAL; on a development machine cap what it may
# keep, so it is invalidated rather than filling the disk (production: see docs/operations.md).
raise_setting max_slot_wal_keep_size 8GB "current_setting('max_slot_wal_keep_size') = '-1'"
# Checkpoints: the defaults (every 1GB of WAL or 5 min) make a loaded server write a full page image for most
# index pages it touches after each checkpoint; production servers space them further apart, and so does this.
raise_setting max_wal_size 4GB "pg_size_bytes(current_setting('max_wal_size')) < pg_size_bytes('4GB')"
raise_setting checkpoint_timeout 15min "setting::int < 900 FROM pg_settings WHERE name = 'checkpoint_timeout'"
if [ "$reload" = yes ]; then as_postgres "psql -qc 'SELECT pg_reload_conf()'" >/dev/null; fi
# The package's 128MB of shared buffers is a laptop's: a batch's index inserts and foreign-key look-ups then evict
# and re-read pages all through a run, and backends write dirty pages themselves. Production servers give Postgres
# a quarter of their memory; 2GB is a modest share of a development machine. Takes effect on restart.
if sql_true "pg_size_bytes(current_setting('shared_buffers')) < pg_size_bytes('2GB')"; then
    as_postgres "psql -qc \"ALTER SYSTEM SET shared_buffers = '2GB'\""
    restart=yes
    settings+=(shared_buffers=2GB)
fi
if [ "$restart" = yes ]; then
    echo "setup: restarting PostgreSQL $version for ${settings[*]}"
    as_root pg_ctlcluster "$version" main restart
    wait_ready
fi

db_user=${ATTENDANCE_DB_USER:-attendance}
db_password=${ATTENDANCE_DB_PASSWORD:-attendance}
db_name=${ATTENDANCE_DB_NAME:-attendance}
as_postgres "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='$db_user'\" | grep -q 1 \
    || psql -qc \"CREATE ROLE $db_user LOGIN PASSWORD '$db_password' CREATEDB CREATEROLE\""
# REPLICATION: the schema owner creates each schema's replication slot (migrate) and the relay streams it.
as_postgres "psql -qc \"ALTER ROLE $db_user REPLICATION\""
# pg_checkpoint: the benchmarks checkpoint after loading data, so a measured run does not pay for the load.
sql_true "NOT pg_has_role('$db_user', 'pg_checkpoint', 'MEMBER')" && as_postgres "psql -qc \"GRANT pg_checkpoint TO $db_user\""
as_postgres "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='$db_name'\" | grep -q 1 \
    || createdb -O $db_user $db_name"

export DATABASE_URL=${DATABASE_URL:-postgresql://$db_user:$db_password@127.0.0.1:5432/$db_name}
echo "setup: PostgreSQL $version ready at ${DATABASE_URL%%://*}://$db_user:***@127.0.0.1:5432/$db_name"
