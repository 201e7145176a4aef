#!/usr/bin/env bash
# Back up the NTE Safe PostgreSQL/PostGIS database to a compressed custom-format dump.
# Usage: scripts/backup.sh [OUTPUT_FILE]   (connection from NTE_DATABASE_URL or PG* variables)
set -euo pipefail
url="${NTE_DATABASE_URL:-}"
url="${url/postgresql+psycopg:/postgresql:}"
out="${1:-nte-backup-$(date -u +%Y%m%dT%H%M%SZ).dump}"
if [ -n "$url" ]; then
  pg_dump --format=custom --compress=6 --no-owner --no-privileges --dbname="$url" --file="$out"
else
  pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$out"
fi
echo "$out"
