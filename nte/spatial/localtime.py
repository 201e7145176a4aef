"""Europe/London wall-clock parts of a UTC timestamp column, in SQL, on both databases.

Statistics filter by local hour and day of week, and must do it inside the one aggregation
query (months need no such help: their London start instants are computed in Python).
PostgreSQL has the tz database (``AT TIME ZONE 'Europe/London'``); SQLite has none, so its SQL
applies the UK rule in force since 1996: British Summer Time (UTC+1) from 01:00 UTC on the last
Sunday of March to 01:00 UTC on the last Sunday of October (the last Sunday of a month is the
first Sunday on or after the 25th). The per-dialect SQL is chosen at compile time
(``@compiles``), the way GeoAlchemy2 does it, so no caller looks at the dialect.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from nte.london import LONDON as LONDON_ZONE

#: The zone's name, as PostgreSQL's ``AT TIME ZONE`` takes it (``nte.london`` is the one zone).
LONDON = LONDON_ZONE.key


class local_hour(FunctionElement[int]):  # noqa: N801 - reads like a SQL function
    """Hour 0..23 of the London wall-clock time."""

    type = sa.Integer()
    inherit_cache = True
    name = "local_hour"


class local_isodow(FunctionElement[int]):  # noqa: N801
    """ISO day of week of the London wall-clock time: 1 = Monday ... 7 = Sunday."""

    type = sa.Integer()
    inherit_cache = True
    name = "local_isodow"


def _pg_local(element: Any, compiler: Any, **kw: Any) -> str:
    return f"(({compiler.process(element.clauses, **kw)}) AT TIME ZONE '{LONDON}')"


def _sqlite_local(element: Any, compiler: Any, **kw: Any) -> str:
    col = compiler.process(element.clauses, **kw)
    year = f"strftime('%Y', {col})"
    starts = f"(date({year} || '-03-25', 'weekday 0') || ' 01:00:00')"
    ends = f"(date({year} || '-10-25', 'weekday 0') || ' 01:00:00')"
    return f"(CASE WHEN {col} >= {starts} AND {col} < {ends} THEN datetime({col}, '+1 hour') ELSE datetime({col}) END)"


@compiles(local_hour)
def _hour_pg(element: Any, compiler: Any, **kw: Any) -> str:
    return f"CAST(EXTRACT(HOUR FROM {_pg_local(element, compiler, **kw)}) AS INTEGER)"


@compiles(local_isodow)
def _dow_pg(element: Any, compiler: Any, **kw: Any) -> str:
    return f"CAST(EXTRACT(ISODOW FROM {_pg_local(element, compiler, **kw)}) AS INTEGER)"


@compiles(local_hour, "sqlite")
def _hour_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"CAST(strftime('%H', {_sqlite_local(element, compiler, **kw)}) AS INTEGER)"


@compiles(local_isodow, "sqlite")
def _dow_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"((CAST(strftime('%w', {_sqlite_local(element, compiler, **kw)}) AS INTEGER) + 6) % 7 + 1)"
