"""HTML pages: the public "Find help now" page, officers' registry pages and owners' proposals."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from babel.dates import format_date, format_datetime
from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from nte.auth.deps import OFFICERS, CsrfProtected, public, require_page_roles
from nte.auth.models import Role, User
from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.errors import NTEError
from nte.i18n import N_
from nte.london import LONDON
from nte.places import service as places_service
from nte.safespaces import labels, service
from nte.safespaces.exceptions import InvalidSafeSpace
from nte.safespaces.hours import OpenStatus
from nte.safespaces.models import CODEWORDS, HELP_ITEMS, KINDS
from nte.safespaces.router import read_csv_upload
from nte.web.templating import render, request_gettext, request_language

router = APIRouter(include_in_schema=False)

OfficerPage = Annotated[User, Depends(require_page_roles(*OFFICERS))]
OwnerPage = Annotated[User, Depends(require_page_roles(Role.venue_manager, *OFFICERS))]

_TEXT_FIELDS = (
    "name",
    "kind",
    "address",
    "postcode",
    "lon",
    "lat",
    "phone",
    "access_note",
    "languages",
    "opening_hours",
    "overrides",
    "step_free",
    "venue_id",
    "owner_email",
)


async def space_form(request: Request) -> FormData:
    return await request.form()


SpaceForm = Annotated[FormData, Depends(space_form)]


def _form_data(form: FormData, fields: tuple[str, ...]) -> dict[str, Any]:
    data: dict[str, Any] = {k: str(form.get(k) or "") for k in fields if k in form}
    data["help_offered"] = [str(v) for v in form.getlist("help_offered")]
    data["codewords"] = [str(v) for v in form.getlist("codewords")]
    return data


def _common() -> dict[str, Any]:
    return {
        "kinds": KINDS,
        "kind_labels": labels.KIND_LABELS,
        "help_items": HELP_ITEMS,
        "help_labels": labels.HELP_LABELS,
        "codewords": CODEWORDS,
        "codeword_labels": labels.CODEWORD_LABELS,
    }


def _values_from_detail(detail: dict[str, Any]) -> dict[str, Any]:
    hours = detail.get("hours") or {}
    overrides = []
    for day, spans in hours.get("overrides", []):
        overrides.append(f"{day} closed" if spans == "closed" else f"{day} " + ", ".join(f"{a}-{b}" for a, b in spans))
    values = dict(detail)
    values["opening_hours"] = detail.get("opening_hours") if hours.get("weekly") else ""
    values["overrides"] = "\n".join(overrides)
    values["languages"] = ", ".join(detail.get("languages") or [])
    values["step_free"] = {True: "yes", False: "no", None: "unknown"}.get(detail.get("step_free"), "unknown")
    return values


# --- public ----------------------------------------------------------------------------------------

_COMPASS = (
    N_("north"),
    N_("north-east"),
    N_("east"),
    N_("south-east"),
    N_("south"),
    N_("south-west"),
    N_("west"),
    N_("north-west"),
)
#: The search errors a person can meet on the page, in words the catalogue translates.
_SEARCH_ERRORS = {
    "ward": N_("We do not know that area. Choose your ward from the list."),
    "location": N_("That location is outside the area this service covers. Choose your ward from the list."),
    "place": N_("No place found: check the postcode, or try a street name."),
    "place_short": N_("Type at least 2 characters: a postcode, street or place name."),
}
#: How far the "nothing open near you" fallback looks for places open now.
FALLBACK_DISTANCE_M = 20_000.0


def _distance_text(metres: float) -> str:
    return f"{round(metres / 10) * 10:.0f} m" if metres < 1000 else f"{metres / 1000:.1f} km"


def _direction(from_lon: float, from_lat: float, to_lon: float, to_lat: float) -> str:
    """The compass point (one of eight) from one point to another: the initial great-circle bearing."""
    phi1, phi2 = math.radians(from_lat), math.radians(to_lat)
    dlon = math.radians(to_lon - from_lon)
    x = math.sin(dlon) * math.cos(phi2)
    y = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(dlon)
    bearing = (math.degrees(math.atan2(x, y)) + 360) % 360
    return _COMPASS[round(bearing / 45) % 8]


@dataclass(frozen=True)
class StatusLine:
    """How a place's opening is shown: a tag (open / closed / hours not known) and a detail."""

    tag: str
    tag_class: str
    detail: str


def status_line(status: OpenStatus, *, gettext: Callable[[str], str], lang: str) -> StatusLine:
    """Open, closed or "hours not known" (never "closed" when we do not know), with the time it
    closes or opens in London time, in the page's language."""

    def when(moment: datetime) -> str:
        local = moment.astimezone(LONDON)
        today = status.at.astimezone(LONDON).date()
        if local.date() == today:
            return local.strftime("%H:%M")
        pattern = "EEE d MMM HH:mm" if (local.date() - today).days >= 7 else "EEE HH:mm"
        return format_datetime(local, pattern, tzinfo=LONDON, locale=lang)

    if status.unsure_reason is not None:
        if status.confirmed_on is not None:
            detail = gettext("Its opening hours were last confirmed on %(date)s: call before you go.") % {
                "date": format_date(status.confirmed_on, "medium", locale=lang)
            }
        else:
            detail = gettext("We do not know its opening hours: call before you go.")
        return StatusLine(gettext("Hours not known"), "yellow", detail)
    if status.is_open:
        if status.open_until is None:
            return StatusLine(gettext("Open"), "green", gettext("24 hours a day"))
        return StatusLine(gettext("Open"), "green", gettext("until %(time)s") % {"time": when(status.open_until)})
    if status.opens_at is None:
        return StatusLine(gettext("Closed"), "grey", "")
    return StatusLine(gettext("Closed"), "grey", gettext("opens %(time)s") % {"time": when(status.opens_at)})


def _geo_link(space: service.NearbySpace) -> str:
    """An RFC 5870 ``geo:`` URI: the phone's own maps app opens it; no third party is called."""
    label = quote(space.name, safe="")
    return f"geo:{space.lat:.6f},{space.lon:.6f}?q={space.lat:.6f},{space.lon:.6f}({label})"


def _point_params(lon: float, lat: float, *, near: str | None = None) -> dict[str, str]:
    params = {"lon": f"{lon:.6f}", "lat": f"{lat:.6f}"}
    if near:
        params["near"] = near
    return params


@router.get("/help-now", response_class=HTMLResponse, dependencies=[Depends(public)])
def help_now(
    request: Request,
    session: SessionDep,
    lon: Annotated[str | None, Query(max_length=30)] = None,
    lat: Annotated[str | None, Query(max_length=30)] = None,
    ward: Annotated[str | None, Query(max_length=20)] = None,
    near: Annotated[str | None, Query(max_length=80)] = None,
    place: Annotated[str | None, Query(max_length=80)] = None,
    show: Annotated[str, Query(max_length=5)] = "open",
) -> HTMLResponse:
    """Find help now: from a postcode, street or place typed in (``place``), a ward, or the
    browser's location or a point on the map (``lon``/``lat``, with ``near`` naming it). A place
    typed in wins, then a ward chosen in the list, then the point the form still carries, so "Show"
    can change without losing the place searched from."""
    settings = get_settings()
    now = utcnow()
    open_only = show != "all"
    gettext = request_gettext(request)
    lang = request_language(request)
    context: dict[str, Any] = {
        "quick_exit": True,
        "wards": service.ward_choices(session, settings=settings),
        "ward": ward or "",
        "show": "open" if open_only else "all",
        "result": None,
        "fallback": None,
        "errors": {},
        "where": None,
        "point": None,
        "place": "",
        "distance_text": _distance_text,
        "help_labels": labels.HELP_LABELS,
        "codeword_labels": labels.CODEWORD_LABELS,
        "kind_labels": labels.KIND_LABELS,
        "max_km": int(service.MAX_DISTANCE_M / 1000),
        "fallback_km": int(FALLBACK_DISTANCE_M / 1000),
    }
    status = 200
    try:
        typed = " ".join((place or "").split())
        found = places_service.resolve(session, q=typed, settings=settings) if len(typed) >= 2 else None
        if typed and found is None:
            context["place"] = typed
            key = "place" if len(typed) >= 2 else "place_short"
            context["errors"] = {"place": gettext(_SEARCH_ERRORS[key])}
            status = 422
            result = None
        elif found is not None:
            result = service.find_nearest(session, lon=found.lon, lat=found.lat, open_only=open_only, limit=5, now=now)
            context["where"] = found.label
            context["point"] = _point_params(result.lon, result.lat, near=found.label)
            context["ward"] = ""
        elif ward:
            choice = service.ward_point(session, code=ward)
            result = service.find_nearest(
                session, lon=choice.lon, lat=choice.lat, open_only=open_only, limit=5, now=now
            )
            context["where"] = f"{choice.name} ({choice.borough_name})"
            context["point"] = {"ward": ward}
        elif lon not in (None, "") or lat not in (None, ""):
            result = service.find_nearest(session, lon=lon, lat=lat, open_only=open_only, limit=5, now=now)
            context["where"] = (near or "").strip() or None
            context["point"] = _point_params(result.lon, result.lat, near=context["where"])
        else:
            result = None
        context["result"] = result
        if result is not None and open_only and not result.spaces:
            context["fallback"] = service.find_nearest(
                session,
                lon=result.lon,
                lat=result.lat,
                open_only=True,
                limit=3,
                now=now,
                max_distance_m=FALLBACK_DISTANCE_M,
            )
    except NTEError as exc:
        field = "ward" if exc.field in ("ward", "code") else "location"
        context["errors"] = {field: gettext(_SEARCH_ERRORS[field])}
        status = exc.status_code
    if context["result"] is not None:
        origin = context["result"]
        context["lines"] = {
            s.id: status_line(s.status, gettext=gettext, lang=lang)
            for s in [*origin.spaces, *(context["fallback"].spaces if context["fallback"] else [])]
        }
        context["directions"] = {
            s.id: gettext(_direction(origin.lon, origin.lat, s.lon, s.lat))
            for s in [*origin.spaces, *(context["fallback"].spaces if context["fallback"] else [])]
        }
        context["geo_links"] = {
            s.id: _geo_link(s) for s in [*origin.spaces, *(context["fallback"].spaces if context["fallback"] else [])]
        }
    return render(request, "safespaces/help_now.html", context, status_code=status)


# --- officers --------------------------------------------------------------------------------------


@router.get("/officer/safe-spaces", response_class=HTMLResponse)
def officer_list(
    request: Request, session: SessionDep, user: OfficerPage, status: Annotated[str | None, Query(max_length=12)] = None
) -> HTMLResponse:
    now = utcnow()
    if status not in (None, "", "unverified", "verified", "withdrawn"):
        status = None
    spaces = service.list_spaces(session, status=status or None)
    return render(
        request,
        "safespaces/officer_list.html",
        {
            "spaces": spaces,
            "status": status or "",
            "name_of": service.display_name,
            "pending": len(service.list_proposals(session, status="pending")),
            "due": service.hours_due(session, now=now),
            "imported": request.query_params.get("imported"),
            "errors": {},
            **_common(),
        },
    )


@router.post("/officer/safe-spaces/import", response_class=HTMLResponse, dependencies=[CsrfProtected])
def officer_import(
    request: Request, session: SessionDep, user: OfficerPage, file: Annotated[UploadFile, File()]
) -> Response:
    try:
        result = service.import_csv(
            session,
            text=read_csv_upload(file),
            actor=user,
            settings=get_settings(),
            now=utcnow(),
            label=file.filename or "upload",
        )
    except NTEError as exc:
        return render(
            request,
            "safespaces/officer_list.html",
            {
                "spaces": service.list_spaces(session),
                "status": "",
                "name_of": service.display_name,
                "pending": 0,
                "due": [],
                "imported": None,
                "errors": {"file": exc.detail},
                **_common(),
            },
            status_code=exc.status_code,
        )
    return RedirectResponse(f"/officer/safe-spaces?imported={result.created}-{result.already_present}", status_code=303)


@router.get("/officer/safe-spaces/new", response_class=HTMLResponse)
def officer_new(request: Request, user: OfficerPage) -> HTMLResponse:
    return render(
        request,
        "safespaces/officer_form.html",
        {"space": None, "values": {"step_free": "unknown", "confirm_hours": True}, "errors": {}, **_common()},
    )


@router.post("/officer/safe-spaces/new", response_class=HTMLResponse, dependencies=[CsrfProtected])
def officer_create(request: Request, session: SessionDep, user: OfficerPage, form: SpaceForm) -> Response:
    data = _form_data(form, _TEXT_FIELDS)
    try:
        space = service.create_space(
            session,
            data=data,
            actor=user,
            settings=get_settings(),
            now=utcnow(),
            confirm_hours=bool(form.get("confirm_hours")),
        )
    except NTEError as exc:
        errors = exc.errors if isinstance(exc, InvalidSafeSpace) else {exc.field or "name": exc.detail}
        return render(
            request,
            "safespaces/officer_form.html",
            {
                "space": None,
                "values": {**data, "confirm_hours": bool(form.get("confirm_hours"))},
                "errors": errors,
                **_common(),
            },
            status_code=exc.status_code,
        )
    return RedirectResponse(f"/officer/safe-spaces/{space.id}?saved=1", status_code=303)


@router.get("/officer/safe-spaces/proposals", response_class=HTMLResponse)
def officer_proposals(request: Request, session: SessionDep, user: OfficerPage) -> HTMLResponse:
    proposals = service.list_proposals(session, status="pending")
    rows = []
    for p in proposals:
        space = service.get_space(session, space_id=p.safe_space_id)
        venue = service.repo.get_venue(session, space.venue_id) if space.venue_id else None
        rows.append((p, space, service.display_name(space, venue)))
    return render(request, "safespaces/officer_proposals.html", {"rows": rows, "errors": {}, **_common()})


@router.post("/officer/safe-spaces/proposals/{proposal_id}", response_class=HTMLResponse, dependencies=[CsrfProtected])
def officer_decide(
    request: Request,
    session: SessionDep,
    user: OfficerPage,
    proposal_id: int,
    decision: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        service.decide_proposal(
            session,
            proposal_id=proposal_id,
            approve=decision == "approve",
            actor=user,
            settings=get_settings(),
            now=utcnow(),
            note=note,
        )
    except NTEError as exc:
        rows = []
        for p in service.list_proposals(session, status="pending"):
            space = service.get_space(session, space_id=p.safe_space_id)
            venue = service.repo.get_venue(session, space.venue_id) if space.venue_id else None
            rows.append((p, space, service.display_name(space, venue)))
        return render(
            request,
            "safespaces/officer_proposals.html",
            {"rows": rows, "errors": {f"note-{proposal_id}": exc.detail}, **_common()},
            status_code=exc.status_code,
        )
    return RedirectResponse("/officer/safe-spaces/proposals", status_code=303)


def _space_context(session: Any, space_id: int) -> dict[str, Any]:
    space = service.get_space(session, space_id=space_id)
    venue = service.repo.get_venue(session, space.venue_id) if space.venue_id else None
    detail = service.space_detail(session, space, venue, now=utcnow())
    owner = service.repo.users_by_ids(session, [space.owner_user_id]) if space.owner_user_id else []
    values = _values_from_detail(detail)
    values["owner_email"] = owner[0].email if owner else ""
    values["confirm_hours"] = True
    return {
        "space": detail,
        "values": values,
        "venue": venue,
        "proposals": service.repo.list_proposals(session, status=None, space_id=space.id, limit=20),
    }


@router.get("/officer/safe-spaces/{space_id}", response_class=HTMLResponse)
def officer_edit(request: Request, session: SessionDep, user: OfficerPage, space_id: int) -> HTMLResponse:
    return render(
        request,
        "safespaces/officer_form.html",
        {**_space_context(session, space_id), "errors": {}, "saved": request.query_params.get("saved"), **_common()},
    )


@router.post("/officer/safe-spaces/{space_id}", response_class=HTMLResponse, dependencies=[CsrfProtected])
def officer_update(
    request: Request, session: SessionDep, user: OfficerPage, space_id: int, form: SpaceForm
) -> Response:
    data = _form_data(form, _TEXT_FIELDS)
    space = service.get_space(session, space_id=space_id)
    if space.venue_id is not None and "venue_id" not in form:
        data["venue_id"] = space.venue_id
    try:
        service.update_space(
            session,
            space_id=space_id,
            data=data,
            actor=user,
            settings=get_settings(),
            now=utcnow(),
            confirm_hours=bool(form.get("confirm_hours")),
        )
    except NTEError as exc:
        errors = exc.errors if isinstance(exc, InvalidSafeSpace) else {exc.field or "name": exc.detail}
        context = _space_context(session, space_id)
        context["values"] = {**context["values"], **data, "confirm_hours": bool(form.get("confirm_hours"))}
        return render(
            request,
            "safespaces/officer_form.html",
            {**context, "errors": errors, **_common()},
            status_code=exc.status_code,
        )
    return RedirectResponse(f"/officer/safe-spaces/{space_id}?saved=1", status_code=303)


@router.post("/officer/safe-spaces/{space_id}/status", response_class=HTMLResponse, dependencies=[CsrfProtected])
def officer_status(
    request: Request,
    session: SessionDep,
    user: OfficerPage,
    space_id: int,
    action: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    now = utcnow()
    try:
        if action == "verify":
            service.verify_space(session, space_id=space_id, actor=user, now=now)
        elif action == "withdraw":
            service.withdraw_space(session, space_id=space_id, actor=user, now=now, reason=reason)
        elif action == "confirm_hours":
            service.confirm_hours(session, space_id=space_id, actor=user, now=now)
        else:
            raise InvalidSafeSpace("Choose verify, withdraw or confirm hours.", field="action")
    except InvalidSafeSpace as exc:
        return render(
            request,
            "safespaces/officer_form.html",
            {**_space_context(session, space_id), "errors": exc.errors, **_common()},
            status_code=exc.status_code,
        )
    return RedirectResponse(f"/officer/safe-spaces/{space_id}?saved=1", status_code=303)


# --- owners ----------------------------------------------------------------------------------------


@router.get("/safe-spaces/mine", response_class=HTMLResponse)
def owner_list(request: Request, session: SessionDep, user: OwnerPage) -> HTMLResponse:
    spaces = service.spaces_owned_by(session, user=user)
    return render(
        request,
        "safespaces/owner_list.html",
        {"spaces": spaces, "name_of": service.display_name, "sent": request.query_params.get("sent")},
    )


def _owner_context(session: Any, user: User, space_id: int) -> dict[str, Any]:
    space = service.get_space(session, space_id=space_id)
    if user.role not in OFFICERS and not service.is_owner(session, user=user, space=space):
        raise service.NotOwner()
    context = _space_context(session, space_id)
    context["own_identity"] = space.venue_id is None
    return context


@router.get("/safe-spaces/mine/{space_id}", response_class=HTMLResponse)
def owner_form(request: Request, session: SessionDep, user: OwnerPage, space_id: int) -> HTMLResponse:
    return render(
        request, "safespaces/owner_form.html", {**_owner_context(session, user, space_id), "errors": {}, **_common()}
    )


_OWNER_TEXT_FIELDS = (
    "name",
    "address",
    "postcode",
    "phone",
    "access_note",
    "languages",
    "opening_hours",
    "overrides",
    "step_free",
)


@router.post("/safe-spaces/mine/{space_id}", response_class=HTMLResponse, dependencies=[CsrfProtected])
def owner_propose(request: Request, session: SessionDep, user: OwnerPage, space_id: int, form: SpaceForm) -> Response:
    context = _owner_context(session, user, space_id)
    fields = (
        _OWNER_TEXT_FIELDS
        if context["own_identity"]
        else tuple(f for f in _OWNER_TEXT_FIELDS if f not in ("name", "address", "postcode"))
    )
    data = _form_data(form, fields)
    try:
        service.propose_change(
            session,
            space_id=space_id,
            user=user,
            data=data,
            confirms_hours=bool(form.get("confirms_hours")),
            message=str(form.get("message") or ""),
            settings=get_settings(),
            now=utcnow(),
        )
    except NTEError as exc:
        errors = exc.errors if isinstance(exc, InvalidSafeSpace) else {exc.field or "changes": exc.detail}
        context["values"] = {**context["values"], **data, "message": str(form.get("message") or "")}
        return render(
            request,
            "safespaces/owner_form.html",
            {**context, "errors": errors, **_common()},
            status_code=exc.status_code,
        )
    return RedirectResponse("/safe-spaces/mine?sent=1", status_code=303)
