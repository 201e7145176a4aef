from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from nte.maps.cache_models import MapCache
from nte.maps.filters import MapFilter
from nte.reports.models import WARD_SUBJECT, Report, ReportCategory
from nte.spatial.arrays import fetch_float_matrix
from nte.spatial.localtime import local_hour, local_isodow
from nte.wards import repository as ward_repo
from nte.wards.models import Ward, WardAssignment

# --- statistics and hotspots (aggregate by each report's ward in the placement's ward sets) -----
# Services pass plain values: a ``MapFilter`` and a placement (ward set id, borough codes); every
# WHERE condition is built here and never leaves this module.

#: Which ward set each borough's reports are counted in: (ward set id, borough codes), as
#: ``nte.wards.service.Placement.by_set``.
WardSets = Sequence[tuple[int, Sequence[str]]]

#: Each counted report joined to its ward in the placement (``nte.wards`` assignments): the WHERE
#: conditions link it to ``Report``; counts group by ``_PLACED.ward_code``.
_PLACED = sa.orm.aliased(WardAssignment, name="placed")


def _counted(statuses: Sequence[str]) -> list[str]:
    """The statuses counted: spam never, whatever is asked for."""
    return [s for s in statuses if s != "spam"]


def _report_conditions(flt: MapFilter, placement: WardSets) -> list[sa.ColumnElement[bool]]:
    """WHERE conditions for the reports ``flt`` counts, each joined to its ward in ``placement``.
    Spam is excluded here whatever ``flt.statuses`` says; day/hour filters exclude month-precision
    records (their time of day is unknown)."""
    _alias, placed = ward_repo.placed_in(WARD_SUBJECT, Report.id, placement, alias=_PLACED)
    conditions: list[sa.ColumnElement[bool]] = [
        Report.status.in_(_counted(flt.statuses)),
        Report.status != "spam",
        Report.occurred_at >= flt.start_utc,
        Report.occurred_at < flt.end_utc,
        *placed,
    ]
    categories, hours = list(flt.categories), flt.hours()
    if categories:
        conditions.append(
            sa.or_(
                Report.main_category.in_(categories),
                sa.exists().where(ReportCategory.report_id == Report.id, ReportCategory.category.in_(categories)),
            )
        )
    if flt.sources:
        conditions.append(Report.source.in_(list(flt.sources)))
    if flt.uses_time_of_day:
        conditions.append(Report.time_precision != "month")
    if flt.week_hours:
        hour_of_week = (local_isodow(Report.occurred_at) - 1) * 24 + local_hour(Report.occurred_at)
        conditions.append(hour_of_week.in_(list(flt.week_hours)))
    if flt.days:
        conditions.append(local_isodow(Report.occurred_at).in_(list(flt.days)))
    if hours:
        conditions.append(local_hour(Report.occurred_at).in_(hours))
    return conditions


def count_by_ward(session: Session, *, flt: MapFilter, placement: WardSets) -> dict[str, int]:
    """How many reports ``flt`` counts in each ward of the placement."""
    rows = session.execute(
        sa.select(_PLACED.ward_code, sa.func.count())
        .where(*_report_conditions(flt, placement))
        .group_by(_PLACED.ward_code)
    )
    return {str(code): int(n) for code, n in rows}  # placed rows always have a ward code


def count_by_ward_source(session: Session, *, flt: MapFilter, placement: WardSets) -> dict[tuple[str, str], int]:
    """Counts by ward and ``report.source``."""
    rows = session.execute(
        sa.select(_PLACED.ward_code, Report.source, sa.func.count())
        .where(*_report_conditions(flt, placement))
        .group_by(_PLACED.ward_code, Report.source)
    )
    return {(str(code), str(source)): int(n) for code, source, n in rows}


def count_unplaced(session: Session, *, flt: MapFilter, placement: WardSets) -> int:
    """Counted reports (of ``flt``'s period and statuses) of the placement's boroughs (by their ward
    at intake) with no ward in the placement's sets: outside those boundaries, or not assigned yet
    (``main.py wards assign``)."""
    wa, placed = ward_repo.placed_in(WARD_SUBJECT, Report.id, placement)
    boroughs = [b for _s, bs in placement for b in bs]
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Report)
            .where(
                Report.status.in_(_counted(flt.statuses)),
                Report.occurred_at >= flt.start_utc,
                Report.occurred_at < flt.end_utc,
                Report.borough_code.in_(boroughs),
                ~sa.select(wa.subject_id).where(*placed).exists(),
            )
        )
        or 0
    )


def count_by_ward_month(session: Session, *, flt: MapFilter, placement: WardSets) -> dict[tuple[str, int], int]:
    """Counts by ward and index of the London calendar month in ``flt.months()``: each month starts
    at the UTC instant of ``flt.month_starts_utc()`` (a plain comparison per row, no time-zone
    arithmetic)."""
    month_starts = flt.month_starts_utc()
    bucket = (
        sa.case(
            *[(Report.occurred_at < edge, i) for i, edge in enumerate(month_starts[1:])], else_=len(month_starts) - 1
        )
        if len(month_starts) > 1
        else sa.literal(0)
    )
    rows = session.execute(
        sa.select(_PLACED.ward_code, bucket, sa.func.count())
        .where(*_report_conditions(flt, placement))
        .group_by(_PLACED.ward_code, bucket)
    )
    return {(code, int(m)): int(n) for code, m, n in rows}


def count_month_precision(session: Session, *, flt: MapFilter, placement: WardSets) -> int:
    """How many of the reports ``flt`` counts are known only to the month (police.uk records)."""
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Report)
            .where(*_report_conditions(flt, placement), Report.time_precision == "month")
        )
        or 0
    )


def locations_bng(session: Session, *, flt: MapFilter, placement: WardSets) -> np.ndarray:
    """Distinct exact EPSG:27700 locations of the reports ``flt`` counts with how many at each, as an
    (n, 3) array of easting, northing, count (one query, read without a Python object per row)."""
    stmt = (
        sa.select(Report.easting, Report.northing, sa.cast(sa.func.count(), sa.Double))
        .where(
            *_report_conditions(flt, placement),
            Report.easting.is_not(None),
            Report.northing.is_not(None),
            Report.location_precision == "exact",
        )
        .group_by(Report.easting, Report.northing)
    )
    return fetch_float_matrix(session, stmt)


def _aware(moment: datetime) -> datetime:
    """An instant read back as aware UTC (SQLite can hand back naive UTC from an aggregate)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _aware_or_none(moment: datetime | None) -> datetime | None:
    return None if moment is None else _aware(moment)


def latest_reports(
    session: Session, *, statuses: Sequence[str], borough_codes: Sequence[str]
) -> tuple[datetime | None, datetime | None]:
    """When the newest counted report with a time of day happened, and the newest known only to the
    month (police.uk records): the hour filters of the coordinator's map can use only the first."""
    precise = sa.func.max(sa.case((Report.time_precision != "month", Report.occurred_at)))
    monthly = sa.func.max(sa.case((Report.time_precision == "month", Report.occurred_at)))
    row = session.execute(
        sa.select(precise, monthly).where(Report.status.in_(_counted(statuses)), Report.borough_code.in_(borough_codes))
    ).one()
    return _aware_or_none(row[0]), _aware_or_none(row[1])


def reports_with_ward_mismatch(
    session: Session, *, placement: WardSets, limit: int = 100
) -> list[tuple[int, str, str | None]]:
    """Reports (exact points) whose ward in the placement does not contain their point:
    (id, assigned ward, ward by geometry)."""
    wa, placed = ward_repo.placed_in(WARD_SUBJECT, Report.id, placement)
    set_ids = [s for s, _ in placement]
    holder = (
        sa.select(Ward.code)
        .where(Ward.ward_set_id == wa.ward_set_id, sa.func.ST_Intersects(Ward.geom, Report.geom))
        .order_by(Ward.code)
        .limit(1)
        .scalar_subquery()
    )
    ward = sa.orm.aliased(Ward)
    assigned_contains = (
        sa.select(sa.func.count())
        .select_from(ward)
        .where(
            ward.ward_set_id == wa.ward_set_id,
            ward.code == wa.ward_code,
            sa.func.ST_Intersects(ward.geom, Report.geom),
        )
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(Report.id, wa.ward_code, holder)
        .where(
            *placed,
            wa.ward_set_id.in_(set_ids),
            Report.geom.is_not(None),
            Report.location_precision == "exact",
            assigned_contains == 0,
        )
        .order_by(Report.id)
        .limit(limit)
    )
    return [(int(i), str(code), found) for i, code, found in rows]


def get_cache(session: Session, key: str) -> MapCache | None:
    return session.scalar(sa.select(MapCache).where(MapCache.key == key))


def cache_times(session: Session, keys: Sequence[str]) -> dict[str, datetime]:
    """When each of these cache entries was written (entries not written are left out); no bodies read."""
    if not keys:
        return {}
    rows = session.execute(sa.select(MapCache.key, MapCache.created_at).where(MapCache.key.in_(list(keys))))
    return {key: _aware(created) for key, created in rows}


def put_cache(
    session: Session,
    *,
    key: str,
    kind: str,
    label: str,
    data_version: str,
    content_type: str,
    body: bytes,
    now: datetime,
) -> MapCache:
    """Insert or replace one cache entry; a concurrent insert of the same key by another worker wins quietly."""
    entry = get_cache(session, key)
    if entry is not None:
        entry.data_version, entry.content_type, entry.body, entry.created_at = data_version, content_type, body, now
        entry.label = label
        session.flush()
        return entry
    entry = MapCache(
        key=key,
        kind=kind,
        label=label[:120],
        data_version=data_version[:120],
        content_type=content_type,
        body=body,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(entry)
    except sa.exc.IntegrityError:
        found = get_cache(session, key)
        assert found is not None
        return found
    return entry


def list_cache(session: Session, *, kind: str) -> list[MapCache]:
    return list(session.scalars(sa.select(MapCache).where(MapCache.kind == kind).order_by(MapCache.label)))


def delete_cache_older_than(session: Session, *, kind: str, before: datetime) -> int:
    result = session.execute(sa.delete(MapCache).where(MapCache.kind == kind, MapCache.created_at < before))
    return int(getattr(result, "rowcount", 0) or 0)


def earliest_report(session: Session, *, statuses: Sequence[str], borough_codes: Sequence[str]) -> datetime | None:
    """When the oldest counted report happened (spam never counts)."""
    return _aware_or_none(
        session.scalar(
            sa.select(sa.func.min(Report.occurred_at)).where(
                Report.status.in_(_counted(statuses)), Report.borough_code.in_(borough_codes)
            )
        )
    )


def months_by_source(
    session: Session, *, statuses: Sequence[str], borough_codes: Sequence[str]
) -> list[tuple[str, int, int, int]]:
    """Per source and calendar month (UTC) that has counted reports: (source, year, month, count)."""
    year = sa.extract("year", Report.occurred_at)
    month = sa.extract("month", Report.occurred_at)
    rows = session.execute(
        sa.select(Report.source, year, month, sa.func.count())
        .where(Report.status.in_(_counted(statuses)), Report.borough_code.in_(borough_codes))
        .group_by(Report.source, year, month)
        .order_by(Report.source, year, month)
    )
    return [(source, int(y), int(m), int(n)) for source, y, m, n in rows]


def coverage_by_source(
    session: Session, *, statuses: Sequence[str], borough_codes: Sequence[str]
) -> list[tuple[str, datetime, datetime, int]]:
    """Per source: when its oldest and newest counted report happened, and how many there are."""
    rows = session.execute(
        sa.select(Report.source, sa.func.min(Report.occurred_at), sa.func.max(Report.occurred_at), sa.func.count())
        .where(Report.status.in_(_counted(statuses)), Report.borough_code.in_(borough_codes))
        .group_by(Report.source)
        .order_by(Report.source)
    )
    return [(source, _aware(first), _aware(last), int(n)) for source, first, last, n in rows if first is not None]
