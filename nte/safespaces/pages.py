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
from sqlalchemy.orm import Session

from nte.auth.deps import CsrfProtected, OfficerPage, OwnerPage, public
from nte.auth.models import User
from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.errors import NTEError
from nte.i18n import N_
from nte.london import LONDON, london_today, to_london
from nte.safespaces import labels, messages, service
from nte.safespaces.exceptions import InvalidSafeSpace
from nte.safespaces.hours import OpenStatus
from nte.safespaces.models import CODEWORDS, HELP_ITEMS, KINDS
from nte.web.flash import FlashMessages
from nte.web.forms import Form as SentForm
from nte.web.forms import FormDep, field_errors
from nte.web.templating import render, request_gettext, request_language

router = APIRouter(include_in_schema=False)

#: Success messages after a POST, carried signed in ``?done=`` (a crafted link shows nothing).
FLASH = FlashMessages(
    {
        "safespace.saved": messages.SAVED,
        "safespace.imported": messages.IMPORTED,
        "safespace.proposed": messages.PROPOSED,
    }
)

_LISTS = ("help_offered", "codewords")
"""Ticked boxes: sent as lists."""
_DETAILS = ("phone", "access_note", "languages", "opening_hours", "overrides", "step_free")
#: What the owners' form sends as text (the identity fields only for a space with its own).
_OWNER_TEXT_FIELDS = (*service.IDENTITY, *_DETAILS)
#: What the officers' form sends as text.
_TEXT_FIELDS = (*_OWNER_TEXT_FIELDS, "kind", "lon", "lat", "venue_id", "owner_email")


def _space_data(form: SentForm, fields: tuple[str, ...]) -> dict[str, Any]:
    return form.data(fields, lists=_LISTS)


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
        local = to_london(moment)
        today = london_today(status.at)
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
    """Find help now (``service.help_search``): the nearest places, open now or all."""
    settings = get_settings()
    open_only = show != "all"
    gettext = request_gettext(request)
    lang = request_language(request)
    found = service.help_search(
        session,
        place=place,
        ward=ward,
        lon=lon,
        lat=lat,
        near=near,
        open_only=open_only,
        now=utcnow(),
        settings=settings,
    )
    context: dict[str, Any] = {
        "quick_exit": True,
        "wards": service.ward_choices(session, settings=settings),
        "ward": found.ward,
        "show": "open" if open_only else "all",
        "result": found.result,
        "fallback": found.fallback,
        "errors": {found.error_field: gettext(_SEARCH_ERRORS[found.error])} if found.error else {},
        "where": found.where,
        "point": found.point,
        "place": found.place,
        "distance_text": _distance_text,
        "help_labels": labels.HELP_LABELS,
        "codeword_labels": labels.CODEWORD_LABELS,
        "kind_labels": labels.KIND_LABELS,
        "max_km": int(service.MAX_DISTANCE_M / 1000),
        "fallback_km": int(service.FALLBACK_DISTANCE_M / 1000),
    }
    if found.result is not None:
        origin = found.result
        context["lines"] = {s.id: status_line(s.status, gettext=gettext, lang=lang) for s in found.shown}
        context["directions"] = {s.id: gettext(_direction(origin.lon, origin.lat, s.lon, s.lat)) for s in found.shown}
        context["geo_links"] = {s.id: _geo_link(s) for s in found.shown}
    return render(request, "safespaces/help_now.html", context, status_code=found.status_code)


# --- officers --------------------------------------------------------------------------------------


def _list_context(session: Session, request: Request, *, status: str | None) -> dict[str, Any]:
    return {
        "spaces": service.list_spaces(session, status=status or None),
        "status": status or "",
        "name_of": service.display_name,
        "pending": len(service.list_proposals(session, status="pending")),
        "due": service.hours_due(session, now=utcnow()),
        "done": FLASH.message(request),
        "errors": {},
        **_common(),
    }


@router.get("/officer/safe-spaces", response_class=HTMLResponse)
def officer_list(
    request: Request, session: SessionDep, user: OfficerPage, status: Annotated[str | None, Query(max_length=12)] = None
) -> HTMLResponse:
    if status not in (None, "", *service.STATUSES):
        status = None
    return render(request, "safespaces/officer_list.html", _list_context(session, request, status=status))


@router.post("/officer/safe-spaces/import", response_class=HTMLResponse, dependencies=[CsrfProtected])
def officer_import(
    request: Request, session: SessionDep, user: OfficerPage, file: Annotated[UploadFile, File()]
) -> Response:
    try:
        result = service.import_csv(
            session,
            text=service.upload_text(file.file.read(service.MAX_UPLOAD + 1), content_type=file.content_type),
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
                "done": None,
                "errors": {"file": exc.detail},
                **_common(),
            },
            status_code=exc.status_code,
        )
    return FLASH.redirect(
        "/officer/safe-spaces", "safespace.imported", created=result.created, already_present=result.already_present
    )


@router.get("/officer/safe-spaces/new", response_class=HTMLResponse)
def officer_new(request: Request, user: OfficerPage) -> HTMLResponse:
    return render(
        request,
        "safespaces/officer_form.html",
        {"space": None, "values": {"step_free": "unknown", "confirm_hours": True}, "errors": {}, **_common()},
    )


@router.post("/officer/safe-spaces/new", response_class=HTMLResponse, dependencies=[CsrfProtected])
def officer_create(request: Request, session: SessionDep, user: OfficerPage, form: FormDep) -> Response:
    data = _space_data(form, _TEXT_FIELDS)
    confirm = bool(form.get("confirm_hours"))
    try:
        space = service.create_space(
            session, data=data, actor=user, settings=get_settings(), now=utcnow(), confirm_hours=confirm
        )
    except NTEError as exc:
        return render(
            request,
            "safespaces/officer_form.html",
            {
                "space": None,
                "values": {**data, "confirm_hours": confirm},
                "errors": field_errors(exc, default="name"),
                **_common(),
            },
            status_code=exc.status_code,
        )
    return FLASH.redirect(f"/officer/safe-spaces/{space.id}", "safespace.saved")


def _proposals_page(request: Request, session: Session, *, errors: dict[str, str], status_code: int = 200) -> Response:
    rows = service.pending_proposals(session)
    return render(
        request,
        "safespaces/officer_proposals.html",
        {"rows": rows, "errors": errors, **_common()},
        status_code=status_code,
    )


@router.get("/officer/safe-spaces/proposals", response_class=HTMLResponse)
def officer_proposals(request: Request, session: SessionDep, user: OfficerPage) -> Response:
    return _proposals_page(request, session, errors={})


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
        return _proposals_page(
            request, session, errors={f"note-{proposal_id}": exc.detail}, status_code=exc.status_code
        )
    return RedirectResponse("/officer/safe-spaces/proposals", status_code=303)


def _space_context(record: service.SpaceRecord) -> dict[str, Any]:
    values = _values_from_detail(record.detail)
    values["owner_email"] = record.owner_email
    values["confirm_hours"] = True
    return {"space": record.detail, "values": values, "venue": record.venue, "proposals": record.proposals}


def _officer_form(session: Session, space_id: int) -> dict[str, Any]:
    return _space_context(service.space_record(session, space_id=space_id, now=utcnow()))


@router.get("/officer/safe-spaces/{space_id}", response_class=HTMLResponse)
def officer_edit(request: Request, session: SessionDep, user: OfficerPage, space_id: int) -> HTMLResponse:
    return render(
        request,
        "safespaces/officer_form.html",
        {**_officer_form(session, space_id), "errors": {}, "done": FLASH.message(request), **_common()},
    )


@router.post("/officer/safe-spaces/{space_id}", response_class=HTMLResponse, dependencies=[CsrfProtected])
def officer_update(request: Request, session: SessionDep, user: OfficerPage, space_id: int, form: FormDep) -> Response:
    data = _space_data(form, _TEXT_FIELDS)
    confirm = bool(form.get("confirm_hours"))
    try:
        service.update_space(
            session,
            space_id=space_id,
            data=data,
            actor=user,
            settings=get_settings(),
            now=utcnow(),
            confirm_hours=confirm,
            keep_venue="venue_id" not in form,
        )
    except NTEError as exc:
        context = _officer_form(session, space_id)
        context["values"] = {**context["values"], **data, "confirm_hours": confirm}
        return render(
            request,
            "safespaces/officer_form.html",
            {**context, "errors": field_errors(exc, default="name"), **_common()},
            status_code=exc.status_code,
        )
    return FLASH.redirect(f"/officer/safe-spaces/{space_id}", "safespace.saved")


@router.post("/officer/safe-spaces/{space_id}/status", response_class=HTMLResponse, dependencies=[CsrfProtected])
def officer_status(
    request: Request,
    session: SessionDep,
    user: OfficerPage,
    space_id: int,
    action: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    try:
        service.change_status(session, space_id=space_id, action=action, actor=user, now=utcnow(), reason=reason)
    except InvalidSafeSpace as exc:
        return render(
            request,
            "safespaces/officer_form.html",
            {**_officer_form(session, space_id), "errors": field_errors(exc), **_common()},
            status_code=exc.status_code,
        )
    return FLASH.redirect(f"/officer/safe-spaces/{space_id}", "safespace.saved")


# --- owners ----------------------------------------------------------------------------------------


@router.get("/safe-spaces/mine", response_class=HTMLResponse)
def owner_list(request: Request, session: SessionDep, user: OwnerPage) -> HTMLResponse:
    spaces = service.spaces_owned_by(session, user=user)
    return render(
        request,
        "safespaces/owner_list.html",
        {"spaces": spaces, "name_of": service.display_name, "done": FLASH.message(request)},
    )


def _owner_context(session: Session, user: User, space_id: int) -> dict[str, Any]:
    record = service.owned_record(session, user=user, space_id=space_id, now=utcnow())
    return {**_space_context(record), "own_identity": record.space.venue_id is None}


@router.get("/safe-spaces/mine/{space_id}", response_class=HTMLResponse)
def owner_form(request: Request, session: SessionDep, user: OwnerPage, space_id: int) -> HTMLResponse:
    return render(
        request, "safespaces/owner_form.html", {**_owner_context(session, user, space_id), "errors": {}, **_common()}
    )


@router.post("/safe-spaces/mine/{space_id}", response_class=HTMLResponse, dependencies=[CsrfProtected])
def owner_propose(request: Request, session: SessionDep, user: OwnerPage, space_id: int, form: FormDep) -> Response:
    context = _owner_context(session, user, space_id)
    fields = tuple(f for f in _OWNER_TEXT_FIELDS if context["own_identity"] or f not in service.IDENTITY)
    data = _space_data(form, fields)
    try:
        service.propose_change(
            session,
            space_id=space_id,
            user=user,
            data=data,
            confirms_hours=bool(form.get("confirms_hours")),
            message=form.get("message"),
            settings=get_settings(),
            now=utcnow(),
        )
    except NTEError as exc:
        context["values"] = {**context["values"], **data, "message": form.get("message")}
        return render(
            request,
            "safespaces/owner_form.html",
            {**context, "errors": field_errors(exc, default="changes"), **_common()},
            status_code=exc.status_code,
        )
    return FLASH.redirect("/safe-spaces/mine", "safespace.proposed")
