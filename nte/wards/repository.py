"""Queries on ward sets, wards, the current set per borough and ward assignments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from nte.spatial import bulk_insert, contains_point, refresh_statistics
from nte.spatial.arrays import fetch_float_matrix
from nte.wards.models import CurrentWards, Ward, WardAssignment, WardSet

# --- ward sets -------------------------------------------------------------------------------------


def list_ward_sets(session: Session) -> list[WardSet]:
    return list(session.scalars(sa.select(WardSet).order_by(WardSet.vintage_date, WardSet.id)))


def get_ward_set(session: Session, ward_set_id: int) -> WardSet | None:
    return session.get(WardSet, ward_set_id)


def get_ward_set_by_name(session: Session, name: str) -> WardSet | None:
    return session.scalar(sa.select(WardSet).where(WardSet.name == name))


def get_ward_set_by_vintage(session: Session, vintage: str) -> WardSet | None:
    return session.scalar(sa.select(WardSet).where(WardSet.vintage == vintage))


def current_sets(session: Session) -> dict[str, int]:
    """Borough code -> the id of its current ward set."""
    return {b: s for b, s in session.execute(sa.select(CurrentWards.borough_code, CurrentWards.ward_set_id))}


def set_current(session: Session, *, borough_code: str, ward_set_id: int, now: datetime) -> None:
    row = session.get(CurrentWards, borough_code)
    if row is None:
        session.add(CurrentWards(borough_code=borough_code, ward_set_id=ward_set_id, since=now))
    else:
        row.ward_set_id, row.since = ward_set_id, now
    session.flush()


def refresh_active_flags(session: Session) -> None:
    """``ward_set.is_active``: current in at least one borough."""
    current = sa.select(CurrentWards.ward_set_id).where(CurrentWards.ward_set_id == WardSet.id).exists()
    session.execute(sa.update(WardSet).values(is_active=current))


def boroughs_in_set(session: Session, ward_set_id: int) -> dict[str, tuple[str, int]]:
    """Borough code -> (name, number of wards) in one set."""
    rows = session.execute(
        sa.select(Ward.borough_code, Ward.borough_name, sa.func.count())
        .where(Ward.ward_set_id == ward_set_id)
        .group_by(Ward.borough_code, Ward.borough_name)
    )
    return {code: (name, int(n)) for code, name, n in rows}


# --- wards -----------------------------------------------------------------------------------------


def wards_in(session: Session, placement: Sequence[tuple[int, Sequence[str]]]) -> list[Ward]:
    """The wards of each (ward set, borough codes) pair, by borough and name."""
    if not placement:
        return []
    stmt = (
        sa.select(Ward)
        .where(sa.or_(*[sa.and_(Ward.ward_set_id == s, Ward.borough_code.in_(list(bs))) for s, bs in placement]))
        .order_by(Ward.borough_code, Ward.name)
    )
    return list(session.scalars(stmt))


def wards_of_set(session: Session, ward_set_id: int) -> list[Ward]:
    return list(session.scalars(sa.select(Ward).where(Ward.ward_set_id == ward_set_id).order_by(Ward.code)))


def get_ward_by_id(session: Session, ward_id: int) -> Ward | None:
    return session.get(Ward, ward_id)


def add_ward_set(session: Session, ward_set: WardSet) -> WardSet:
    """Store a new ward set (its id is known on return)."""
    session.add(ward_set)
    session.flush()
    return ward_set


def add_wards(session: Session, wards: Sequence[Ward]) -> None:
    session.add_all(wards)
    session.flush()


def reload(session: Session, ward_set: WardSet) -> WardSet:
    """A ward set as stored now (after its wards and flags were written)."""
    session.refresh(ward_set)
    return ward_set


def get_ward(session: Session, *, ward_set_id: int, code: str) -> Ward | None:
    return session.scalar(sa.select(Ward).where(Ward.ward_set_id == ward_set_id, Ward.code == code))


def ward_at_point_sql(session: Session, *, ward_set_id: int, lon: float, lat: float) -> Ward | None:
    """The database's answer (ST_Intersects, lowest code on a shared edge): tests compare the index with it."""
    stmt = (
        sa.select(Ward)
        .where(Ward.ward_set_id == ward_set_id, contains_point(session, Ward.geom, lon, lat))
        .order_by(Ward.code)
        .limit(1)
    )
    return session.scalar(stmt)


# --- assignments -----------------------------------------------------------------------------------

ASSIGNMENT_COLUMNS = ("subject", "ward_set_id", "subject_id", "ward_code", "borough_code")


def write_assignments(session: Session, rows: Sequence[tuple[str, int, int, str | None, str | None]]) -> int:
    """Insert assignment rows (``ASSIGNMENT_COLUMNS`` order): COPY on PostgreSQL."""
    return bulk_insert(session, cast(sa.Table, WardAssignment.__table__), ASSIGNMENT_COLUMNS, rows)


def _set_ids(session: Session) -> list[int]:
    """Every ward set id: queries by record list them so the primary key (subject, set, record) is used whole."""
    return list(session.scalars(sa.select(WardSet.id)))


def replace_assignments(session: Session, *, subject: str, subject_id: int) -> None:
    session.execute(
        sa.delete(WardAssignment).where(
            WardAssignment.subject == subject,
            WardAssignment.ward_set_id.in_(_set_ids(session)),
            WardAssignment.subject_id == subject_id,
        )
    )


def delete_assignments_of(session: Session, *, subject: str, subject_ids: Sequence[int]) -> None:
    sets = _set_ids(session)
    for start in range(0, len(subject_ids), 5000):
        session.execute(
            sa.delete(WardAssignment).where(
                WardAssignment.subject == subject,
                WardAssignment.ward_set_id.in_(sets),
                WardAssignment.subject_id.in_(list(subject_ids[start : start + 5000])),
            )
        )


def assignments_of(session: Session, *, subject: str, subject_id: int) -> list[WardAssignment]:
    return list(
        session.scalars(
            sa.select(WardAssignment)
            .where(
                WardAssignment.subject == subject,
                WardAssignment.ward_set_id.in_(_set_ids(session)),
                WardAssignment.subject_id == subject_id,
            )
            .order_by(WardAssignment.ward_set_id)
        )
    )


def unassigned_points(
    session: Session,
    *,
    subject: str,
    id_column: Any,
    geom_column: Any,
    ward_set_id: int,
    after_id: int,
    limit: int,
) -> tuple[np.ndarray, int | None]:
    """The next ``limit`` located records after ``after_id`` (by id), less those already assigned in
    the set: an (n, 3) array of id, lon, lat, and the last id looked at (None: nothing is left).

    Two bounded range scans per call (the records by primary key, then the set's assignments in that
    id range by ``ward_assignment``'s primary key), filtered in numpy: a NOT EXISTS anti-join here
    planned as a merge over every assignment already written, so each batch cost more than the last."""
    stmt = (
        sa.select(
            sa.cast(id_column, sa.Double),
            sa.cast(sa.func.ST_X(geom_column), sa.Double),
            sa.cast(sa.func.ST_Y(geom_column), sa.Double),
        )
        .where(id_column > after_id, geom_column.is_not(None))
        .order_by(id_column)
        .limit(limit)
    )
    block = fetch_float_matrix(session, stmt)
    if len(block) == 0:
        return block, None
    first, last = int(block[0, 0]), int(block[-1, 0])
    done = np.fromiter(
        session.scalars(
            sa.select(WardAssignment.subject_id).where(
                WardAssignment.subject == subject,
                WardAssignment.ward_set_id == ward_set_id,
                WardAssignment.subject_id.between(first, last),
            )
        ),
        dtype=np.int64,
    )
    if done.size:
        block = block[~np.isin(block[:, 0].astype(np.int64), done)]
    return block, last


def count_unassigned(session: Session, *, subject: str, id_column: Any, geom_column: Any, ward_set_id: int) -> int:
    done = (
        sa.select(WardAssignment.subject_id)
        .where(
            WardAssignment.subject == subject,
            WardAssignment.ward_set_id == ward_set_id,
            WardAssignment.subject_id == id_column,
        )
        .exists()
    )
    return int(session.scalar(sa.select(sa.func.count()).where(geom_column.is_not(None), ~done)) or 0)


def assignment_counts(session: Session, *, ward_set_id: int) -> dict[str, tuple[int, int]]:
    """Subject -> (assigned to a ward, outside the set) in one set."""
    rows = session.execute(
        sa.select(WardAssignment.subject, WardAssignment.ward_code.is_(None), sa.func.count())
        .where(WardAssignment.ward_set_id == ward_set_id)
        .group_by(WardAssignment.subject, WardAssignment.ward_code.is_(None))
    )
    out: dict[str, list[int]] = {}
    for subject, outside, n in rows:
        out.setdefault(subject, [0, 0])[1 if outside else 0] += int(n)
    return {k: (v[0], v[1]) for k, v in out.items()}


def placed_in(
    subject: str, subject_id: Any, placement: Sequence[tuple[int, Sequence[str]]], *, alias: Any = None
) -> tuple[Any, list[Any]]:
    """An aliased ``ward_assignment`` and the conditions that join a subject's rows to their ward in a
    placement (which set per borough): callers group or filter by ``alias.ward_code``."""
    wa = alias if alias is not None else sa.orm.aliased(WardAssignment)
    conditions: list[Any] = [
        wa.subject == subject,
        wa.subject_id == subject_id,
        wa.ward_code.is_not(None),
        sa.or_(*[sa.and_(wa.ward_set_id == s, wa.borough_code.in_(list(bs))) for s, bs in placement])
        if placement
        else sa.false(),
    ]
    return wa, conditions


def refresh_assignment_statistics(session: Session) -> None:
    """After a bulk assignment: the planner's row counts for ``ward_assignment`` (see ``refresh_statistics``)."""
    refresh_statistics(session, cast(sa.Table, WardAssignment.__table__))


def replace_assignment_in_set(session: Session, *, subject: str, subject_id: int, ward_set_id: int, ward: Ward) -> None:
    row = session.get(WardAssignment, (subject, ward_set_id, subject_id))
    if row is None:
        session.add(
            WardAssignment(
                subject=subject,
                ward_set_id=ward_set_id,
                subject_id=subject_id,
                ward_code=ward.code,
                borough_code=ward.borough_code,
            )
        )
    else:
        row.ward_code, row.borough_code = ward.code, ward.borough_code
    session.flush()


def unassigned_without_point(
    session: Session, *, subject: str, id_column: Any, geom_column: Any, ward_set_id: int
) -> list[tuple[int, Ward]]:
    """Records with no point and no assignment in the set, with the ward they have in another set
    (the lowest set id): records placed by choosing a ward."""
    mine = sa.orm.aliased(WardAssignment)
    other = sa.orm.aliased(WardAssignment)
    done = (
        sa.select(mine.subject_id)
        .where(mine.subject == subject, mine.ward_set_id == ward_set_id, mine.subject_id == id_column)
        .exists()
    )
    rows = session.execute(
        sa.select(id_column, Ward)
        .join(other, sa.and_(other.subject == subject, other.subject_id == id_column, other.ward_code.is_not(None)))
        .join(Ward, sa.and_(Ward.ward_set_id == other.ward_set_id, Ward.code == other.ward_code))
        .where(geom_column.is_(None), ~done)
        .order_by(id_column, other.ward_set_id)
    )
    seen: set[int] = set()
    out = []
    for record_id, ward in rows:
        if record_id not in seen:
            seen.add(record_id)
            out.append((int(record_id), ward))
    return out
