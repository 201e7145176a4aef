"""The printable monthly ward report for the map's period and filters."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from nte.auth.deps import OfficerPage
from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.maps import monthly
from nte.maps import render as renderer
from nte.maps.pages.officer_filter import OFFICER_PAGE_PARAMS, SOURCE_CONTEXT, boundaries_words, filter_from
from nte.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/officer/maps/report", response_class=HTMLResponse)
def monthly_report(
    request: Request,
    session: SessionDep,
    user: OfficerPage,
    month: Annotated[str | None, Query(max_length=7, pattern=r"^\d{4}-\d{2}$")] = None,
) -> HTMLResponse:
    """The printable ward report for the map's period and filters (from the map's link), or for one
    month; with neither, the latest month that has data."""
    q = request.query_params
    flt, covered = filter_from(request, session, default_period=False, also=(*OFFICER_PAGE_PARAMS, "month"))
    dates_chosen = bool(q.get("from") or q.get("to"))
    flt = monthly.report_period(flt, month=month, dates_chosen=dates_chosen, covered=covered, now=utcnow())
    report = monthly.monthly_report(session, flt=flt, settings=get_settings())
    yearly = report.yearly
    chart = renderer.trend_svg(
        yearly.months,
        report.monthly_totals,
        title=f"Reports per month, {yearly.months[0]} to {yearly.months[-1]}, {boundaries_words(yearly.placement)}",
    )
    return render(
        request,
        "maps/report.html",
        {
            "flt": flt,
            "stats": report.stats,
            "boroughs": report.boroughs,
            "chart": chart,
            "period": report.period,
            "one_month": report.one_month,
            "covered": covered,
            "map_query": urlencode(flt.to_params()),
            "boundaries": boundaries_words(report.stats.placement),
            "generated": utcnow(),
            **SOURCE_CONTEXT,
        },
    )
