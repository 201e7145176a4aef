"""JSON API for ward statistics, hotspots and public ward maps.

Officers: ward statistics (JSON, CSV, GeoJSON), hotspot cells (GeoJSON), the officer map bundle.
Coordinators: the patrol-area hotspot view. Everyone: the published public ward views."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from nte.auth.deps import OfficerApi, StaffApi, public
from nte.auth.models import User
from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.maps import coordinator as coordinator_service
from nte.maps import public as public_service
from nte.maps import statistics as stats_service
from nte.maps.filters import MapFilter
from nte.maps.params import CellSize, FilterDep, only_declared_params
from nte.web.downloads import Kind, download
from nte.web.responses import GeoJSONResponse

router = APIRouter(prefix="/api/maps", tags=["maps"])


def _export(
    session: Session,
    user: User,
    flt: MapFilter,
    *,
    kind: Kind,
    what: str,
    name: str,
    content: Any,
    extra: dict[str, Any] | None = None,
) -> Response:
    """One officer export of the filter's figures, audited as ``maps.export`` of ``what`` with the
    filter (and ``extra``, what else shaped the figures)."""
    return download(
        session,
        actor=user,
        kind=kind,
        content=content,
        filename=f"{name}-{flt.date_from}-{flt.date_to}.{kind}",
        action="maps.export",
        target_type=what,
        target_id=f"{flt.date_from}..{flt.date_to}",
        detail=flt.to_params() | (extra or {}),
    )


@router.get("/stats", summary="Ward statistics for a filter (officers)")
def ward_stats(session: SessionDep, flt: FilterDep, user: OfficerApi) -> dict[str, Any]:
    stats = stats_service.ward_statistics(session, flt=flt, settings=get_settings())
    return {
        "filter": flt.to_params(),
        "description": flt.describe(),
        "months": stats.months,
        "total": stats.total,
        "previous_total": stats.previous_total,
        "borough_totals": stats.borough_totals,
        "notes": stats.all_notes,
        "legend": [{"colour": c, "label": label} for c, label in stats.legend],
        "wards": [r.properties() | {"trend": r.trend} for r in stats.rows],
    }


@router.get("/stats.csv", summary="Ward statistics as CSV (officers)", response_class=Response)
def ward_stats_csv(session: SessionDep, flt: FilterDep, user: OfficerApi) -> Response:
    stats = stats_service.ward_statistics(session, flt=flt, settings=get_settings())
    csv = stats_service.stats_csv(stats)
    return _export(session, user, flt, kind="csv", what="ward_stats", name="ward-statistics", content=csv)


@router.get("/stats.geojson", summary="Ward statistics as GeoJSON (officers)", response_class=GeoJSONResponse)
def ward_stats_geojson(session: SessionDep, flt: FilterDep, user: OfficerApi) -> Response:
    settings = get_settings()
    stats = stats_service.ward_statistics(session, flt=flt, settings=settings)
    collection = stats_service.stats_geojson(session, stats, settings=settings)
    return _export(session, user, flt, kind="geojson", what="ward_stats", name="ward-statistics", content=collection)


@router.get("/hotspots.geojson", summary="Gi* hotspot grid cells as GeoJSON (officers)", response_class=GeoJSONResponse)
def hotspots_geojson(
    session: SessionDep,
    flt: FilterDep,
    user: OfficerApi,
    cell_size: CellSize = None,
    significant: Annotated[bool, Query(description="Only cells with bin != 0")] = False,
) -> Response:
    size = stats_service.validate_cell_size(cell_size)
    result = stats_service.hotspots(session, flt=flt, settings=get_settings(), cell_size=size)
    cells = stats_service.hotspot_geojson(result, significant_only=significant)
    shaped = ({"cell_size": f"{size:g}"} if size else {}) | ({"significant": "true"} if significant else {})
    return _export(session, user, flt, kind="geojson", what="hotspots", name="hotspots", content=cells, extra=shaped)


@router.get("/officer-map", summary="Everything the officer map shows for a filter (officers; cached)")
def officer_map(session: SessionDep, flt: FilterDep, user: OfficerApi, cell_size: CellSize = None) -> JSONResponse:
    size = stats_service.validate_cell_size(cell_size)
    bundle, hit = stats_service.officer_map(session, flt=flt, settings=get_settings(), now=utcnow(), cell_size=size)
    return JSONResponse(bundle, headers={"X-Cache": "hit" if hit else "miss", "Cache-Control": "private, no-store"})


@router.get(
    "/public/periods",
    summary="The fixed periods the public map offers",
    dependencies=[Depends(public), Depends(only_declared_params)],
)
def public_periods(session: SessionDep) -> list[dict[str, str]]:
    return [
        {"id": p.id, "kind": p.kind, "label": p.label, "start": p.start.isoformat(), "end": p.end.isoformat()}
        for p in public_service.offered_periods(session, settings=get_settings(), now=utcnow())
    ]


@router.get(
    "/public/wards.geojson",
    summary="Published ward counts of one source for a fixed period (suppressed, rounded)",
    response_class=GeoJSONResponse,
    dependencies=[Depends(public), Depends(only_declared_params)],
)
def public_wards(
    session: SessionDep,
    period: Annotated[str | None, Query(max_length=40, description="A period id from /periods")] = None,
    source: Annotated[
        str | None,
        Query(max_length=20, description="public (reports made to NTE Safe; the default) or police (police.uk)"),
    ] = None,
) -> GeoJSONResponse:
    view = public_service.public_view(session, period_id=period, settings=get_settings(), now=utcnow(), source=source)
    return GeoJSONResponse(view, headers={"Cache-Control": "public, max-age=3600"})


@router.get(
    "/coordinator",
    summary="Hotspots in and near a patrol area during its shift hours (staff)",
    dependencies=[Depends(only_declared_params)],
)
def coordinator(
    session: SessionDep,
    user: StaffApi,
    area: Annotated[int, Query(ge=1, description="Patrol area id")],
    series: Annotated[int | None, Query(ge=1, description="One shift series (default: all)")] = None,
    days: Annotated[int, Query(ge=7, le=366)] = coordinator_service.DEFAULT_DAYS,
    cell_size: CellSize = None,
    date_from: Annotated[
        date | None, Query(alias="from", description="First day (London); default: days before today")
    ] = None,
    date_to: Annotated[date | None, Query(alias="to", description="Last day (London), inclusive")] = None,
    hours: Annotated[
        Literal["shifts", "all"], Query(description="Count the shifts' hours only, or all hours")
    ] = "shifts",
) -> dict[str, Any]:
    size = stats_service.validate_cell_size(cell_size)
    return coordinator_service.coordinator_view(
        session,
        area_id=area,
        series_id=series,
        days=days,
        settings=get_settings(),
        now=utcnow(),
        cell_size=size,
        date_from=date_from,
        date_to=date_to,
        all_hours=hours == "all",
    )
