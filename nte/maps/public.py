"""Public ward maps that cannot be differenced to reveal a single report.

* Ward level only, moderated ('accepted') reports only, no filter but the period.
* Periods are fixed calendar partitions in London time: months, quarters and years, offered from a
  fixed list (the last 12 full months, 4 full quarters, 2 full years, and every earlier full calendar
  year back to the first year with moderated records, e.g. imported police data: an archive of
  disjoint years, so it adds no way to difference). A period is offered only once it
  ended at least ``PUBLICATION_LAG_DAYS`` ago, and its figures are computed once and then frozen in the
  shared cache: later or re-moderated reports never change a published view, so the same view can
  never be seen in two states differing by one report. Any two offered periods differ by whole
  calendar months, each of which is itself a suppressed published view.
* Counts below ``settings.public_suppression_threshold`` are shown as "fewer than N"; the rest are
  rounded to the nearest 5.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from nte.config import Settings
from nte.maps import repository as repo
from nte.maps import wards as ward_service
from nte.maps.exceptions import UnknownPeriod
from nte.maps.filters import MapFilter, add_months, london_today
from nte.maps.statistics import ward_geometry

PUBLICATION_LAG_DAYS = 7
MONTHS_OFFERED, QUARTERS_OFFERED, YEARS_OFFERED = 12, 4, 2
ARCHIVE_YEARS_MAX = 20
PUBLIC_STATUSES = ("accepted",)
ROUNDING = 5
#: Fixed classes on the published (rounded) count; colours ColorBrewer YlOrRd.
PUBLIC_CLASSES = ((None, "#f2f2f2"), (10, "#ffffb2"), (25, "#fecc5c"), (50, "#fd8d3c"), (100, "#e31a1c"))


@dataclass(frozen=True)
class PublicPeriod:
    id: str
    kind: str  # month | quarter | year
    label: str
    start: date
    end: date  # inclusive


def _month(first: date) -> PublicPeriod:
    return PublicPeriod(f"month-{first:%Y-%m}", "month", f"{first:%B %Y}", first, add_months(first, 1) - timedelta(1))


def _quarter(first: date) -> PublicPeriod:
    q = (first.month - 1) // 3 + 1
    return PublicPeriod(
        f"quarter-{first.year}-Q{q}",
        "quarter",
        f"{first.year} Q{q} ({first:%b}–{add_months(first, 2):%b})",
        first,
        add_months(first, 3) - timedelta(1),
    )


def _year(first: date) -> PublicPeriod:
    return PublicPeriod(f"year-{first.year}", "year", str(first.year), first, date(first.year, 12, 31))


def public_periods(now: datetime, *, archive_from: int | None = None) -> list[PublicPeriod]:
    """The fixed list of periods the public may choose from, newest first within each kind.
    ``archive_from``: the first calendar year with published data; earlier full years down to it
    are offered after the recent ones."""
    cutoff = london_today(now) - timedelta(days=PUBLICATION_LAG_DAYS)
    this_month = cutoff.replace(day=1)
    months = [_month(add_months(this_month, -i)) for i in range(1, MONTHS_OFFERED + 1)]
    this_quarter = date(cutoff.year, (cutoff.month - 1) // 3 * 3 + 1, 1)
    quarters = [_quarter(add_months(this_quarter, -3 * i)) for i in range(1, QUARTERS_OFFERED + 1)]
    years = [_year(date(cutoff.year - i, 1, 1)) for i in range(1, YEARS_OFFERED + 1)]
    if archive_from is not None:
        oldest = max(archive_from, cutoff.year - ARCHIVE_YEARS_MAX)
        years += [_year(date(y, 1, 1)) for y in range(cutoff.year - YEARS_OFFERED - 1, oldest - 1, -1)]
    return months + quarters + years


def offered_periods(session: Session, *, settings: Settings, now: datetime) -> list[PublicPeriod]:
    """``public_periods`` with the archive years this deployment has moderated data for."""
    first = repo.earliest_report(session, statuses=PUBLIC_STATUSES, borough_codes=list(settings.boroughs))
    return public_periods(now, archive_from=first.year if first else None)


def find_period(period_id: str | None, now: datetime, *, archive_from: int | None = None) -> PublicPeriod:
    periods = public_periods(now, archive_from=archive_from)
    if period_id is None or period_id == "":
        return periods[0]  # the last full month
    for period in periods:
        if period.id == period_id:
            return period
    raise UnknownPeriod()


def suppress(count: int, *, threshold: int) -> int | None:
    """None below the threshold, else rounded to the nearest 5 (halves up)."""
    if count < threshold:
        return None
    return (count + ROUNDING // 2) // ROUNDING * ROUNDING


def shown(value: int | None, *, threshold: int) -> str:
    return f"fewer than {threshold}" if value is None else str(value)


def public_class(value: int | None) -> tuple[int, str]:
    index = 0
    for i, (lower, _colour) in enumerate(PUBLIC_CLASSES):
        if lower is not None and value is not None and value >= lower:
            index = i
    return index, PUBLIC_CLASSES[index][1]


def public_legend(threshold: int) -> list[dict[str, str]]:
    labels = [f"fewer than {threshold}", "10 to 24", "25 to 49", "50 to 99", "100 or more"]
    return [{"colour": colour, "label": label} for (_lower, colour), label in zip(PUBLIC_CLASSES, labels, strict=True)]


def build_public_view(session: Session, *, period: PublicPeriod, settings: Settings, now: datetime) -> dict[str, Any]:
    """The published figures for one period: suppressed, rounded ward counts with ward geometry."""
    threshold = settings.public_suppression_threshold
    flt = MapFilter(period.start, period.end, statuses=PUBLIC_STATUSES)
    conditions = repo.report_conditions(
        start=flt.start_utc, end=flt.end_utc, statuses=PUBLIC_STATUSES, borough_codes=list(settings.boroughs)
    )
    counts = repo.count_by_ward(session, conditions)
    ward_set = ward_service.require_active_set(session)
    features = []
    for ward in ward_service.served_wards(session, settings=settings):
        value = suppress(counts.get(ward.code, 0), threshold=threshold)
        klass, colour = public_class(value)
        features.append(
            {
                "type": "Feature",
                "id": ward.code,
                "geometry": ward_geometry(ward),
                "properties": {
                    "code": ward.code,
                    "name": ward.name,
                    "borough_name": ward.borough_name,
                    "value": value,
                    "shown": shown(value, threshold=threshold),
                    "class": klass,
                    "fill": colour,
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "period": period.id,
        "period_label": period.label,
        "published_at": now.isoformat(),
        "suppression_threshold": threshold,
        "rounding": ROUNDING,
        "legend": public_legend(threshold),
        "ward_set": ward_set.name,
        "attribution": ward_set.attribution,
    }


def _cache_key(period: PublicPeriod, ward_set_id: int, settings: Settings) -> str:
    return MapFilter(period.start, period.end).cache_key(
        "public", period.id, ward_set_id, sorted(settings.boroughs), settings.public_suppression_threshold
    )


def public_view(session: Session, *, period_id: str | None, settings: Settings, now: datetime) -> dict[str, Any]:
    """The published view of a period: from the shared cache, or built and frozen on first use."""
    offered = offered_periods(session, settings=settings, now=now)
    period = offered[0] if not period_id else next((p for p in offered if p.id == period_id), None)
    if period is None:
        raise UnknownPeriod()
    ward_set = ward_service.require_active_set(session)
    key = _cache_key(period, ward_set.id, settings)
    entry = repo.get_cache(session, key)
    if entry is not None:
        return json.loads(entry.body)
    view = build_public_view(session, period=period, settings=settings, now=now)
    repo.put_cache(
        session,
        key=key,
        kind="public",
        label=period.id,
        data_version="frozen",
        content_type="application/geo+json",
        body=json.dumps(view, separators=(",", ":")).encode(),
        now=now,
    )
    return view


def rebuild_public(session: Session, *, settings: Settings, now: datetime, force: bool = False) -> int:
    """Publish every offered period not yet published (``force``: recompute them all). Returns how many."""
    ward_set = ward_service.require_active_set(session)
    built = 0
    for period in offered_periods(session, settings=settings, now=now):
        key = _cache_key(period, ward_set.id, settings)
        if not force and repo.get_cache(session, key) is not None:
            continue
        view = build_public_view(session, period=period, settings=settings, now=now)
        repo.put_cache(
            session,
            key=key,
            kind="public",
            label=period.id,
            data_version="frozen",
            content_type="application/geo+json",
            body=json.dumps(view, separators=(",", ":")).encode(),
            now=now,
        )
        built += 1
    # Officer bundles are rebuilt on demand; drop the ones nobody asked for in a week.
    repo.delete_cache_older_than(session, kind="officer", before=now - timedelta(days=7))
    return built
