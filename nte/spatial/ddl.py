"""Schema changes that PostGIS and SpatiaLite make differently: a wider column and a new CHECK.

PostgreSQL alters both in place. SQLite cannot alter a CHECK constraint, and the usual way round
(copy the table, drop the old one, rename) is unsafe for a SpatiaLite table: its geometry column
and spatial-index triggers are tied to the table, and with foreign keys on, dropping the old table
deletes the rows that reference it (ON DELETE CASCADE). So on SQLite the stored definition is
rewritten instead, the documented procedure for changes that do not alter the on-disk format
(https://www.sqlite.org/lang_altertable.html, "making other kinds of table schema changes"): a
declared length is not enforced by SQLite, and a CHECK that allows more values accepts every row
the old one did. Nothing is copied, so no row can be lost. A narrower CHECK (a downgrade) is the
caller's business: it must first update the rows the new CHECK would refuse."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.engine import Connection


def change_check_and_types(
    conn: Connection,
    *,
    table: str,
    check_name: str,
    old_check: str,
    new_check: str,
    types: Mapping[str, tuple[str, str]],
) -> None:
    """Replace CHECK ``check_name`` (``old_check`` -> ``new_check``, the SQL conditions) and set
    each column in ``types`` from its old SQL type to its new one (``{"status": ("VARCHAR(12)",
    "VARCHAR(20)")}``). Runs inside the caller's transaction."""
    if conn.dialect.name == "sqlite":
        _sqlite_rewrite(conn, table=table, check_name=check_name, old_check=old_check, new_check=new_check, types=types)
        return
    conn.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {check_name}")
    for column, (_old, new) in types.items():
        conn.exec_driver_sql(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {new}")
    conn.exec_driver_sql(f"ALTER TABLE {table} ADD CONSTRAINT {check_name} CHECK ({new_check})")


def _sqlite_rewrite(
    conn: Connection,
    *,
    table: str,
    check_name: str,
    old_check: str,
    new_check: str,
    types: Mapping[str, tuple[str, str]],
) -> None:
    sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar()
    if sql is None:
        raise RuntimeError(f"no table {table!r}")
    edits = [(f"CONSTRAINT {check_name} CHECK ({old_check})", f"CONSTRAINT {check_name} CHECK ({new_check})")]
    edits += [(f"{column} {old}", f"{column} {new}") for column, (old, new) in types.items()]
    for old, new in edits:
        if sql.count(old) != 1:  # never guess: the definition is not the one this change was written for
            raise RuntimeError(f"{table}: expected {old!r} once in its definition, found it {sql.count(old)} times")
        sql = sql.replace(old, new)
    version = int(conn.exec_driver_sql("PRAGMA schema_version").scalar_one())
    conn.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        conn.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
            (sql, table),
        )
        conn.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    finally:
        conn.exec_driver_sql("PRAGMA writable_schema = OFF")
    problems = conn.exec_driver_sql("PRAGMA integrity_check").scalars().all()
    if problems != ["ok"]:
        raise RuntimeError(f"{table}: integrity check after the change: {problems[:5]}")
