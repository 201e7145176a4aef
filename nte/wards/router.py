"""JSON API for ward boundaries (RFC 7946 GeoJSON), in the current vintage or any other."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from nte.auth.deps import public
from nte.config import get_settings
from nte.db import SessionDep
from nte.wards import service
from nte.web.responses import GeoJSONResponse

router = APIRouter(prefix="/api", tags=["wards"], dependencies=[Depends(public)])

Vintage = Annotated[
    str | None,
    Query(
        max_length=120,
        description="Ward boundary vintage, e.g. 2022-05 or 2013-12 (see /api/ward-vintages); default: each "
        "borough's current boundaries",
    ),
]


@router.get("/ward-vintages", summary="Ward boundary vintages and where each is current")
def list_vintages(session: SessionDep) -> list[dict[str, Any]]:
    served = set(get_settings().boroughs)
    return [
        {
            "vintage": s.ward_set.vintage,
            "name": s.ward_set.name,
            "date": s.ward_set.vintage_date.isoformat() if s.ward_set.vintage_date else None,
            "boroughs": sorted(b for b in s.boroughs if b in served),
            "current_in": [b for b in s.current_in if b in served],
            "attribution": s.ward_set.attribution,
        }
        for s in service.summaries(session)
    ]


@router.get("/boroughs", summary="Boroughs this deployment serves")
def list_boroughs(session: SessionDep, vintage: Vintage = None) -> list[dict[str, Any]]:
    return [
        {"code": b.code, "name": b.name, "wards": b.wards, "vintage": b.vintage}
        for b in service.served_boroughs(session, settings=get_settings(), vintage=vintage)
    ]


@router.get("/wards", response_class=GeoJSONResponse, summary="Wards of a borough (or all served) as GeoJSON")
def list_wards(
    session: SessionDep,
    borough: Annotated[
        str | None, Query(max_length=20, pattern=r"^[A-Z0-9]+$", description="Borough (LAD) code, e.g. E09000033")
    ] = None,
    vintage: Vintage = None,
) -> GeoJSONResponse:
    where = service.placement(session, settings=get_settings(), vintage=vintage, borough=borough)
    return GeoJSONResponse(
        service.feature_collection(service.wards_of(session, where), where),
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/wards/lookup", summary="Which served ward contains a point")
def lookup_ward(
    session: SessionDep,
    lon: Annotated[float, Query(ge=-180, le=180, description="WGS84 longitude")],
    lat: Annotated[float, Query(ge=-90, le=90, description="WGS84 latitude")],
    vintage: Vintage = None,
) -> dict[str, Any]:
    ward = service.locate(session, lon=lon, lat=lat, settings=get_settings(), vintage=vintage)
    ward_set = service.ward_set_of(session, ward)
    return {**service.ward_feature(ward, with_geometry=False)["properties"], "vintage": ward_set.vintage}


@router.get("/wards/{code}", response_class=GeoJSONResponse, summary="One ward by its GSS code")
def get_ward(session: SessionDep, code: str, vintage: Vintage = None) -> GeoJSONResponse:
    ward = service.get_ward(session, code=code[:40], vintage=vintage)
    ward_set = service.ward_set_of(session, ward)
    feature = service.ward_feature(ward)
    feature["vintage"] = ward_set.vintage
    feature["attribution"] = ward_set.attribution
    return GeoJSONResponse(feature)
