"""Query parameters of the statistics filter, shared by the maps JSON API and pages."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.maps import coverage
from nte.maps.filters import FILTER_PARAMS, MapFilter, known_category_codes, parse_filter, refuse_unknown
from nte.wards import service as ward_service

_TEXT = {"max_length": 200}


def declared_query_names(request: Request) -> set[str]:
    """The query parameters the matched route declares (its own and its dependencies')."""
    names: set[str] = set()
    stack = [getattr(request.scope.get("route"), "dependant", None)]
    while stack:
        dependant = stack.pop()
        if dependant is None:
            continue
        names.update(str(p.alias) for p in dependant.query_params)
        stack.extend(dependant.dependencies)
    return names


def only_declared_params(request: Request) -> None:
    """A 422 naming any query parameter the route does not take (for routes without the filter)."""
    refuse_unknown(request.query_params.keys(), declared_query_names(request))


def parse_officer_filter(
    session: Session,
    *,
    now: datetime,
    sent: Iterable[str],
    also_allowed: Collection[str],
    date_from: str | None = None,
    date_to: str | None = None,
    category: str | Sequence[str] | None = None,
    day: str | Sequence[str] | None = None,
    hours: str | Sequence[str] | None = None,
    source: str | Sequence[str] | None = None,
    status: str | Sequence[str] | None = None,
    borough: str | None = None,
    vintage: str | None = None,
) -> MapFilter:
    """The officer's filter from the values sent, checked against the served boroughs, the vintages
    loaded and the reporting categories: the one reading the maps API and the map pages share."""
    return parse_filter(
        now=now,
        date_from=date_from,
        date_to=date_to,
        category=category,
        day=day,
        hours=hours,
        source=source,
        status=status,
        borough=borough,
        vintage=vintage,
        boroughs=get_settings().boroughs,
        vintages=[s.vintage for s in ward_service.vintages(session)],
        known_categories=known_category_codes(),
        sent=sent,
        also_allowed=also_allowed,
    )


def officer_filter(
    request: Request,
    session: SessionDep,
    date_from: Annotated[
        str | None,
        Query(alias="from", description="First day (London), YYYY-MM-DD; none: latest 12 months with data", **_TEXT),
    ] = None,
    date_to: Annotated[str | None, Query(alias="to", description="Last day (London), inclusive", **_TEXT)] = None,
    category: Annotated[str | None, Query(description="Comma-separated categories (any of)", **_TEXT)] = None,
    day: Annotated[str | None, Query(description="Days of week: 1-7 (Mon-Sun) or mon..sun", **_TEXT)] = None,
    hours: Annotated[str | None, Query(description="London hour bands, e.g. 18-06 (crosses midnight)", **_TEXT)] = None,
    source: Annotated[str | None, Query(description="public, police, import", **_TEXT)] = None,
    status: Annotated[str | None, Query(description="new, accepted, duplicate (spam never counts)", **_TEXT)] = None,
    borough: Annotated[str | None, Query(description="Borough (LAD) code", **_TEXT)] = None,
    vintage: Annotated[
        str | None,
        Query(description="Ward boundary vintage, e.g. 2013-12 (see /api/ward-vintages); default: current", **_TEXT),
    ] = None,
) -> MapFilter:
    flt = parse_officer_filter(
        session,
        now=utcnow(),
        date_from=date_from,
        date_to=date_to,
        category=category,
        day=day,
        hours=hours,
        source=source,
        status=status,
        borough=borough,
        vintage=vintage,
        sent=request.query_params.keys(),
        also_allowed=declared_query_names(request) - set(FILTER_PARAMS),
    )
    if not date_from and not date_to:  # the latest period that has data, as the officer's map opens on
        flt, _covered = coverage.with_default_period(session, flt, settings=get_settings(), now=utcnow())
    return flt


FilterDep = Annotated[MapFilter, Depends(officer_filter)]
CellSize = Annotated[
    str | None, Query(description="Hotspot grid cell size in metres (50-5000); default from the data", max_length=20)
]
