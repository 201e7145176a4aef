"""The officer's map as a standalone HTML file (a download, audited like every export)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from nte.auth.deps import OfficerPage
from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.maps import standalone
from nte.maps import statistics as stats_service
from nte.maps.pages.officer_filter import filter_from
from nte.web.downloads import download

router = APIRouter(include_in_schema=False)


@router.get("/officer/maps/export.html")
def export_html(request: Request, session: SessionDep, user: OfficerPage) -> Response:
    flt, covered = filter_from(request, session)
    cell_size = stats_service.validate_cell_size(request.query_params.get("cell_size"))
    found = standalone.standalone_map(
        session, flt=flt, covered=covered, settings=get_settings(), now=utcnow(), cell_size=cell_size
    )
    response = download(
        session,
        actor=user,
        kind="html",
        content=found.html,
        filename=found.filename,
        action="maps.export",
        target_type="map_html",
        target_id=f"{flt.date_from}..{flt.date_to}",
        detail=flt.to_params(),
    )
    response.headers["Content-Security-Policy"] = found.csp
    return response
