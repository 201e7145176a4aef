from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from nte.maps.cache_models import MapCache
from nte.maps.models import Ward, WardSet
from nte.reports.models import Report, ReportCategory
from nte.spatial import contains_point
from nte.spatial.arrays import fetch_float_matrix
from nte.spatial.localtime import local_hour, local_isodow


def active_ward_set(session: Session) -> WardSet | None:
    return session.scalar(sa.select(WardSet).where(WardSet.is_active.is_(True)).order_by(WardSet.id.desc()))


def get_ward_set_by_name(session: Session, name: str) -> WardSet | None:
    return session.scalar(sa.select(WardSet).where(WardSet.name == name))


def list_ward_sets(session: Session) -> list[WardSet]:
    return list(session.scalars(sa.select(WardSet).order_by(WardSet.imported_at)))


def list_wards(session: Session, *, ward_set_id: int, borough_codes: list[str] | None = None) -> list[Ward]:
    stmt = sa.select(Ward).where(Ward.ward_set_id == ward_set_id).order_by(Ward.borough_code, Ward.name)
    if borough_codes is not None:
        stmt = stmt.where(Ward.borough_code.in_(borough_codes))
    return list(session.scalars(stmt))


def get_ward(session: Session, *, ward_set_id: int, code: str) -> Ward | None:
    return session.scalar(sa.select(Ward).where(Ward.ward_set_id == ward_set_id, Ward.code == code))


def ward_at_point(
    session: Session, *, ward_set_id: int, lon: float, lat: float, borough_codes: list[str]
) -> Ward | None:
    stmt = (
        sa.select(Ward)
        .where(
            Ward.ward_set_id == ward_set_id,
            Ward.borough_code.in_(borough_codes),
            contains_point(session, Ward.geom, lon, lat),
        )
        .order_by(Ward.code)  # a point on a shared edge goes to the lowest code, deterministically
        .limit(1)
    )
    return session.scalar(stmt)


def boroughs(session: Session, *, ward_set_id: int) -> list[tuple[str, str, int]]:
    rows = session.execute(
        sa.select(Ward.borough_code, Ward.borough_name, sa.func.count())
        .where(Ward.ward_set_id == ward_set_id)
        .group_by(Ward.borough_code, Ward.borough_name)
        .order_by(Ward.borough_name)
    )
    return [(r[0], r[1], r[2]) for r in rows]


def deactivate_all(session: Session) -> None:
    session.execute(sa.update(WardSet).values(is_active=False))


# --- statistics and hotspots (aggregate by the ward stored at ingestion) ------------------------


def report_conditions(
    *,
    start: datetime,
    end: datetime,
    statuses: Sequence[str],
    borough_codes: Sequence[str],
    categories: Sequence[str] = (),
    sources: Sequence[str] = (),
    days: Sequence[int] = (),
    hours: Sequence[int] = (),
    week_hours: Sequence[int] = (),
) -> list[Any]:
    """WHERE conditions for counted reports. Spam is excluded here whatever ``statuses`` says;
    day/hour filters exclude month-precision records (their time of day is unknown)."""
    conditions: list[Any] = [
        Report.status.in_([s for s in statuses if s != "spam"]),
        Report.status != "spam",
        Report.occurred_at >= start,
        Report.occurred_at < end,
        Report.borough_code.in_(list(borough_codes)),
    ]
    if categories:
        conditions.append(
            sa.or_(
                Report.main_category.in_(list(categories)),
                sa.exists().where(ReportCategory.report_id == Report.id, ReportCategory.category.in_(list(categories))),
            )
        )
    if sources:
        conditions.append(Report.source.in_(list(sources)))
    if days or hours or week_hours:
        conditions.append(Report.time_precision != "month")
    if week_hours:
        hour_of_week = (local_isodow(Report.occurred_at) - 1) * 24 + local_hour(Report.occurred_at)
        conditions.append(hour_of_week.in_(list(week_hours)))
    if days:
        conditions.append(local_isodow(Report.occurred_at).in_(list(days)))
    if hours:
        conditions.append(local_hour(Report.occurred_at).in_(list(hours)))
    return conditions


def count_by_ward(session: Session, conditions: list[Any]) -> dict[str, int]:
    rows = session.execute(sa.select(Report.ward_code, sa.func.count()).where(*conditions).group_by(Report.ward_code))
    return {code: int(n) for code, n in rows}


def count_by_ward_month(
    session: Session, conditions: list[Any], month_starts: Sequence[datetime]
) -> dict[tuple[str, int], int]:
    """Counts by ward and month index. ``month_starts`` are the UTC instants at which each London
    month of the range begins (ascending); a plain comparison per row, no time-zone arithmetic."""
    bucket = (
        sa.case(
            *[(Report.occurred_at < edge, i) for i, edge in enumerate(month_starts[1:])], else_=len(month_starts) - 1
        )
        if len(month_starts) > 1
        else sa.literal(0)
    )
    rows = session.execute(
        sa.select(Report.ward_code, bucket, sa.func.count()).where(*conditions).group_by(Report.ward_code, bucket)
    )
    return {(code, int(m)): int(n) for code, m, n in rows}


def count_month_precision(session: Session, conditions: list[Any]) -> int:
    return int(
        session.scalar(
            sa.select(sa.func.count()).select_from(Report).where(*conditions, Report.time_precision == "month")
        )
        or 0
    )


def locations_bng(session: Session, conditions: list[Any]) -> np.ndarray:
    """Distinct exact EPSG:27700 locations of the counted reports with how many at each, as an
    (n, 3) array of easting, northing, count (one query, read without a Python object per row)."""
    stmt = (
        sa.select(Report.easting, Report.northing, sa.cast(sa.func.count(), sa.Double))
        .where(
            *conditions, Report.easting.is_not(None), Report.northing.is_not(None), Report.location_precision == "exact"
        )
        .group_by(Report.easting, Report.northing)
    )
    return fetch_float_matrix(session, stmt)


def report_data_version(session: Session) -> str:
    """Changes whenever a report is added, removed or moderated."""
    row = session.execute(
        sa.select(
            sa.func.count(), sa.func.max(Report.id), sa.func.max(Report.moderated_at), sa.func.max(Report.created_at)
        )
    ).one()
    stamp = lambda v: v.isoformat() if isinstance(v, datetime) else str(v)  # noqa: E731
    return ":".join(stamp(v) for v in row)


def latest_reports(
    session: Session, *, statuses: Sequence[str], borough_codes: Sequence[str]
) -> tuple[datetime | None, datetime | None]:
    """When the newest counted report with a time of day happened, and the newest known only to the
    month (police.uk records): the hour filters of the coordinator's map can use only the first."""
    precise = sa.func.max(sa.case((Report.time_precision != "month", Report.occurred_at)))
    monthly = sa.func.max(sa.case((Report.time_precision == "month", Report.occurred_at)))
    row = session.execute(
        sa.select(precise, monthly).where(
            Report.status.in_([s for s in statuses if s != "spam"]), Report.borough_code.in_(borough_codes)
        )
    ).one()
    return row[0], row[1]


def reports_with_ward_mismatch(
    session: Session, *, ward_set_id: int, borough_codes: Sequence[str], limit: int = 100
) -> list[tuple[int, str, str | None]]:
    """Reports (exact points) whose stored ward does not contain their point: (id, stored, by geometry)."""
    ward = sa.orm.aliased(Ward)
    holder = (
        sa.select(Ward.code)
        .where(
            Ward.ward_set_id == ward_set_id,
            Ward.borough_code.in_(list(borough_codes)),
            sa.func.ST_Intersects(Ward.geom, Report.geom),
        )
        .order_by(Ward.code)
        .limit(1)
        .scalar_subquery()
    )
    stored_contains = (
        sa.select(sa.func.count())
        .select_from(ward)
        .where(
            ward.ward_set_id == ward_set_id,
            ward.code == Report.ward_code,
            sa.func.ST_Intersects(ward.geom, Report.geom),
        )
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(Report.id, Report.ward_code, holder)
        .where(
            Report.geom.is_not(None),
            Report.location_precision == "exact",
            Report.borough_code.in_(list(borough_codes)),
            stored_contains == 0,
        )
        .order_by(Report.id)
        .limit(limit)
    )
    return [(int(i), str(code), found) for i, code, found in rows]


def get_cache(session: Session, key: str) -> MapCache | None:
    return session.scalar(sa.select(MapCache).where(MapCache.key == key))


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
    return session.scalar(
        sa.select(sa.func.min(Report.occurred_at)).where(
            Report.status.in_([s for s in statuses if s != "spam"]), Report.borough_code.in_(borough_codes)
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
        .where(Report.status.in_([s for s in statuses if s != "spam"]), Report.borough_code.in_(borough_codes))
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
        .where(Report.status.in_([s for s in statuses if s != "spam"]), Report.borough_code.in_(borough_codes))
        .group_by(Report.source)
        .order_by(Report.source)
    )
    return [(source, first, last, int(n)) for source, first, last, n in rows if first is not None]
