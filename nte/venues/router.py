"""The venues JSON API: public sign-up and GeoJSON, officers' register, status changes and export."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from nte.auth.deps import OfficerApi, public
from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.errors import ERROR_RESPONSES
from nte.venues import service
from nte.venues.deps import SignUpBudget
from nte.venues.schemas import SignUpRead, StatusChange, VenueRead, VenueSignUp
from nte.web.downloads import download
from nte.web.responses import CSV, GEOJSON, formats

router = APIRouter(tags=["venues"], responses=ERROR_RESPONSES)


@router.post(
    "/api/venues/sign-ups",
    status_code=201,
    response_model=SignUpRead,
    dependencies=[Depends(public)],
    responses={
        202: {"model": SignUpRead, "description": "Held for an officer: the licence number is already registered"},
        409: {"description": "unused"},
    },
)
def sign_up(body: VenueSignUp, session: SessionDep, spend: SignUpBudget) -> JSONResponse:
    """Sign the Women's Night Safety Charter: creates the venue (status submitted) and the venue manager's
    account, which cannot sign in until its e-mail address is confirmed (a link is mailed). Errors name the
    field (`pledge_<n>_how`, `pledge_<n>_target`, `pledge_<n>_status` for pledges; `location` for the pin) and
    list all of them in `fields`. An e-mail that already has an account gets the same answer (its owner is
    told by mail; nothing is created). At most a few sign-ups an hour per client address (429)."""
    result = service.sign_charter(session, raw=body.to_raw(), settings=get_settings(), now=utcnow(), spend=spend)
    if result.held:
        out = SignUpRead(
            status="held_as_duplicate",
            detail="A venue with this premises licence number has already signed; an officer will "
            "check your sign-up and contact you. Confirm your e-mail address from the link we sent.",
        )
        return JSONResponse(out.model_dump(), status_code=202)
    out = SignUpRead(
        status="submitted",
        detail="Thank you. Confirm your e-mail address from the link we sent; an officer will check your sign-up.",
    )
    return JSONResponse(out.model_dump(), status_code=201)


@router.get(
    "/api/venues.geojson",
    dependencies=[Depends(public)],
    responses={200: {"content": {"application/geo+json": {}}}, 304: {"description": "Not modified"}},
)
def venues_geojson(
    request: Request,
    session: SessionDep,
    ward: Annotated[str | None, Query(max_length=20)] = None,
    venue_type: Annotated[str | None, Query(max_length=20)] = None,
    scheme: Annotated[str | None, Query(max_length=20)] = None,
    examples: bool = False,
) -> Response:
    """Verified charter venues (WGS84 points). `examples=true` adds the unverified demo venues, each with
    `"example": true`. Cached per process and keyed by the register's version; supports If-None-Match."""
    cached = service.public_geojson(
        session,
        ward=ward,
        venue_type=venue_type,
        scheme=scheme,
        include_examples=examples,
        settings=get_settings(),
        now=utcnow(),
    )
    headers = {"ETag": cached.etag, "Cache-Control": "public, max-age=60"}
    if request.headers.get("if-none-match") == cached.etag:
        return Response(status_code=304, headers=headers)
    return Response(cached.body, media_type="application/geo+json", headers=headers)


@router.get("/api/venues/register", response_model=None, responses=formats("application/json", CSV, GEOJSON))
def register_export(
    session: SessionDep,
    user: OfficerApi,
    format: Literal["json", "csv", "geojson"] = "json",
    ward: Annotated[str | None, Query(max_length=20)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    scheme: Annotated[str | None, Query(max_length=20)] = None,
    examples: bool = False,
) -> Response:
    """The register for officers, filterable by ward, status and scheme, as JSON, CSV (spreadsheet-safe)
    or GeoJSON."""
    rows = service.register(
        session,
        ward=ward,
        status=status,
        scheme=scheme,
        include_examples=examples,
        settings=get_settings(),
        now=utcnow(),
    )
    if format == "json":
        return JSONResponse({"venues": rows})
    stamp = utcnow().strftime("%Y%m%d")
    return download(
        session,
        actor=user,
        kind=format,
        content=service.register_csv(rows) if format == "csv" else service.register_geojson(rows),
        filename=f"venue-register-{stamp}.{format}",
        action="venues.export",
        target_type="venue_register",
        target_id=stamp,
        detail={"ward": ward, "status": status, "scheme": scheme, "examples": examples, "venues": len(rows)},
    )


@router.post("/api/venues/{venue_id}/status", response_model=VenueRead)
def change_status(venue_id: int, body: StatusChange, session: SessionDep, user: OfficerApi) -> VenueRead:
    """Verify, request changes (reasons required: the venue manager sees them, is mailed, and resubmits
    from the portal), reject (reason required; final), lapse, withdraw or renew. Transitions outside the
    state machine (submitted -> verified/changes_requested/rejected; changes_requested -> rejected, or
    submitted when the manager resubmits; rejected -> changes_requested; verified -> lapsed/withdrawn;
    lapsed -> renewed) are refused with 409."""
    venue = service.officer_change_status(
        session, actor=user, venue_id=venue_id, action=body.action, reason=body.reason, now=utcnow()
    )
    return VenueRead(
        id=venue.id,
        name=venue.name,
        venue_type=venue.venue_type,
        status=venue.status,
        postcode=venue.postcode,
        ward_code=venue.ward_code,
        renewal_date=venue.renewal_date,
        example=venue.is_example,
    )
