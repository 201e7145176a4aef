"""Bulk writes: PostgreSQL COPY (psycopg) or SQLite executemany, and id reservation.

Both run on the caller's session connection, inside its transaction: a failed or killed batch
leaves nothing behind."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nte.spatial.engine import is_postgres
from nte.spatial.geometry import WGS84


def ewkt_point(lon: float, lat: float) -> str:
    return f"SRID={WGS84};POINT({lon!r} {lat!r})"


def in_values(session: Session, column: Any, values: Sequence[Any]) -> Any:
    """``column IN (values)`` for long lists: one array parameter on PostgreSQL (``= ANY(%s)``, no
    per-value placeholders to parse), an expanding IN on SQLite."""
    if is_postgres(session):
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == sa.any_(sa.bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


def reserve_ids(session: Session, table: sa.Table, count: int) -> list[int]:
    """``count`` new primary keys for ``table``: from its sequence on PostgreSQL; on SQLite after
    max(id), which is safe because write transactions hold the database lock (BEGIN IMMEDIATE)."""
    if count <= 0:
        return []
    if is_postgres(session):
        rows = session.execute(
            sa.text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
            {"t": table.name, "n": count},
        )
        return [int(r[0]) for r in rows]
    start = int(session.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one())
    return list(range(start + 1, start + 1 + count))


def bulk_insert(session: Session, table: sa.Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order). Geometry columns take EWKT strings
    (``ewkt_point``); datetimes must be timezone-aware. COPY on PostgreSQL."""
    if not rows:
        return 0
    if is_postgres(session):
        raw = session.connection().connection.driver_connection
        names = ", ".join(f'"{c}"' for c in columns)
        with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        return len(rows)
    session.execute(sa.insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
    return len(rows)
