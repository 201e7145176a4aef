"""A ward's figures and trend beside the officer's map."""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from nte.auth.deps import OfficerPage
from nte.config import get_settings
from nte.db import SessionDep
from nte.maps import render as renderer
from nte.maps import statistics as stats_service
from nte.maps.pages.officer_filter import SOURCE_CONTEXT, boundaries_words, filter_from
from nte.wards import service as ward_service
from nte.wards.exceptions import UnknownWard
from nte.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/officer/maps/wards/{code}", response_class=HTMLResponse)
def ward_panel(request: Request, session: SessionDep, user: OfficerPage, code: str) -> HTMLResponse:
    flt, _covered = filter_from(request, session)
    ward = ward_service.get_ward(session, code=code[:40], vintage=flt.vintage)
    if ward.borough_code not in get_settings().boroughs:
        raise UnknownWard(code, field="code")
    flt = dataclasses.replace(flt, borough=ward.borough_code)
    stats = stats_service.ward_statistics(session, flt=flt, settings=get_settings())
    row = stats.row(ward.code)
    boundaries = boundaries_words(stats.placement)
    chart = renderer.trend_svg(
        stats.months,
        row.trend if row else [],
        title=f"Reports per month in {ward.name} ({ward.code}), {boundaries}",
    )
    return render(
        request,
        "maps/_ward_panel.html",
        {"row": row, "stats": stats, "chart": chart, "flt": flt, "boundaries": boundaries, **SOURCE_CONTEXT},
    )
