"""The coordinator's patrol-area view: hotspots in and near a patrol area in its shifts' hours."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from nte.auth.deps import StaffPage
from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.errors import NTEError
from nte.maps import coordinator as coordinator_service
from nte.maps import coverage as coverage_service
from nte.maps import statistics as stats_service
from nte.maps.filters import DEFAULT_STATUSES, PAGE_PARAMS, unknown_parameters
from nte.maps.pages.officer_filter import SOURCE_CONTEXT
from nte.web.templating import render

router = APIRouter(include_in_schema=False)


COORDINATOR_PARAMS = ("area", "series", "from", "to", "hours", "cell_size")


def _coordinator_params(request: Request, areas: list[Any]) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """The coordinator map's query, read without a 422 body: (parsed values, every error by field,
    the values as typed, to keep them in the form)."""
    q = request.query_params
    typed = {key: (q.get(key) or "").strip()[:40] for key in COORDINATOR_PARAMS}
    errors: dict[str, str] = unknown_parameters(q.keys(), (*COORDINATOR_PARAMS, *PAGE_PARAMS))
    values: dict[str, Any] = {
        "area": None,
        "series": None,
        "from": None,
        "to": None,
        "all_hours": False,
        "cell_size": None,
    }
    for key in ("area", "series"):
        if typed[key]:
            if typed[key].isdigit() and int(typed[key]) >= 1:
                values[key] = int(typed[key])
            else:
                errors[key] = (
                    "Choose a patrol area from the list." if key == "area" else "Choose a shift series from the list."
                )
    if values["area"] is not None and all(a.id != values["area"] for a in areas):
        errors["area"] = "There is no such patrol area: choose one from the list."
    for key, label in (("from", "first"), ("to", "last")):
        if typed[key]:
            try:
                values[key] = date.fromisoformat(typed[key])
            except ValueError:
                errors[key] = f"Enter the {label} day as a date, for example 2026-11-30."
    if values["from"] and values["to"] and values["from"] > values["to"]:
        errors["to"] = "The last day is before the first day."
    if typed["hours"] not in ("", "shifts", "all"):
        errors["hours"] = "Choose the shifts' hours or all hours."
    values["all_hours"] = typed["hours"] == "all"
    try:
        values["cell_size"] = stats_service.validate_cell_size(typed["cell_size"] or None)
    except NTEError:
        errors["cell_size"] = "Enter a cell size between 50 and 5000 metres, or leave it empty."
    return values, errors, typed


@router.get("/coordinator/maps", response_class=HTMLResponse)
def coordinator_page(request: Request, session: SessionDep, user: StaffPage) -> HTMLResponse:
    """Opens with no query on the latest period that has data (see ``coordinator.opening_view``) and
    says which period the data covers; mistakes in the query are a page with plain errors (422) that
    keeps the other values, never a JSON body."""
    settings = get_settings()
    areas = coordinator_service.list_areas(session)
    values, errors, typed = _coordinator_params(request, areas)
    view, note = None, None
    area = values["area"] if "area" not in errors else None
    if area is None and areas and "area" not in errors:
        area = areas[0].id
    chosen = any(typed[key] for key in ("from", "to", "hours", "cell_size"))
    coverage = coordinator_service.data_coverage(session, settings=settings)
    covered = coverage_service.coverage(session, settings=settings, statuses=DEFAULT_STATUSES)
    if area is not None and not errors:
        try:
            view, note = coordinator_service.page_view(
                session,
                area_id=area,
                series_id=values["series"],
                settings=settings,
                now=utcnow(),
                chosen=chosen,
                has_data=coverage["first"] is not None,
                date_from=values["from"],
                date_to=values["to"],
                all_hours=values["all_hours"],
                cell_size=values["cell_size"],
            )
        except NTEError as exc:
            if exc.status_code >= 500:
                raise
            errors[exc.field if exc.field in typed else "from"] = exc.detail
    layers = []
    if view:
        params: dict[str, Any] = {"area": area, **view["period"], "hours": "all" if view["all_hours"] else "shifts"}
        if values["series"]:
            params["series"] = values["series"]
        if values["cell_size"]:
            params["cell_size"] = f"{values['cell_size']:g}"
        query = urlencode(params)
        layers = [
            {"name": "Patrol areas", "url": "/api/patrols/areas.geojson", "kind": "areas", "colour": "#6a3d9a"},
            {
                "name": "Hotspot cells in or near this area",
                "url": f"/api/maps/coordinator?{query}",
                "key": "in_or_near",
                "kind": "cells",
                "value": "label",
                "fit": True,
            },
            {
                "name": "Hot spots no patrol covers",
                "url": f"/api/maps/coordinator?{query}",
                "key": "uncovered",
                "kind": "cells",
                "value": "label",
                "outline": "#000",
            },
        ]
    form = dict(typed)
    if view:
        form.update(
            {
                "from": view["period"]["from"],
                "to": view["period"]["to"],
                "hours": "all" if view["all_hours"] else "shifts",
            }
        )
    return render(
        request,
        "maps/coordinator.html",
        {
            "areas": areas,
            "area_id": area,
            "series_id": values["series"],
            "view": view,
            "note": note,
            "errors": errors,
            "form": form,
            "coverage": coverage,
            "covered": covered,
            "layers": layers,
            "unavailable": None,
            "coordinator_menu": user.role in ("coordinator", "admin"),
            **SOURCE_CONTEXT,
        },
        status_code=422 if errors else 200,
    )
