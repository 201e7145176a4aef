"""JSON API for safe spaces: public nearest search and GeoJSON layer; officers' registry,
verification, import and proposal decisions; owners' proposals."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, UploadFile

from nte.auth.deps import OfficerApi, OwnerApi, public
from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.errors import ERROR_RESPONSES
from nte.safespaces import service
from nte.safespaces.schemas import (
    Decision,
    ProposalCreate,
    SafeSpaceCreate,
    SafeSpaceUpdate,
    Withdrawal,
    proposal_read,
)
from nte.web.responses import GeoJSONResponse

router = APIRouter(prefix="/api/safe-spaces", tags=["safe spaces"], responses=ERROR_RESPONSES)
geojson_router = APIRouter(prefix="/api", tags=["safe spaces"], responses=ERROR_RESPONSES)

BODY_LIMITS = {"/api/safe-spaces/import": service.MAX_UPLOAD, "/officer/safe-spaces/import": service.MAX_UPLOAD}


@router.get("/nearest", dependencies=[Depends(public)], summary="Nearest safe spaces to a point, open or not")
def nearest(
    session: SessionDep,
    lon: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False, description="WGS84 longitude")],
    lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False, description="WGS84 latitude")],
    at: Annotated[datetime | None, Query(description="ISO date-time (London time if no offset); default now")] = None,
    open_only: Annotated[bool, Query(description="Only spaces open at that time")] = False,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT)] = 5,
) -> dict[str, Any]:
    """Each space with its distance in metres, whether it is open, "open until HH:MM" / "opens at
    HH:MM", and why it is listed as closed when its hours are unknown or not recently confirmed."""
    result = service.find_nearest(session, lon=lon, lat=lat, at=at, open_only=open_only, limit=limit, now=utcnow())
    return result.to_json()


@geojson_router.get(
    "/safe-spaces.geojson",
    response_class=GeoJSONResponse,
    dependencies=[Depends(public)],
    summary="Safe spaces as a GeoJSON map layer, with opening status",
)
def safe_spaces_geojson(
    session: SessionDep,
    at: Annotated[datetime | None, Query(description="ISO date-time (London if no offset); default now")] = None,
    bbox: Annotated[str | None, Query(max_length=100, description="minlon,minlat,maxlon,maxlat")] = None,
) -> GeoJSONResponse:
    body = service.public_layer(session, at=at, bbox=bbox, now=utcnow(), attribution=service.NHS_ATTRIBUTION)
    return GeoJSONResponse(body, headers={"Cache-Control": "public, max-age=60"})


@router.get("", summary="All safe spaces (officers)")
def list_spaces(
    session: SessionDep,
    user: OfficerApi,
    status: Annotated[str | None, Query(max_length=12)] = None,
) -> list[dict[str, Any]]:
    now = utcnow()
    return [service.space_detail(session, s, v, now=now) for s, v in service.list_spaces(session, status=status)]


@router.post("", status_code=201, summary="Add a safe space (officers)")
def create_space(session: SessionDep, user: OfficerApi, body: SafeSpaceCreate) -> dict[str, Any]:
    now = utcnow()
    data = body.model_dump(exclude_unset=True, exclude={"confirm_hours"})
    space = service.create_space(
        session, data=data, actor=user, settings=get_settings(), now=now, confirm_hours=body.confirm_hours
    )
    return service.detail_of(session, space, now=now)


@router.post("/import", summary="Import safe spaces from CSV (officers); unverified, hours unconfirmed")
def import_csv(session: SessionDep, user: OfficerApi, file: Annotated[UploadFile, File()]) -> dict[str, Any]:
    text = service.upload_text(file.file.read(service.MAX_UPLOAD + 1), content_type=file.content_type)
    result = service.import_csv(
        session, text=text, actor=user, settings=get_settings(), now=utcnow(), label=file.filename or "upload"
    )
    return {"rows": result.rows, "created": result.created, "already_present": result.already_present}


@router.get("/proposals", summary="Proposed changes (officers)")
def list_proposals(
    session: SessionDep,
    user: OfficerApi,
    status: Annotated[str | None, Query(max_length=10)] = "pending",
) -> list[dict[str, Any]]:
    return [proposal_read(p) for p in service.list_proposals(session, status=status)]


def _decide(
    session: SessionDep, user: OfficerApi, proposal_id: int, body: Decision | None, *, approve: bool
) -> dict[str, Any]:
    proposal = service.decide_proposal(
        session,
        proposal_id=proposal_id,
        approve=approve,
        actor=user,
        settings=get_settings(),
        now=utcnow(),
        note=body.note if body else "",
    )
    return proposal_read(proposal)


@router.post("/proposals/{proposal_id}/approve", summary="Approve and apply a proposed change (officers)")
def approve(session: SessionDep, user: OfficerApi, proposal_id: int, body: Decision | None = None) -> dict[str, Any]:
    return _decide(session, user, proposal_id, body, approve=True)


@router.post("/proposals/{proposal_id}/reject", summary="Reject a proposed change (officers)")
def reject(session: SessionDep, user: OfficerApi, proposal_id: int, body: Decision | None = None) -> dict[str, Any]:
    return _decide(session, user, proposal_id, body, approve=False)


@router.get("/{space_id}", dependencies=[Depends(public)], summary="One safe space (not withdrawn)")
def get_space(session: SessionDep, space_id: int) -> dict[str, Any]:
    return service.public_detail(session, space_id=space_id, now=utcnow())


@router.patch("/{space_id}", summary="Edit a safe space (officers)")
def update_space(session: SessionDep, user: OfficerApi, space_id: int, body: SafeSpaceUpdate) -> dict[str, Any]:
    now = utcnow()
    data = body.model_dump(exclude_unset=True, exclude={"confirm_hours"})
    space = service.update_space(
        session,
        space_id=space_id,
        data=data,
        actor=user,
        settings=get_settings(),
        now=now,
        confirm_hours=body.confirm_hours,
    )
    return service.detail_of(session, space, now=now)


@router.post("/{space_id}/verify", summary="Mark a safe space verified (officers)")
def verify(session: SessionDep, user: OfficerApi, space_id: int) -> dict[str, Any]:
    space = service.verify_space(session, space_id=space_id, actor=user, now=utcnow())
    return {"id": space.id, "status": space.status}


@router.post("/{space_id}/withdraw", summary="Withdraw a safe space from public listings (officers)")
def withdraw(session: SessionDep, user: OfficerApi, space_id: int, body: Withdrawal | None = None) -> dict[str, Any]:
    space = service.withdraw_space(
        session, space_id=space_id, actor=user, now=utcnow(), reason=body.reason if body else ""
    )
    return {"id": space.id, "status": space.status}


@router.post("/{space_id}/confirm-hours", summary="Confirm the hours were checked today (officers)")
def confirm_hours(session: SessionDep, user: OfficerApi, space_id: int) -> dict[str, Any]:
    space = service.confirm_hours(session, space_id=space_id, actor=user, now=utcnow())
    return {
        "id": space.id,
        "hours_confirmed_date": space.hours_confirmed_date.isoformat() if space.hours_confirmed_date else None,
    }


@router.post("/{space_id}/proposals", status_code=201, summary="Propose a change (the owner, or officers)")
def propose(session: SessionDep, user: OwnerApi, space_id: int, body: ProposalCreate) -> dict[str, Any]:
    data = body.model_dump(exclude_unset=True, exclude={"confirms_hours", "message"})
    proposal = service.propose_change(
        session,
        space_id=space_id,
        user=user,
        data=data,
        confirms_hours=body.confirms_hours,
        message=body.message,
        settings=get_settings(),
        now=utcnow(),
    )
    return proposal_read(proposal)
