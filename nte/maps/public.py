"""Public ward maps that cannot be differenced to reveal a single report.

* Ward level only, moderated ('accepted') reports only, no filter but the period.
* **Each figure has one source** (``SOURCES``): police.uk street-level crime imported as police data,
  or reports made to this service (on this site, or imported from its partners). They are never
  added together before suppression: police.uk publishes its records itself, so a ward's combined
  figure minus police.uk's own count would estimate the reports made here below the threshold.
* **Calendar months are the only figures computed from the data** (London time). Each
  ward-month-source count is suppressed below ``settings.public_suppression_threshold`` ("fewer than N") and otherwise
  rounded to the nearest 5, then frozen once (``freeze_months``): later or re-moderated reports never
  change it. Quarters and years are never counted from the data: they are the sums of their
  months' published figures (with how many of their months are below the threshold). So any
  two views, and any difference of views, are made of published month figures, and no arithmetic
  on what the public sees can reveal more than each month already shows. (Before, a year counted
  on its own minus its last quarter showed at least one report in nine months whose published
  figures each said "fewer than 10".)
* **The public sees one source at a time** (``PUBLIC_SOURCES``): public reports (the people who reported
  to this service) by default, police-recorded crime only when chosen. A view carries only the chosen
  source's published figures (``for_source``): the map's colour, legend and table are that source's
  alone, and no response adds the two together (their sum would be a figure of no single source, and
  reading the two views side by side gives nothing either does not publish on its own).
* The map opens on the newest offered period with at least one published figure of the source shown (not merely the
  last month: the demo's police data is from 2016), and lists only the periods with figures; which
  periods have figures is itself read from the published figures.
* Periods come from a fixed list: the last 12 full months, 4 full quarters, 2 full years, and every
  earlier full calendar year back to the first year with moderated records (imported police data).
  A period is offered once it ended at least ``PUBLICATION_LAG_DAYS`` ago.
* Publication is dated to the day, and every month due is frozen in the same transaction by the
  ``maps.rebuild_public`` job (or by the first view that needs it).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from nte.config import Settings
from nte.london import london_today
from nte.maps import repository as repo
from nte.maps.exceptions import UnknownPeriod, UnknownPublicSource
from nte.maps.filters import POLICE_ATTRIBUTION, MapFilter, add_months
from nte.maps.statistics import ward_geometry
from nte.wards import service as ward_service
from nte.wards.service import Placement

PUBLICATION_LAG_DAYS = 7
MONTHS_OFFERED, QUARTERS_OFFERED, YEARS_OFFERED = 12, 4, 2
ARCHIVE_YEARS_MAX = 20
PUBLIC_STATUSES = ("accepted",)
#: Where each published figure comes from: (key, the ``report.source`` values counted). Each source
#: is its own figure, suppressed and rounded on its own.
SOURCES: tuple[tuple[str, tuple[str, ...]], ...] = (("police", ("police",)), ("site", ("public", "import")))
SOURCE_KEYS = tuple(key for key, _sources in SOURCES)
#: What the public may choose to see (the ``source`` parameter) -> the published figure it reads.
#: Public reports first: the map shows them unless police-recorded crime is chosen.
PUBLIC_SOURCES = {"public": "site", "police": "police"}
DEFAULT_PUBLIC_SOURCE = "public"
KIND_ORDER = {"month": 0, "quarter": 1, "year": 2}
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


def months_of(period: PublicPeriod) -> list[date]:
    """The first days of the calendar months a period is made of."""
    months, first = [], period.start.replace(day=1)
    while first <= period.end:
        months.append(first)
        first = add_months(first, 1)
    return months


def _month_key(month: date, where: Placement, settings: Settings) -> str:
    # One ward set: its id (as before vintages, so figures frozen then are still found); else the placement.
    sets = str(where.by_set[0][0]) if len(where.by_set) == 1 else where.key
    return MapFilter(month, add_months(month, 1) - timedelta(1)).cache_key(
        "public-month-by-source",
        f"{month:%Y-%m}",
        sets,
        sorted(settings.boroughs),
        settings.public_suppression_threshold,
    )


#: One month's published figures: source key -> ward code -> figure (None: below the threshold).
MonthFigures = dict[str, dict[str, int | None]]


def freeze_months(
    session: Session, months: list[date], *, where: Placement, settings: Settings, now: datetime
) -> dict[date, MonthFigures]:
    """The published (suppressed, rounded) figure of every served ward, per source, for each month:
    read from the frozen store, and the months not frozen yet counted (one query per source) and
    frozen now. Only these figures ever leave the database for the public; raw counts are never
    stored."""
    threshold = settings.public_suppression_threshold
    published: dict[date, MonthFigures] = {}
    missing = []
    for month in months:
        entry = repo.get_cache(session, _month_key(month, where, settings))
        if entry is None:
            missing.append(month)
        else:
            published[month] = json.loads(entry.body)
    if missing:
        codes = [w.code for w in ward_service.wards_of(session, where)]
        first, last = min(missing), max(missing)
        span = [add_months(first, i) for i in range((last.year - first.year) * 12 + last.month - first.month + 1)]
        counts = {
            key: repo.count_by_ward_month(
                session,
                flt=MapFilter(first, add_months(last, 1) - timedelta(1), sources=sources, statuses=PUBLIC_STATUSES),
                placement=where.by_set,
            )
            for key, sources in SOURCES
        }
        for month in missing:
            index = span.index(month)
            figures = {
                key: {code: suppress(counts[key].get((code, index), 0), threshold=threshold) for code in codes}
                for key in SOURCE_KEYS
            }
            repo.put_cache(
                session,
                key=_month_key(month, where, settings),
                kind="public-month",
                label=f"month-{month:%Y-%m}",
                data_version="frozen",
                content_type="application/json",
                body=json.dumps(figures, separators=(",", ":")).encode(),
                now=now,
            )
            published[month] = figures
    return published


def public_source(source: str | None) -> str:
    """The public source asked for (default: public reports), or ``UnknownPublicSource``."""
    chosen = (source or "").strip() or DEFAULT_PUBLIC_SOURCE
    if chosen not in PUBLIC_SOURCES:
        raise UnknownPublicSource()
    return chosen


def has_figures(period: PublicPeriod, published: dict[date, MonthFigures], source: str | None = None) -> bool:
    """Whether any ward shows a number (not "fewer than N") for the period: of the public ``source``,
    or of any source."""
    keys = [PUBLIC_SOURCES[source]] if source else list(SOURCE_KEYS)
    return any(value is not None for m in months_of(period) for key in keys for value in published[m][key].values())


def newest_first(periods: list[PublicPeriod]) -> list[PublicPeriod]:
    """Newest end first; at the same end a month before its quarter before its year."""
    return sorted(periods, key=lambda p: (-p.end.toordinal(), KIND_ORDER[p.kind], -p.start.toordinal()))


def periods_with_figures(
    session: Session, *, settings: Settings, now: datetime, source: str | None = DEFAULT_PUBLIC_SOURCE
) -> list[PublicPeriod]:
    """The offered periods in which at least one ward shows a number of the public ``source`` (None:
    of any source), newest first (every month they are made of is published, and frozen, on the way)."""
    offered = offered_periods(session, settings=settings, now=now)
    where = ward_service.placement(session, settings=settings)
    due = sorted({m for period in offered for m in months_of(period)})
    published = freeze_months(session, due, where=where, settings=settings, now=now)
    return newest_first([p for p in offered if has_figures(p, published, source)])


def combined(figures: list[int | None], *, threshold: int) -> tuple[int | None, int, str]:
    """A period's figure from its months' published figures: (the sum of the months at or above the
    threshold or None when there are none, how many months are below it, the words shown)."""
    hidden = sum(value is None for value in figures)
    known = sum(value for value in figures if value is not None)
    if len(figures) == 1:
        return figures[0], hidden, shown(figures[0], threshold=threshold)
    if hidden == len(figures):
        return None, hidden, f"fewer than {threshold} in each month"
    if hidden == 0:
        return known, 0, str(known)
    months = "month" if hidden == 1 else "months"
    return known, hidden, f"{known}, with fewer than {threshold} in each of {hidden} other {months}"


def build_public_view(session: Session, *, period: PublicPeriod, settings: Settings, now: datetime) -> dict[str, Any]:
    """The published figures for one period, made only of its months' frozen published figures:
    one figure per source (``sources``); ``value`` is the sum of the sources' published figures, None
    when no source shows a number. This document is what is frozen; the public is served one source
    of it at a time (``for_source``), never ``value``."""
    threshold = settings.public_suppression_threshold
    where = ward_service.placement(session, settings=settings)
    months = months_of(period)
    published = freeze_months(session, months, where=where, settings=settings, now=now)
    features = []
    for ward in ward_service.wards_of(session, where):
        sources: dict[str, dict[str, Any]] = {}
        known: list[int] = []
        for key in SOURCE_KEYS:
            value, below, words = combined([published[m][key].get(ward.code) for m in months], threshold=threshold)
            sources[key] = {"value": value, "months_below_threshold": below, "shown": words}
            if value is not None:
                known.append(value)
        total = sum(known) if known else None
        klass, colour = public_class(total)
        features.append(
            {
                "type": "Feature",
                "id": ward.code,
                "geometry": ward_geometry(session, ward),
                "properties": {
                    "code": ward.code,
                    "name": ward.name,
                    "borough_name": ward.borough_name,
                    "value": total,
                    "sources": sources,
                    "shown": "; ".join(f"{key}: {f['shown']}" for key, f in sources.items()),
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
        "months": [f"{m:%Y-%m}" for m in months],
        "sources": list(SOURCE_KEYS),
        "published_on": london_today(now).isoformat(),
        "suppression_threshold": threshold,
        "rounding": ROUNDING,
        "legend": public_legend(threshold),
        "vintage": where.vintage or ward_service.CURRENT,
        "ward_vintages": {b: where.vintage_of(b) for b in where.boroughs},
        "ward_set": where.label,
        "attribution": where.attribution,
    }


def _cache_key(period: PublicPeriod, settings: Settings) -> str:
    """A published period is kept as published, in the ward boundaries current then: a later change of
    boundaries publishes new periods in the new wards and never rewrites a figure the public has seen."""
    return MapFilter(period.start, period.end).cache_key(
        "public-published", period.id, sorted(settings.boroughs), settings.public_suppression_threshold
    )


def opening_period(
    session: Session, *, settings: Settings, now: datetime, source: str = DEFAULT_PUBLIC_SOURCE
) -> PublicPeriod:
    """The period the map opens on: the newest with a published figure of the source, else the last full month."""
    with_figures = periods_with_figures(session, settings=settings, now=now, source=source)
    return with_figures[0] if with_figures else offered_periods(session, settings=settings, now=now)[0]


def for_source(view: dict[str, Any], source: str) -> dict[str, Any]:
    """The published view as the public sees it: the figures of one public source only (its own
    published figure colours each ward), labelled with that source; police.uk's attribution when it
    is police-recorded crime."""
    key = PUBLIC_SOURCES[source]
    features = []
    for feature in view["features"]:
        props = feature["properties"]
        figure = props["sources"][key]
        klass, colour = public_class(figure["value"])
        features.append(
            feature
            | {
                "properties": {
                    "code": props["code"],
                    "name": props["name"],
                    "borough_name": props["borough_name"],
                    "source": source,
                    "value": figure["value"],
                    "months_below_threshold": figure["months_below_threshold"],
                    "shown": figure["shown"],
                    "class": klass,
                    "fill": colour,
                }
            }
        )
    shown = {k: v for k, v in view.items() if k not in ("features", "sources")}
    return shown | {
        "features": features,
        "source": source,
        "source_label": PUBLIC_SOURCE_LABELS[source],
        "sources_offered": list(PUBLIC_SOURCES),
        "source_attribution": POLICE_ATTRIBUTION if source == "police" else None,
    }


#: Each public source in words (the page translates its own labels).
PUBLIC_SOURCE_LABELS = {
    "public": "Public reports: made by people to NTE Safe",
    "police": "Police-recorded crime: police.uk street-level crime",
}


def public_view(
    session: Session,
    *,
    period_id: str | None,
    settings: Settings,
    now: datetime,
    source: str | None = DEFAULT_PUBLIC_SOURCE,
) -> dict[str, Any]:
    """The published view of a period as the public sees it (one source: ``for_source``), from the
    shared cache, or built and frozen on first use. Without a period: the newest with figures of that
    source (``opening_period``)."""
    chosen = public_source(source)
    return for_source(published_view(session, period_id=period_id, settings=settings, now=now, source=chosen), chosen)


def published_view(
    session: Session, *, period_id: str | None, settings: Settings, now: datetime, source: str = DEFAULT_PUBLIC_SOURCE
) -> dict[str, Any]:
    """The frozen published document of a period (every source's figures, kept as first published)."""
    if not period_id:
        period = opening_period(session, settings=settings, now=now, source=source)
    else:
        offered = offered_periods(session, settings=settings, now=now)
        found = next((p for p in offered if p.id == period_id), None)
        if found is None:
            raise UnknownPeriod()
        period = found
    key = _cache_key(period, settings)
    entry = repo.get_cache(session, key)
    if entry is not None:
        return json.loads(entry.body)
    return _publish(session, period=period, settings=settings, now=now)


@dataclass(frozen=True)
class PublishedStamp:
    """The offered periods, and a token that changes whenever what their published views say can:
    each view's publication time (a view not published yet is due, and is published on first use)."""

    periods: list[PublicPeriod]
    token: str
    published_at: datetime | None
    #: The periods whose views are not published yet.
    due: frozenset[str]


def published_stamp(session: Session, *, settings: Settings, now: datetime) -> PublishedStamp:
    """The offered periods and their publication times (one query; no view is read or built)."""
    offered = offered_periods(session, settings=settings, now=now)
    keys = [_cache_key(p, settings) for p in offered]
    times = repo.cache_times(session, keys)
    parts = [f"{p.id}={times[k].isoformat() if k in times else 'due'}" for p, k in zip(offered, keys, strict=True)]
    token = hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
    due = frozenset(p.id for p, k in zip(offered, keys, strict=True) if k not in times)
    return PublishedStamp(offered, token, max(times.values(), default=None), due)


def _publish(session: Session, *, period: PublicPeriod, settings: Settings, now: datetime) -> dict[str, Any]:
    """Build a period's published view and freeze it in the shared store, as the public will see it."""
    view = build_public_view(session, period=period, settings=settings, now=now)
    repo.put_cache(
        session,
        key=_cache_key(period, settings),
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
    where = ward_service.placement(session, settings=settings)
    offered = offered_periods(session, settings=settings, now=now)
    # Every month the offered periods are made of, frozen together in this transaction.
    due = sorted({m for period in offered for m in months_of(period)})
    freeze_months(session, due, where=where, settings=settings, now=now)
    built = 0
    for period in offered:
        if not force and repo.get_cache(session, _cache_key(period, settings)) is not None:
            continue
        _publish(session, period=period, settings=settings, now=now)
        built += 1
    # Officer bundles are rebuilt on demand; drop the ones nobody asked for in a week.
    repo.delete_cache_older_than(session, kind="officer", before=now - timedelta(days=7))
    return built
