"""Coordinator view: for a patrol area and the hours its shift series cover, the hotspots in and near
it, and the strongest hot spots that no patrol area covers. Patrol areas come from the patrols
domain through its service (``list_patrol_areas``, ``series_hours``).

Coordinators are not officers: they see no single report. As on the public map, a cell is listed
only when it holds at least ``settings.public_suppression_threshold`` reports, its count is rounded
to the nearest 5, and its z to one decimal; a cell below the threshold is not shown at all, hot or
not (a 50 m cell with one report marked "hot spot, 99 % confidence" would point at that report)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import shapely
from sqlalchemy.orm import Session

from nte.config import Settings
from nte.london import london_today
from nte.maps import repository as repo
from nte.maps import statistics as stats_service
from nte.maps.exceptions import HotspotsUnavailable, InvalidMapFilter, UnknownPatrolArea
from nte.maps.filters import DEFAULT_STATUSES, MapFilter, add_months
from nte.maps.grid import cells_geojson, to_bng
from nte.maps.public import suppress
from nte.patrols import service as patrols
from nte.spatial.coords import COORD_DECIMALS

NEAR_M = 250.0
TOP_UNCOVERED = 10
DEFAULT_DAYS = 90


def list_areas(session: Session) -> list[Any]:
    return list(patrols.list_patrol_areas(session))


def _cells(result: Any, index: np.ndarray, extra: dict[str, Any], *, threshold: int) -> dict[str, Any]:
    bins = result.bin[index]
    return cells_geojson(
        result.ix[index],
        result.iy[index],
        cell_size=result.cell_size,
        precision=COORD_DECIMALS,
        properties={
            "count": np.asarray([suppress(int(n), threshold=threshold) for n in result.count[index]], dtype=object),
            "z": np.round(result.z[index], 1),
            "bin": bins.astype(np.int64),
            "label": np.asarray([stats_service.BIN_LABELS[int(b)] for b in bins], dtype=object),
            "fill": np.asarray([stats_service.BIN_COLOURS[int(b)] for b in bins], dtype=object),
            **extra,
        },
    )


def coordinator_view(
    session: Session,
    *,
    area_id: int,
    settings: Settings,
    now: datetime,
    series_id: int | None = None,
    days: int = DEFAULT_DAYS,
    cell_size: float | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    all_hours: bool = False,
) -> dict[str, Any]:
    """The hotspots for ``area_id``: over ``date_from``..``date_to`` (London dates, inclusive;
    default the ``days`` before today), counting only reports in the hours its shift series cover
    unless ``all_hours`` (or no series is active). Reports known only to the month (police.uk) have
    no hour, so only an all-hours view counts them."""
    areas = list(patrols.list_patrol_areas(session))
    area = next((a for a in areas if a.id == area_id), None)
    if area is None:
        raise UnknownPatrolArea()
    if not 7 <= days <= 366:
        raise InvalidMapFilter("'days' must be between 7 and 366.", field="days")
    series = list(patrols.series_hours(session, area_id, now=now))
    if series_id is not None:
        series = [s for s in series if s.series_id == series_id]
        if not series:
            raise InvalidMapFilter("That shift series does not patrol this area.", field="series")
    week_hours = [] if all_hours else sorted({weekday * 24 + hour for s in series for weekday, hour in s.hours_of_week})
    today = london_today(now)
    last = date_to or today - timedelta(days=1)
    first = date_from or last - timedelta(days=days - 1)
    if first > last:
        raise InvalidMapFilter("The first day is after the last day.", field="from")
    if (last - first).days > 3 * 366:
        raise InvalidMapFilter("Choose a period of at most three years.", field="from")
    flt = MapFilter(first, last, week_hours=tuple(week_hours))
    result = stats_service.hotspots(session, flt=flt, settings=settings, cell_size=cell_size)

    size = result.cell_size
    x0, y0 = result.ix * size, result.iy * size
    boxes = shapely.box(x0, y0, x0 + size, y0 + size)
    area_bng = to_bng(area.geometry)
    distance = shapely.distance(boxes, area_bng)
    threshold = settings.public_suppression_threshold
    shown = result.count >= threshold  # cells that may be shown to a coordinator at all
    near = np.flatnonzero((distance <= NEAR_M) & shown)
    near = near[np.argsort(-result.z[near], kind="stable")]
    covered = shapely.union_all([to_bng(a.geometry) for a in areas])
    uncovered = np.flatnonzero((result.bin > 0) & shown & ~shapely.intersects(boxes, covered))
    uncovered = uncovered[np.argsort(-result.z[uncovered], kind="stable")][:TOP_UNCOVERED]
    return {
        "area": {"id": area.id, "name": area.name},
        "series": [
            {"id": s.series_id, "name": s.name, "description": s.description, "hours_of_week": len(s.hours_of_week)}
            for s in series
        ],
        "filter": flt.to_params(),
        "period": {"from": first.isoformat(), "to": last.isoformat()},
        "all_hours": not week_hours,
        "description": flt.describe(),
        "week_hours": week_hours,
        "hotspot_analysis": stats_service.hotspot_summary(result),
        "suppression_threshold": threshold,
        "in_or_near": _cells(result, near, {"distance_m": np.round(distance[near], 1)}, threshold=threshold),
        "hot_in_or_near": int((result.bin[near] > 0).sum()),
        "uncovered": _cells(result, uncovered, {"distance_m": np.round(distance[uncovered], 1)}, threshold=threshold),
        "area_geometry": shapely.geometry.mapping(area.geometry),
    }


def _london_date(moment: datetime | None) -> date | None:
    return None if moment is None else london_today(moment)


def data_coverage(session: Session, *, settings: Settings) -> dict[str, date | None]:
    """The London dates of the oldest and newest counted report, and of the newest with a time of
    day (``timed``) and the newest known only to the month (``monthly``)."""
    statuses = DEFAULT_STATUSES  # what the view counts (MapFilter's default)
    boroughs = list(settings.boroughs)
    timed, monthly = repo.latest_reports(session, statuses=statuses, borough_codes=boroughs)
    first = repo.earliest_report(session, statuses=statuses, borough_codes=boroughs)
    latest = max([d for d in (_london_date(timed), _london_date(monthly)) if d is not None], default=None)
    return {
        "first": _london_date(first),
        "last": latest,
        "timed": _london_date(timed),
        "monthly": _london_date(monthly),
    }


def opening_view(
    session: Session, *, area_id: int, settings: Settings, now: datetime, series_id: int | None = None
) -> tuple[dict[str, Any], str | None]:
    """The view the page opens on when no period is chosen, and a note saying why when it is not the
    plain one. Tried in order, the first that can be analysed wins:

    1. the latest ``DEFAULT_DAYS`` with reports that have a time of day, in the shifts' hours;
    2. the same days, all hours;
    3. the latest three months of records known only to the month (police.uk), all hours.
    """
    covered = data_coverage(session, settings=settings)
    yesterday = london_today(now) - timedelta(days=1)
    tries: list[tuple[date, bool, str | None]] = []
    if covered["timed"] is not None:
        end = min(covered["timed"], yesterday)
        tries.append((end, False, None))
        tries.append(
            (end, True, "Too few reports with a time of day fall in the shifts' hours: all hours are counted.")
        )
    if covered["monthly"] is not None:
        month_end = add_months(covered["monthly"].replace(day=1), 1) - timedelta(days=1)
        tries.append(
            (
                min(month_end, yesterday),
                True,
                "Showing the latest months of police records: they give only the month, so all hours are counted.",
            )
        )
    problem: HotspotsUnavailable | None = None
    for end, all_hours, note in tries:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
        if all_hours and note and note.startswith("Showing the latest months"):
            start = add_months(end.replace(day=1), -2)
        try:
            view = coordinator_view(
                session,
                area_id=area_id,
                series_id=series_id,
                settings=settings,
                now=now,
                date_from=start,
                date_to=end,
                all_hours=all_hours,
            )
        except HotspotsUnavailable as exc:
            problem = problem or exc
            continue
        return view, note
    if problem is not None:
        raise problem
    return coordinator_view(session, area_id=area_id, series_id=series_id, settings=settings, now=now), None


def page_view(
    session: Session,
    *,
    area_id: int,
    settings: Settings,
    now: datetime,
    series_id: int | None = None,
    chosen: bool = False,
    has_data: bool = True,
    date_from: date | None = None,
    date_to: date | None = None,
    all_hours: bool = False,
    cell_size: float | None = None,
) -> tuple[dict[str, Any] | None, str | None]:
    """What the coordinator's page shows for an area, and a note: the view of the period, hours and
    cell size ``chosen``; with nothing chosen, the opening view (``opening_view``) when there is data
    at all, or no view and a note saying why when even that has too few reports (nothing was chosen,
    so there is nothing to correct)."""
    if chosen:
        view = coordinator_view(
            session,
            area_id=area_id,
            series_id=series_id,
            settings=settings,
            now=now,
            date_from=date_from,
            date_to=date_to,
            all_hours=all_hours,
            cell_size=cell_size,
        )
        return view, None
    if not has_data:
        return None, None
    try:
        return opening_view(session, area_id=area_id, series_id=series_id, settings=settings, now=now)
    except HotspotsUnavailable as exc:
        return None, f"{exc.detail} Choose a longer period or all hours."
