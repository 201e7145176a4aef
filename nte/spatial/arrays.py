"""Numeric query results straight into numpy.

On PostgreSQL the query runs inside ``COPY (...) TO STDOUT (FORMAT BINARY)`` and the fixed-width
rows are read with one numpy structured dtype: no Python object per value, which matters for the
hundreds of thousands of distinct report locations behind a hotspot map. Elsewhere (SQLite) it
is a plain fetch. Every selected column must be a non-null double precision value."""

from __future__ import annotations

from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from nte.spatial.engine import is_postgres

_PGCOPY_HEADER = 19  # signature (11) + flags (4) + header extension length (4)


def fetch_float_matrix(session: Session, stmt: sa.Select[Any]) -> np.ndarray:
    """The rows of ``stmt`` as an (n, columns) float64 array."""
    ncols = len(stmt.selected_columns)
    if not is_postgres(session):
        rows = session.execute(stmt).all()
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), ncols)
    conn = session.connection()
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = {}
    for name, value in compiled.params.items():
        bind = compiled.binds.get(name)
        processor = bind.type._cached_bind_processor(conn.dialect) if bind is not None else None
        params[name] = processor(value) if processor else value
    raw = conn.connection.driver_connection
    assert raw is not None
    chunks: list[bytes] = []
    with raw.cursor() as cursor, cursor.copy(f"COPY ({compiled.string}) TO STDOUT (FORMAT BINARY)", params) as copy:
        for block in copy:
            chunks.append(bytes(block))
    data = b"".join(chunks)
    fields: list[tuple[str, str]] = [("n", ">i2")]
    for i in range(ncols):
        fields += [(f"len{i}", ">i4"), (f"v{i}", ">f8")]
    row = np.dtype(fields)
    body = data[_PGCOPY_HEADER : len(data) - 2]  # the trailer is a 16-bit -1
    records = np.frombuffer(body, dtype=row)
    if records.size and (records["n"] != ncols).any() or any((records[f"len{i}"] != 8).any() for i in range(ncols)):
        raise ValueError("every selected column must be a non-null double precision value")
    return (
        np.column_stack([records[f"v{i}"].astype(np.float64) for i in range(ncols)])
        if records.size
        else np.empty((0, ncols))
    )
