"""The officer's filter as the map pages read it from their address, and what every officer page
with figures says about its sources and boundaries."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from nte.config import get_settings
from nte.db import utcnow
from nte.maps import coverage as coverage_service
from nte.maps.filters import PAGE_PARAMS, POLICE_ATTRIBUTION, SOURCE_GROUP_WORDS, MapFilter
from nte.maps.params import parse_officer_filter
from nte.reports.vocabulary import CATEGORIES
from nte.wards import service as ward_service


def category_names() -> dict[str, str]:
    return dict(CATEGORIES)


#: The two sources on the officer's pages (headings of their counts, kept apart).
SOURCE_GROUP_NAMES = {"public": "Public reports", "police": "Police-recorded crime"}
#: What every officer page with figures is told about their sources.
SOURCE_CONTEXT = {
    "source_group_names": SOURCE_GROUP_NAMES,
    "source_group_words": SOURCE_GROUP_WORDS,
    "police_attribution": POLICE_ATTRIBUTION,
}

NIGHT_HOURS = "18-06"


def _hours(q: Any) -> str | None:
    """The hour bands typed, or the night-time economy's 18-06 when only "night-time only" is ticked."""
    return q.get("hours") or (NIGHT_HOURS if q.get("night") else None)


#: What the officer's map pages take in their address besides the filter.
OFFICER_PAGE_PARAMS = ("night", "cell_size", *PAGE_PARAMS)


def filter_from(
    request: Request, session: Any, *, default_period: bool = True, also: tuple[str, ...] = OFFICER_PAGE_PARAMS
) -> tuple[MapFilter, list[coverage_service.SourceCoverage]]:
    """The filter in the address; with no dates in it, moved to the latest period that has data. Any
    other parameter than the filter's and ``also`` is an error naming it."""
    q = request.query_params
    now = utcnow()
    flt = parse_officer_filter(
        session,
        now=now,
        date_from=q.get("from") or None,
        date_to=q.get("to") or None,
        category=q.getlist("category") or None,
        day=q.getlist("day") or None,
        hours=_hours(q),
        source=q.getlist("source") or None,
        status=q.getlist("status") or None,
        borough=q.get("borough") or None,
        vintage=q.get("vintage") or None,
        sent=q.keys(),
        also_allowed=also,
    )
    if default_period and not q.get("from") and not q.get("to"):
        return coverage_service.with_default_period(session, flt, settings=get_settings(), now=now)
    covered = coverage_service.coverage(session, settings=get_settings(), statuses=flt.statuses, borough=flt.borough)
    return flt, covered


def boundaries_words(placement: ward_service.Placement) -> str:
    """Which boundaries figures are in, after "Wards:": "December 2013 boundaries", or "current
    boundaries (May 2022)"."""
    return f"{placement.label} boundaries" if placement.vintage else placement.label
