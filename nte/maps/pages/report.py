"""The printable monthly ward report for the map's period and filters."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from nte.auth.deps import OfficerPage
from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.london import london_today
from nte.maps import coverage as coverage_service
from nte.maps import render as renderer
from nte.maps import statistics as stats_service
from nte.maps.exceptions import InvalidMapFilter
from nte.maps.filters import add_months
from nte.maps.pages.officer_filter import OFFICER_PAGE_PARAMS, SOURCE_CONTEXT, boundaries_words, filter_from
from nte.web.templating import render

router = APIRouter()


@router.get("/officer/maps/report", response_class=HTMLResponse)
def monthly_report(
    request: Request,
    session: SessionDep,
    user: OfficerPage,
    month: Annotated[str | None, Query(max_length=7, pattern=r"^\d{4}-\d{2}$")] = None,
) -> HTMLResponse:
    """The printable ward report for the map's period and filters (from the map's link), or for one
    month; with neither, the latest month that has data."""
    settings = get_settings()
    flt, covered = filter_from(request, session, default_period=False, also=(*OFFICER_PAGE_PARAMS, "month"))
    if month:
        try:
            first = date(int(month[:4]), int(month[5:7]), 1)
        except ValueError:
            raise InvalidMapFilter("Choose a month like 2026-10 (year, then month 01 to 12).", field="month") from None
        flt = dataclasses.replace(flt, date_from=first, date_to=add_months(first, 1) - timedelta(days=1))
    elif not request.query_params.get("from") and not request.query_params.get("to"):
        first = coverage_service.latest_month(covered, sources=flt.sources) or add_months(
            london_today(utcnow()).replace(day=1), -1
        )
        flt = dataclasses.replace(flt, date_from=first, date_to=add_months(first, 1) - timedelta(days=1))
    stats = stats_service.ward_statistics(session, flt=flt, settings=settings)
    one_month = flt.date_from.day == 1 and flt.date_to == add_months(flt.date_from, 1) - timedelta(days=1)
    last_month = flt.date_to.replace(day=1)
    year = dataclasses.replace(flt, date_from=min(flt.date_from, add_months(last_month, -11)))
    yearly = stats_service.ward_statistics(session, flt=year, settings=settings)
    totals = [sum(r.trend[i] for r in yearly.rows) for i in range(len(yearly.months))]
    chart = renderer.trend_svg(
        yearly.months,
        totals,
        title=f"Reports per month, {yearly.months[0]} to {yearly.months[-1]}, {boundaries_words(yearly.placement)}",
    )
    boroughs: dict[str, list[stats_service.WardRow]] = {}
    for r in sorted(stats.rows, key=lambda r: (r.borough_name, r.rank, r.name)):
        boroughs.setdefault(r.borough_name, []).append(r)
    period = f"{flt.date_from:%B %Y}" if one_month else f"{flt.date_from:%-d %b %Y} to {flt.date_to:%-d %b %Y}"
    return render(
        request,
        "maps/report.html",
        {
            "flt": flt,
            "stats": stats,
            "boroughs": boroughs,
            "chart": chart,
            "period": period,
            "one_month": one_month,
            "covered": covered,
            "map_query": urlencode(flt.to_params()),
            "boundaries": boundaries_words(stats.placement),
            "generated": utcnow(),
            **SOURCE_CONTEXT,
        },
    )
