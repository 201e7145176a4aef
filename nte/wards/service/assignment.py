"""Assigning every located record (report, venue, safe space) to its ward in every ward set: one
record at a time at intake, or every record of a table in batches (``wards assign``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from nte.spatial import from_db
from nte.wards import repository as repo
from nte.wards.index import OUTSIDE
from nte.wards.models import Ward, WardSet
from nte.wards.service.lookup import set_index


def assign_points(
    session: Session,
    *,
    subject: str,
    ids: Sequence[int],
    lon: np.ndarray,
    lat: np.ndarray,
    ward_sets: Sequence[WardSet] | None = None,
) -> int:
    """Assign records (new ones: nothing stored for them yet) to their ward in every ward set."""
    if len(ids) == 0:
        return 0
    rows: list[tuple[str, int, int, str | None, str | None]] = []
    for ward_set in ward_sets if ward_sets is not None else repo.list_ward_sets(session):
        index = set_index(session, ward_set)
        found = index.assign(lon, lat)
        for record_id, k in zip(ids, found.tolist(), strict=True):
            if k == OUTSIDE:
                rows.append((subject, ward_set.id, int(record_id), None, None))
            else:
                rows.append((subject, ward_set.id, int(record_id), index.codes[k], index.borough_codes[k]))
    return repo.write_assignments(session, rows)


def assign_record(session: Session, *, subject: str, subject_id: int, lon: float, lat: float) -> None:
    """(Re)assign one record from its point, in every ward set."""
    session.flush()
    repo.replace_assignments(session, subject=subject, subject_id=subject_id)
    assign_points(session, subject=subject, ids=[subject_id], lon=np.array([lon]), lat=np.array([lat]))


def assign_record_in_ward(session: Session, *, subject: str, subject_id: int, ward: Ward) -> None:
    """A record known only to a ward (a report placed by choosing its ward): that ward in its own
    set, and in every other set the ward holding the chosen ward's representative point."""
    geom = from_db(ward.geom)
    assert geom is not None
    point = geom.representative_point()
    assign_record(session, subject=subject, subject_id=subject_id, lon=point.x, lat=point.y)
    # Its own set says exactly what was chosen, whatever the representative point's edge rule gives.
    repo.replace_assignment_in_set(
        session, subject=subject, subject_id=subject_id, ward_set_id=ward.ward_set_id, ward=ward
    )


def wards_of_record(session: Session, *, subject: str, subject_id: int) -> tuple[Ward | None, set[str]]:
    """A record's ward in its borough's current boundaries (None: outside them), and its ward
    codes in every vintage."""
    rows = repo.assignments_of(session, subject=subject, subject_id=subject_id)
    current = repo.current_sets(session)
    codes = {r.ward_code for r in rows if r.ward_code}
    for r in rows:
        if r.ward_code and r.borough_code and current.get(r.borough_code) == r.ward_set_id:
            return repo.get_ward(session, ward_set_id=r.ward_set_id, code=r.ward_code), codes
    return None, codes


def refresh_statistics(session: Session) -> None:
    """After writing many assignments (a bulk import): see ``nte.spatial.refresh_statistics``."""
    repo.refresh_assignment_statistics(session)


def forget_records(session: Session, *, subject: str, subject_ids: Sequence[int]) -> None:
    repo.delete_assignments_of(session, subject=subject, subject_ids=list(subject_ids))


@dataclass(frozen=True)
class Located:
    """A table of located records: what ``wards assign`` walks through (declared by each domain)."""

    subject: str  # "report", "venue", "safe_space"
    label: str  # "reports"
    id_column: Any
    geom_column: Any


@dataclass
class AssignResult:
    subject: str
    ward_set: str
    assigned: int = 0
    outside: int = 0


def pending(session: Session, *, ward_set: WardSet, located: Located) -> int:
    return repo.count_unassigned(
        session,
        subject=located.subject,
        id_column=located.id_column,
        geom_column=located.geom_column,
        ward_set_id=ward_set.id,
    )


def assign_set(
    session: Session,
    *,
    ward_set: WardSet,
    located: Located,
    batch_size: int = 50_000,
    checkpoint: Callable[[], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> AssignResult:
    """Assign every stored record of one table that has no ward yet in ``ward_set``: read a batch
    by id, assign it in memory, write it (COPY on PostgreSQL), ``checkpoint`` (the CLI commits).
    Resumable: a record looked at has a row (NULL ward when outside the set), so a second run
    starts where the first stopped."""
    result = AssignResult(located.subject, ward_set.vintage)
    index = set_index(session, ward_set)
    after = 0
    while True:
        block, last = repo.unassigned_points(
            session,
            subject=located.subject,
            id_column=located.id_column,
            geom_column=located.geom_column,
            ward_set_id=ward_set.id,
            after_id=after,
            limit=batch_size,
        )
        if last is None:
            break
        after = last
        if len(block) == 0:  # every record of this stretch was assigned by an earlier run
            continue
        ids = block[:, 0].astype(np.int64)
        found = index.assign(block[:, 1], block[:, 2])
        codes = np.array(index.codes + [None], dtype=object)[found]  # OUTSIDE (-1) picks the None
        boroughs = np.array(index.borough_codes + [None], dtype=object)[found]
        rows = list(
            zip(
                [located.subject] * len(ids),
                [ward_set.id] * len(ids),
                ids.tolist(),
                codes.tolist(),
                boroughs.tolist(),
                strict=True,
            )
        )
        repo.write_assignments(session, rows)
        outside = int(np.count_nonzero(found == OUTSIDE))
        result.assigned += len(ids) - outside
        result.outside += outside
        if checkpoint is not None:
            checkpoint()
        if progress is not None:
            progress(len(ids))
    result.assigned += _assign_ward_only(session, ward_set=ward_set, located=located)
    if result.assigned or result.outside:
        repo.refresh_assignment_statistics(session)
        if checkpoint is not None:
            checkpoint()
    return result


def _assign_ward_only(session: Session, *, ward_set: WardSet, located: Located) -> int:
    """Records without a point (placed by choosing a ward): by their ward's representative point."""
    rows = repo.unassigned_without_point(
        session,
        subject=located.subject,
        id_column=located.id_column,
        geom_column=located.geom_column,
        ward_set_id=ward_set.id,
    )
    count = 0
    for subject_id, ward in rows:
        geom = from_db(ward.geom)
        assert geom is not None
        point = geom.representative_point()
        assign_points(
            session,
            subject=located.subject,
            ids=[subject_id],
            lon=np.array([point.x]),
            lat=np.array([point.y]),
            ward_sets=[ward_set],
        )
        count += 1
    return count
