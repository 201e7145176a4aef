"""The coordinator's patrol area pages: the list and map, and a new area drawn, pasted or uploaded."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from nte.auth.deps import CoordinatorPage, CsrfProtected
from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.errors import NTEError
from nte.patrols import service
from nte.patrols.messages import FLASH
from nte.patrols.pages.common import (
    MAX_UPLOAD,
    ordered_errors,
    page_context,
)
from nte.web.templating import render as render_page

router = APIRouter(include_in_schema=False)

AREA_FIELDS = ("name", "description", "geometry", "file")


# --- coordinator: areas ---------------------------------------------------------------------------


def _areas_page(request: Request, session: SessionDep, **extra: Any) -> dict[str, Any]:
    return page_context(request, areas=service.list_patrol_areas(session), **extra)


@router.get("/coordinator/areas", response_class=HTMLResponse)
def areas(request: Request, user: CoordinatorPage, session: SessionDep) -> HTMLResponse:
    return render_page(request, "patrols/areas.html", _areas_page(request, session))


@router.post("/coordinator/areas", response_class=HTMLResponse, dependencies=[CsrfProtected])
async def create_area(
    request: Request,
    user: CoordinatorPage,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=600)] = "",
    geometry: Annotated[str, Form(max_length=1_500_000)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Every problem with the form is shown at once (name, description, shape); the shape drawn or
    pasted comes back in the form and on the map."""
    form = {"name": name, "description": description, "geometry": geometry}
    errors: dict[str, str] = {}
    data: str | bytes | None = geometry
    field = "geometry"
    if file is not None and file.filename:
        field = "file"
        data = await file.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            errors["file"] = "The file is larger than 1 MB."
            data = None
    if data is not None and not str(data).strip():
        errors["geometry"] = "Draw the area on the map, paste GeoJSON or upload a GeoJSON file."
        data = None
    settings = get_settings()
    errors.update(
        service.area_problems(
            session, name=name, description=description or None, geometry=data, settings=settings, field=field
        )
    )
    if errors:
        return render_page(
            request,
            "patrols/areas.html",
            _areas_page(request, session, errors=ordered_errors(errors, AREA_FIELDS), form=form),
            status_code=422,
        )
    try:
        service.create_area(
            session,
            actor=user,
            name=name,
            description=description or None,
            geometry=data,
            settings=settings,
            now=utcnow(),
        )
    except NTEError as exc:  # e.g. a name taken by a concurrent request
        return render_page(
            request,
            "patrols/areas.html",
            _areas_page(request, session, errors={exc.field or field: exc.detail}, form=form),
            status_code=exc.status_code,
        )
    return FLASH.redirect("/coordinator/areas", "area.saved", name=name.strip())
