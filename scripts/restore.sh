#!/usr/bin/env bash
# Restore a dump made by scripts/backup.sh into an EMPTY database that has PostGIS available.
# Usage: scripts/restore.sh DUMP_FILE   (target from NTE_DATABASE_URL or PG* variables)
set -euo pipefail
dump="${1:?usage: scripts/restore.sh DUMP_FILE}"
url="${NTE_DATABASE_URL:-}"
url="${url/postgresql+psycopg:/postgresql:}"
args=(--no-owner --no-privileges --exit-on-error --single-transaction)
if [ -n "$url" ]; then
  psql --dbname="$url" -v ON_ERROR_STOP=1 -qc "CREATE EXTENSION IF NOT EXISTS postgis"
  pg_restore "${args[@]}" --dbname="$url" "$dump"
else
  psql -v ON_ERROR_STOP=1 -qc "CREATE EXTENSION IF NOT EXISTS postgis"
  pg_restore "${args[@]}" "$dump"
fi
echo "restored $dump"
