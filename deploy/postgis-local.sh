#!/usr/bin/env bash
# A local PostGIS for enforcemap: Debian's PostgreSQL + PostGIS packages, one cluster listening on
# 127.0.0.1, a role and database named enforcemap with the postgis extension. Idempotent; run as
# root. Prints the ENFORCEMAP_DATABASE_URL to use.
set -euo pipefail
PORT="${ENFORCEMAP_PG_PORT:-5432}"
if ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgis >/dev/null
fi
VERSION="$(ls /usr/lib/postgresql | sort -n | tail -1)"
if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -qx "$VERSION main"; then
  pg_createcluster "$VERSION" main --port "$PORT" >/dev/null
fi
pg_ctlcluster "$VERSION" main start >/dev/null 2>&1 || pg_ctlcluster "$VERSION" main status >/dev/null
as_postgres() { PGOPTIONS=--client-min-messages=warning runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qAt -p "$PORT" "$@"; }
if [ "$(as_postgres -c "SELECT 1 FROM pg_roles WHERE rolname = 'enforcemap'")" != 1 ]; then
  as_postgres -c "CREATE ROLE enforcemap LOGIN PASSWORD 'enforcemap'"
fi
if [ "$(as_postgres -c "SELECT 1 FROM pg_database WHERE datname = 'enforcemap'")" != 1 ]; then
  as_postgres -c "CREATE DATABASE enforcemap OWNER enforcemap"
fi
as_postgres -d enforcemap -c "CREATE EXTENSION IF NOT EXISTS postgis"
echo "postgresql://enforcemap:enforcemap@127.0.0.1:$PORT/enforcemap"
