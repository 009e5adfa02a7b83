#!/bin/sh
# The part of the postgres image's entrypoint that docker-compose.yml relies on: as root, own the data
# folder and drop to the postgres user; on an empty data folder, initdb with POSTGRES_USER and
# POSTGRES_PASSWORD, create POSTGRES_DB, accept scram password logins from any address; then run the
# server in the foreground as PID 1.
set -eu

if [ "${1:-}" = postgres ] && [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chown postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ "${1:-}" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
    user="${POSTGRES_USER:-postgres}"
    database="${POSTGRES_DB:-$user}"
    : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set (as with the real image)}"
    password_file="$(mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" > "$password_file"
    initdb --username="$user" --pwfile="$password_file" --encoding=UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 -D "$PGDATA" > /dev/null
    rm -f "$password_file"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start > /dev/null
    if [ "$database" != postgres ]; then
        psql -v ON_ERROR_STOP=1 --username="$user" --dbname=postgres -q \
            -c "CREATE DATABASE \"$database\""
    fi
    pg_ctl -D "$PGDATA" -m fast -w stop > /dev/null
    echo "stand-in entrypoint: initialised $PGDATA (user $user, database $database)"
fi

exec "$@"
