"""Every query on reports, ward updates and imports."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from nte.db import ReadSessions
from nte.london import LONDON
from nte.reports.models import Report, ReportCategory, ReportImport, WardUpdate
from nte.spatial import bulk_insert, existing_values, lock_rows, reserve_ids, within_bbox
from nte.spatial import refresh_statistics as refresh_statistics_of
from nte.wards.models import CurrentWards


@dataclass(frozen=True)
class ReportFilters:
    ward: str | None = None
    status: str | None = None
    category: str | None = None
    source: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    flagged: bool | None = None

    def as_query(self) -> dict[str, str]:
        out = {
            k: (v.isoformat() if isinstance(v, date) else str(v).lower() if isinstance(v, bool) else v)
            for k, v in self.__dict__.items()
            if v not in (None, "")
        }
        return out


def add(session: Session, report: Report) -> Report:
    session.add(report)
    session.flush()
    return report


def get(session: Session, report_id: int) -> Report | None:
    return session.get(Report, report_id)


def by_receipt_hash(session: Session, receipt_hash: str) -> Report | None:
    return session.scalar(sa.select(Report).where(Report.receipt_hash == receipt_hash))


def near_duplicate(
    session: Session,
    *,
    lon: float | None,
    lat: float | None,
    ward_code: str,
    occurred_at: datetime,
    window: timedelta,
    categories: Sequence[str],
    degrees: float,
) -> list[tuple[int, float | None, float | None]]:
    """Candidates (id, lon, lat) in the time window sharing a category, not spam: near the point
    (index-backed bounding box; refine by distance in the service) or, without a point, in the ward."""
    cats = sa.select(ReportCategory.report_id).where(ReportCategory.category.in_(list(categories)))
    stmt = (
        sa.select(Report.id, sa.func.ST_X(Report.geom), sa.func.ST_Y(Report.geom))
        .where(
            Report.occurred_at.between(occurred_at - window, occurred_at + window),
            Report.status != "spam",
            Report.id.in_(cats),
        )
        .order_by(Report.id)
        .limit(50)
    )
    if lon is not None and lat is not None:
        stmt = stmt.where(
            within_bbox(session, Report.geom, lon - degrees * 1.6, lat - degrees, lon + degrees * 1.6, lat + degrees)
        )
    else:
        stmt = stmt.where(Report.ward_code == ward_code, Report.geom.is_(None))
    return [(r[0], r[1], r[2]) for r in session.execute(stmt)]


def _filtered(stmt: sa.Select[Any], f: ReportFilters) -> sa.Select[Any]:
    if f.ward:
        stmt = stmt.where(Report.ward_code == f.ward)
    if f.status:
        stmt = stmt.where(Report.status == f.status)
    if f.source:
        stmt = stmt.where(Report.source == f.source)
    if f.category:
        stmt = stmt.where(
            Report.id.in_(sa.select(ReportCategory.report_id).where(ReportCategory.category == f.category))
        )
    if f.date_from:
        stmt = stmt.where(Report.occurred_at >= datetime.combine(f.date_from, time(0), LONDON))
    if f.date_to:
        stmt = stmt.where(Report.occurred_at < datetime.combine(f.date_to + timedelta(days=1), time(0), LONDON))
    if f.flagged is not None:
        stmt = stmt.where(Report.flagged_near_duplicate.is_(f.flagged))
    return stmt


def list_reports(session: Session, f: ReportFilters, *, limit: int = 50, offset: int = 0) -> list[Report]:
    stmt = _filtered(sa.select(Report), f).order_by(Report.occurred_at.desc(), Report.id.desc())
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def count_reports(session: Session, f: ReportFilters) -> int:
    return int(session.scalar(_filtered(sa.select(sa.func.count(Report.id)), f)) or 0)


def iter_reports(
    sessions: ReadSessions, f: ReportFilters, *, chunk: int = 2000
) -> Iterator[tuple[Report, float | None, float | None]]:
    """Every matching report with its point, in id order, a chunk at a time (keyset pagination),
    each chunk read in a read-only session of its own that has ended before its rows are handed
    on: a stream that is abandoned half-way leaves nothing open. Reports that arrive during the
    export are not included (the id bound is taken at the start)."""
    with sessions() as session:
        upto = session.scalar(sa.select(sa.func.max(Report.id)))
    if upto is None:
        return
    last = 0
    while True:
        stmt = (
            _filtered(sa.select(Report, sa.func.ST_X(Report.geom), sa.func.ST_Y(Report.geom)), f)
            .where(Report.id > last, Report.id <= upto)
            .order_by(Report.id)
            .limit(chunk)
        )
        with sessions() as session:
            rows = session.execute(stmt).all()
            session.expunge_all()  # detached with their loaded columns and categories (selectin)
        if not rows:
            return
        yield from ((report, x, y) for report, x, y in rows)
        last = rows[-1][0].id


def points(
    session: Session, f: ReportFilters, *, limit: int
) -> list[tuple[int, str, str, str, datetime, float, float]]:
    """(id, status, source, main category, occurred at, lon, lat) of the filtered reports with a point."""
    stmt = (
        _filtered(
            sa.select(
                Report.id,
                Report.status,
                Report.source,
                Report.main_category,
                Report.occurred_at,
                sa.func.ST_X(Report.geom),
                sa.func.ST_Y(Report.geom),
            ),
            f,
        )
        .where(Report.geom.is_not(None))
        .order_by(Report.id.desc())
        .limit(limit)
    )
    return [tuple(r) for r in session.execute(stmt)]  # type: ignore[misc]


def lock_for_moderation(session: Session, ids: Iterable[int]) -> list[Report]:
    stmt = lock_rows(sa.select(Report).where(Report.id.in_(list(ids))).order_by(Report.id), session)
    return list(session.scalars(stmt.execution_options(populate_existing=True)))


def point_of(session: Session, report_id: int) -> tuple[float, float] | None:
    row = session.execute(
        sa.select(sa.func.ST_X(Report.geom), sa.func.ST_Y(Report.geom)).where(
            Report.id == report_id, Report.geom.is_not(None)
        )
    ).first()
    return (float(row[0]), float(row[1])) if row else None


def change_marks(session: Session) -> tuple[Any, ...]:
    """The newest report id, moderation and creation, and the newest change of a borough's current
    wards: each a MAX over an index."""
    row = session.execute(
        sa.select(
            sa.select(sa.func.max(Report.id)).scalar_subquery(),
            sa.select(sa.func.max(Report.moderated_at)).scalar_subquery(),
            sa.select(sa.func.max(Report.created_at)).scalar_subquery(),
            sa.select(sa.func.max(CurrentWards.since)).scalar_subquery(),
        )
    ).one()
    return tuple(row)


def purge_descriptions(session: Session, *, before: datetime, now: datetime) -> int:
    # An UPDATE without RETURNING gives a CursorResult; Session.execute is typed as the base Result.
    result = cast(
        CursorResult[Any],
        session.execute(
            sa.update(Report)
            .where(Report.description.is_not(None), Report.received_hour < before)
            .values(description=None, description_purged_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    return int(result.rowcount or 0)


# --- ward updates -----------------------------------------------------------------------------


def add_ward_update(session: Session, update: WardUpdate) -> WardUpdate:
    session.add(update)
    session.flush()
    return update


def ward_updates(
    session: Session, *, ward_code: str | None = None, ward_codes: list[str] | None = None, limit: int = 20
) -> list[WardUpdate]:
    stmt = sa.select(WardUpdate).order_by(WardUpdate.posted_at.desc(), WardUpdate.id.desc()).limit(limit)
    if ward_code:
        stmt = stmt.where(WardUpdate.ward_code == ward_code)
    if ward_codes is not None:
        stmt = stmt.where(WardUpdate.ward_code.in_(ward_codes))
    return list(session.scalars(stmt))


def get_ward_update(session: Session, update_id: int) -> WardUpdate | None:
    return session.get(WardUpdate, update_id)


def delete_ward_update(session: Session, update: WardUpdate) -> None:
    session.delete(update)
    session.flush()


# --- imports ----------------------------------------------------------------------------------


def add_import(session: Session, record: ReportImport) -> ReportImport:
    session.add(record)
    session.flush()
    return record


def get_import(session: Session, import_id: int) -> ReportImport | None:
    return session.get(ReportImport, import_id)


def recent_imports(session: Session, *, limit: int = 20) -> list[ReportImport]:
    return list(session.scalars(sa.select(ReportImport).order_by(ReportImport.id.desc()).limit(limit)))


def existing_external_ids(session: Session, external_ids: Sequence[str]) -> set[str]:
    return existing_values(session, Report.__table__.c.external_id, external_ids)


REPORT_COPY_COLUMNS = (
    "id",
    "source",
    "status",
    "occurred_at",
    "time_precision",
    "received_hour",
    "location_precision",
    "geom",
    "easting",
    "northing",
    "ward_code",
    "borough_code",
    "main_category",
    "factors",
    "description",
    "external_id",
    "import_batch_id",
    "flagged_near_duplicate",
    "created_at",
)


def refresh_statistics(session: Session) -> None:
    refresh_statistics_of(session, cast(sa.Table, Report.__table__), cast(sa.Table, ReportCategory.__table__))


def insert_imported(session: Session, rows: list[list[Any]], categories: list[list[str]]) -> list[int]:
    """Bulk-insert report rows (REPORT_COPY_COLUMNS order, without ``id``) and their categories; their ids."""
    # Mapped classes' tables (typed as the wider FromClause).
    report_table, category_table = cast(sa.Table, Report.__table__), cast(sa.Table, ReportCategory.__table__)
    ids = reserve_ids(session, report_table, len(rows))
    full = [[report_id, *row] for report_id, row in zip(ids, rows, strict=True)]
    bulk_insert(session, report_table, REPORT_COPY_COLUMNS, full)
    cat_rows = [(report_id, c) for report_id, cats in zip(ids, categories, strict=True) for c in cats]
    bulk_insert(session, category_table, ("report_id", "category"), cat_rows)
    return ids
