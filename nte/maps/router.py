"""JSON API for ward boundaries (RFC 7946 GeoJSON)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from nte.auth.deps import public
from nte.config import get_settings
from nte.db import SessionDep
from nte.maps import repository as repo
from nte.maps import wards as ward_service
from nte.web.responses import GeoJSONResponse

router = APIRouter(prefix="/api", tags=["wards"], dependencies=[Depends(public)])


@router.get("/boroughs", summary="Boroughs this deployment serves")
def list_boroughs(session: SessionDep) -> list[dict[str, Any]]:
    settings = get_settings()
    ward_set = ward_service.require_active_set(session)
    return [
        {"code": code, "name": name, "wards": count}
        for code, name, count in repo.boroughs(session, ward_set_id=ward_set.id)
        if code in settings.boroughs
    ]


@router.get("/wards", response_class=GeoJSONResponse, summary="Wards of a borough (or all served) as GeoJSON")
def list_wards(
    session: SessionDep,
    borough: Annotated[
        str | None, Query(max_length=20, pattern=r"^[A-Z0-9]+$", description="Borough (LAD) code, e.g. E09000033")
    ] = None,
) -> GeoJSONResponse:
    wards = ward_service.served_wards(session, settings=get_settings(), borough=borough)
    ward_set = ward_service.require_active_set(session)
    return GeoJSONResponse(
        ward_service.feature_collection(wards, ward_set), headers={"Cache-Control": "public, max-age=3600"}
    )


@router.get("/wards/lookup", summary="Which served ward contains a point")
def lookup_ward(
    session: SessionDep,
    lon: Annotated[float, Query(ge=-180, le=180, description="WGS84 longitude")],
    lat: Annotated[float, Query(ge=-90, le=90, description="WGS84 latitude")],
) -> dict[str, Any]:
    ward = ward_service.locate(session, lon=lon, lat=lat, settings=get_settings())
    return ward_service.ward_feature(ward, with_geometry=False)["properties"]


@router.get("/wards/{code}", response_class=GeoJSONResponse, summary="One ward by its GSS code")
def get_ward(session: SessionDep, code: str) -> GeoJSONResponse:
    ward = ward_service.get_ward(session, code=code[:40])
    feature = ward_service.ward_feature(ward)
    feature["attribution"] = ward_service.require_active_set(session).attribution
    return GeoJSONResponse(feature)
