"""Venue pages: the public directory, venue pages and charter sign-up; the venue portal; officers'
queue and venue pages. Forms re-show with every error named and the values kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from nte.auth.deps import OFFICERS, CsrfProtected, public, require_page_roles
from nte.auth.models import Role, User
from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.errors import NTEError
from nte.i18n import N_, Formatted
from nte.places import service as places
from nte.venues import service
from nte.venues.config import get_venue_settings
from nte.venues.deps import SignUpBudget
from nte.venues.exceptions import VenueInvalid, long_date
from nte.venues.models import SCHEMES, SPOT_CHECK_OUTCOMES, TRAINING_TYPES, VENUE_STATUSES, VENUE_TYPES
from nte.web.i18n import LANGUAGES
from nte.web.templating import render, request_gettext

router = APIRouter(include_in_schema=False)

Manager = Annotated[User, Depends(require_page_roles(Role.venue_manager))]
Officer = Annotated[User, Depends(require_page_roles(*OFFICERS))]
EvidenceReader = Annotated[User, Depends(require_page_roles(Role.venue_manager, *OFFICERS))]
UPLOAD_PREFIX = "/venue-portal/uploads/"
#: Upload routes get a larger body limit than the site default (nte.app reads this).
BODY_LIMITS = {UPLOAD_PREFIX: get_settings().max_upload_bytes + 64_000}


async def form_data(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


FormData = Annotated[dict[str, Any], Depends(form_data)]


async def upload_data(request: Request) -> dict[str, Any]:
    form = await request.form()
    upload = form.get("file")
    out: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    out["file_name"], out["file_bytes"] = "", b""
    if upload is not None and not isinstance(upload, str):
        out["file_name"] = upload.filename or ""
        out["file_bytes"] = await upload.read(get_settings().max_upload_bytes + 1)
    return out


UploadData = Annotated[dict[str, Any], Depends(upload_data)]


def _choices() -> dict[str, Any]:
    return {
        "pledges": service.PLEDGES,
        "venue_types": [(t, service.VENUE_TYPE_LABELS[t]) for t in VENUE_TYPES],
        "training_types": [(t, service.TRAINING_TYPE_LABELS[t]) for t in TRAINING_TYPES],
        "schemes": [(s, service.SCHEME_LABELS[s]) for s in SCHEMES],
        "statuses": [(s, service.STATUS_LABELS[s]) for s in VENUE_STATUSES],
        "action_labels": service.ACTION_LABELS,
        "outcomes": [(o, service.OUTCOME_LABELS[o]) for o in SPOT_CHECK_OUTCOMES],
        "labels": {
            "venue_type": service.VENUE_TYPE_LABELS,
            "training": service.TRAINING_TYPE_LABELS,
            "scheme": service.SCHEME_LABELS,
            "status": service.STATUS_LABELS,
            "outcome": service.OUTCOME_LABELS,
            "flag": service.FLAG_LABELS,
        },
        "attribution": service.EXAMPLE_ATTRIBUTION,
    }


PLACE_TOO_SHORT = N_("Type at least 2 characters: a postcode, street or place name.")
PLACE_NOT_FOUND = N_("No place found: check the postcode, or try a street name.")


def _translator(request: Request) -> Callable[[str], str]:
    """The page's ``tr(message)``: a service message in the page's language, a Formatted one
    translated first and formatted after (so the sentence stays whole in every language)."""
    gettext = request_gettext(request)

    def tr(message: str) -> str:
        if isinstance(message, Formatted):
            return gettext(message.template) % message.values
        return gettext(message)

    return tr


def _errors(exc: NTEError) -> dict[str, str]:
    return dict(exc.errors) if isinstance(exc, VenueInvalid) else {exc.field or "form": exc.detail}


# --- public ----------------------------------------------------------------------------------------


@router.get("/venues", response_class=HTMLResponse, dependencies=[Depends(public)])
def directory(
    request: Request,
    session: SessionDep,
    ward: Annotated[str | None, Query(max_length=20)] = None,
    venue_type: Annotated[str | None, Query(max_length=20)] = None,
    scheme: Annotated[str | None, Query(max_length=20)] = None,
    examples: bool = False,
) -> HTMLResponse:
    settings = get_settings()
    ward, venue_type, scheme = ward or None, venue_type or None, scheme or None
    features = service.directory(
        session,
        ward=ward,
        venue_type=venue_type,
        scheme=scheme,
        include_examples=examples,
        settings=settings,
        now=utcnow(),
    )
    wards = sorted(service.ward_names(session, settings=settings).items(), key=lambda kv: kv[1])
    params = "&".join(
        f"{k}={v}"
        for k, v in (
            ("ward", ward),
            ("venue_type", venue_type),
            ("scheme", scheme),
            ("examples", "true" if examples else None),
        )
        if v
    )
    return render(
        request,
        "venues/directory.html",
        {
            **_choices(),
            "features": features,
            "wards": wards,
            "filters": {"ward": ward, "venue_type": venue_type, "scheme": scheme, "examples": examples},
            "geojson_url": "/api/venues.geojson" + (f"?{params}" if params else ""),
            "quick_exit": True,
        },
    )


def _sign_up_page(
    request: Request,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
    *,
    found: places.Place | None = None,
) -> Response:
    return render(
        request,
        "venues/sign_up.html",
        {**_choices(), "values": values, "errors": errors, "found_place": found},
        status_code=status_code,
    )


def _find_place(session: SessionDep, values: dict[str, Any], text: str) -> tuple[dict[str, str], places.Place | None]:
    """Without a script, "Find" sends the place typed in the sign-up form: the pin goes to its point
    (marked approximate until someone moves it) and the form comes back with everything kept. The
    messages are translated by the page, like the service's."""
    try:
        found = places.resolve(session, q=text, settings=get_settings())
    except NTEError:
        return {"place": PLACE_TOO_SHORT}, None
    if found is None:
        return {"place": PLACE_NOT_FOUND}, None
    values.update(lon=f"{found.lon:.6f}", lat=f"{found.lat:.6f}", location_approximate="1", place=found.label)
    return {}, found


@router.get("/venues/sign-up", response_class=HTMLResponse, dependencies=[Depends(public)])
def sign_up_form(
    request: Request, session: SessionDep, place: Annotated[str | None, Query(max_length=80)] = None
) -> Response:
    if not (place or "").strip():
        return _sign_up_page(request, {}, {})
    values: dict[str, Any] = {"place": place}
    errors, found = _find_place(session, values, place or "")
    return _sign_up_page(request, values, errors, 422 if errors else 200, found=found)


@router.post("/venues/sign-up", response_class=HTMLResponse, dependencies=[Depends(public), CsrfProtected])
def sign_up(request: Request, session: SessionDep, form: FormData, spend: SignUpBudget) -> Response:
    values = {k: v for k, v in form.items() if not k.startswith("password") and k not in ("csrf_token", "place_find")}
    if form.get("place_find") and str(form.get("place") or "").strip():
        errors, found = _find_place(session, values, str(form["place"]))
        return _sign_up_page(request, values, errors, 422 if errors else 200, found=found)
    try:
        result = service.sign_charter(
            session,
            raw=form,
            settings=get_settings(),
            now=utcnow(),
            spend=spend,
            postcode_point=lambda postcode: places.postcode_point(session, postcode=postcode),
        )
    except NTEError as exc:
        return _sign_up_page(request, values, _errors(exc), status_code=exc.status_code)
    return render(
        request,
        "venues/sign_up_done.html",
        {"held": result.held, "venue_name": form.get("name", ""), "email": result.email},
        status_code=201 if not result.held else 202,
    )


@router.get("/venues/{venue_id}", response_class=HTMLResponse, dependencies=[Depends(public)])
def venue_page(request: Request, session: SessionDep, venue_id: int) -> HTMLResponse:
    venue = service.public_venue(session, venue_id=venue_id)
    v = service.view(session, venue=venue, now=utcnow(), settings=get_settings(), private=False)
    return render(request, "venues/venue.html", {**_choices(), "v": v, "quick_exit": True})


# --- venue portal ----------------------------------------------------------------------------------


@router.get("/venue-portal", response_class=HTMLResponse)
def portal_index(request: Request, session: SessionDep, user: Manager) -> Response:
    venues = service.my_venues(session, user=user)
    if len(venues) == 1:
        return RedirectResponse(f"/venue-portal/{venues[0].id}", status_code=303)
    return render(
        request,
        "venues/portal_index.html",
        {**_choices(), "venues": venues, "held": service.my_held_sign_ups(session, user=user)},
    )


def _portal_page(
    request: Request,
    session: SessionDep,
    user: User,
    venue_id: int,
    *,
    form: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    saved: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    venue = service.venue_for(session, user=user, venue_id=venue_id)
    v = service.view(session, venue=venue, now=utcnow(), settings=get_settings(), private=True)
    details = (
        values
        if form == "details" and values
        else {
            "name": venue.name,
            "venue_type": venue.venue_type,
            "address": venue.address,
            "postcode": venue.postcode,
            "licence_number": venue.licence_number or "",
            "lon": round(v.lon, 6),
            "lat": round(v.lat, 6),
            "contact_email": venue.contact_email,
            "contact_phone": venue.contact_phone,
            "champion_name": venue.champion_name,
            "champion_role": venue.champion_role,
            "ask_for_angela": "1" if venue.ask_for_angela else "",
        }
    )
    pledges: dict[str, Any] = values if form == "pledges" and values else {}
    if not pledges:
        for p in venue.pledges:
            pledges[f"pledge_{p.number}_status"] = "met" if p.met else "not_yet"
            pledges[f"pledge_{p.number}_how"] = p.how_met or ""
            pledges[f"pledge_{p.number}_target"] = p.target_date.isoformat() if p.target_date else ""
    return render(
        request,
        "venues/portal.html",
        {
            **_choices(),
            "v": v,
            "form": form,
            "errors": errors or {},
            "values": values or {},
            "saved": saved,
            "upload_url": f"{UPLOAD_PREFIX}{venue.id}",
            "details_values": details,
            "pledge_values": pledges,
            "history": service.status_history(session, venue=venue),
            "renewal": service.renewal(session, venue, now=utcnow()),
            "tr": _translator(request),
            "long_date": long_date,
        },
        status_code=status_code,
    )


@router.get("/venue-portal/{venue_id}", response_class=HTMLResponse)
def portal(
    request: Request, session: SessionDep, user: Manager, venue_id: int, saved: str | None = None
) -> HTMLResponse:
    return _portal_page(request, session, user, venue_id, saved=(saved or "")[:20] or None)


def _portal_post(
    request: Request, session: SessionDep, user: User, venue_id: int, form_name: str, values: dict[str, Any], action
) -> Response:
    try:
        action()
    except NTEError as exc:
        if exc.status_code == 404:
            raise
        clean = {k: v for k, v in values.items() if k not in ("csrf_token", "file_bytes")}
        return _portal_page(
            request,
            session,
            user,
            venue_id,
            form=form_name,
            errors=_errors(exc),
            values=clean,
            status_code=exc.status_code,
        )
    lang = request.query_params.get("lang")
    keep = f"&lang={lang}" if lang in LANGUAGES else ""  # the page goes on in the language it was in
    return RedirectResponse(f"/venue-portal/{venue_id}?saved={form_name}{keep}", status_code=303)


@router.post("/venue-portal/{venue_id}/details", dependencies=[CsrfProtected])
def portal_details(request: Request, session: SessionDep, user: Manager, venue_id: int, form: FormData) -> Response:
    return _portal_post(
        request,
        session,
        user,
        venue_id,
        "details",
        form,
        lambda: service.update_details(
            session, user=user, venue_id=venue_id, raw=form, settings=get_settings(), now=utcnow()
        ),
    )


@router.post("/venue-portal/{venue_id}/pledges", dependencies=[CsrfProtected])
def portal_pledges(request: Request, session: SessionDep, user: Manager, venue_id: int, form: FormData) -> Response:
    return _portal_post(
        request,
        session,
        user,
        venue_id,
        "pledges",
        form,
        lambda: service.update_pledges(session, user=user, venue_id=venue_id, raw=form, now=utcnow()),
    )


@router.post("/venue-portal/{venue_id}/training", dependencies=[CsrfProtected])
def portal_training(request: Request, session: SessionDep, user: Manager, venue_id: int, form: FormData) -> Response:
    return _portal_post(
        request,
        session,
        user,
        venue_id,
        "training",
        form,
        lambda: service.add_training(session, user=user, venue_id=venue_id, raw=form, now=utcnow()),
    )


@router.post("/venue-portal/{venue_id}/accreditations", dependencies=[CsrfProtected])
def portal_accreditation(
    request: Request, session: SessionDep, user: Manager, venue_id: int, form: FormData
) -> Response:
    return _portal_post(
        request,
        session,
        user,
        venue_id,
        "accreditation",
        form,
        lambda: service.add_accreditation(session, user=user, venue_id=venue_id, raw=form, now=utcnow()),
    )


@router.post("/venue-portal/{venue_id}/staff", dependencies=[CsrfProtected])
def portal_staff(request: Request, session: SessionDep, user: Manager, venue_id: int, form: FormData) -> Response:
    return _portal_post(
        request,
        session,
        user,
        venue_id,
        "staff",
        form,
        lambda: service.update_staff_count(session, user=user, venue_id=venue_id, raw=form, now=utcnow()),
    )


@router.post("/venue-portal/{venue_id}/renew", dependencies=[CsrfProtected])
def portal_renew(request: Request, session: SessionDep, user: Manager, venue_id: int, form: FormData) -> Response:
    """Renew a verified venue (in its window, once a cycle), or ask to renew a lapsed or withdrawn
    one (back to the officer queue). Refusals come back on the portal in words."""
    return _portal_post(
        request,
        session,
        user,
        venue_id,
        "renew",
        form,
        lambda: service.renew_by_manager(session, user=user, venue_id=venue_id, raw=form, now=utcnow()),
    )


@router.post("/venue-portal/{venue_id}/resubmit", dependencies=[CsrfProtected])
def portal_resubmit(request: Request, session: SessionDep, user: Manager, venue_id: int, form: FormData) -> Response:
    return _portal_post(
        request,
        session,
        user,
        venue_id,
        "resubmit",
        form,
        lambda: service.resubmit(session, user=user, venue_id=venue_id, note=form.get("note"), now=utcnow()),
    )


def _optional_id(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise VenueInvalid({field: "Choose one of the options."}) from None


@router.post(UPLOAD_PREFIX + "{venue_id}", dependencies=[CsrfProtected])
def portal_upload(request: Request, session: SessionDep, user: Manager, venue_id: int, form: UploadData) -> Response:
    def act() -> None:
        service.add_evidence(
            session,
            user=user,
            venue_id=venue_id,
            filename=form["file_name"],
            data=form["file_bytes"],
            settings=get_settings(),
            now=utcnow(),
            training_id=_optional_id(form.get("training_id"), "training_id"),
            accreditation_id=_optional_id(form.get("accreditation_id"), "accreditation_id"),
        )

    return _portal_post(request, session, user, venue_id, "evidence", form, act)


@router.get("/venue-portal/evidence/{evidence_id}")
def evidence(request: Request, session: SessionDep, user: EvidenceReader, evidence_id: int) -> Response:
    row, path = service.evidence_file(session, user=user, evidence_id=evidence_id, settings=get_settings())
    return FileResponse(
        path,
        media_type=row.content_type,
        filename=row.original_name,
        content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
    )


# --- officers --------------------------------------------------------------------------------------


@router.get("/officer/venues", response_class=HTMLResponse)
def officer_queue(
    request: Request,
    session: SessionDep,
    user: Officer,
    status: Annotated[str | None, Query(max_length=20)] = "submitted",
    examples: bool = False,
) -> HTMLResponse:
    now = utcnow()
    settings = get_settings()
    status = status or None
    return render(
        request,
        "venues/officer_queue.html",
        {
            **_choices(),
            "queue": service.officer_queue(session, status=status, now=now, include_examples=examples),
            "attention": service.needs_attention(session, now=now),
            "duplicates": service.open_duplicates(session),
            "status": status,
            "examples": examples,
            "wards": sorted(service.ward_names(session, settings=settings).items(), key=lambda kv: kv[1]),
        },
    )


def _officer_page(
    request: Request,
    session: SessionDep,
    user: User,
    venue_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    saved: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    from nte.audit import service as audit

    venue = service.venue_for(session, user=user, venue_id=venue_id)
    actions = [m.action for m in service.STATE_TABLE if m.status == venue.status and service.OFFICER in m.actors]
    v = service.view(session, venue=venue, now=utcnow(), settings=get_settings(), private=True)
    return render(
        request,
        "venues/officer_venue.html",
        {
            **_choices(),
            "v": v,
            "errors": errors or {},
            "values": values or {},
            "saved": saved,
            "actions": actions,
            "history": service.status_history(session, venue=venue),
            "action_days": get_venue_settings().spot_check_action_days,
            "events": audit.list_events(session, target_type="venue", target_id=venue.id, limit=50),
        },
        status_code=status_code,
    )


@router.get("/officer/venues/{venue_id}", response_class=HTMLResponse)
def officer_venue(
    request: Request, session: SessionDep, user: Officer, venue_id: int, saved: str | None = None
) -> HTMLResponse:
    return _officer_page(request, session, user, venue_id, saved=(saved or "")[:20] or None)


def _officer_post(
    request: Request, session: SessionDep, user: User, venue_id: int, form_name: str, values: dict[str, Any], action
) -> Response:
    try:
        action()
    except NTEError as exc:
        if exc.status_code == 404:
            raise
        return _officer_page(
            request,
            session,
            user,
            venue_id,
            errors=_errors(exc),
            values={k: v for k, v in values.items() if k != "csrf_token"},
            status_code=exc.status_code,
        )
    return RedirectResponse(f"/officer/venues/{venue_id}?saved={form_name}", status_code=303)


@router.post("/officer/venues/{venue_id}/status", dependencies=[CsrfProtected])
def officer_status(request: Request, session: SessionDep, user: Officer, venue_id: int, form: FormData) -> Response:
    return _officer_post(
        request,
        session,
        user,
        venue_id,
        "status",
        form,
        lambda: service.officer_change_status(
            session,
            actor=user,
            venue_id=venue_id,
            action=str(form.get("action") or ""),
            reason=form.get("reason"),
            now=utcnow(),
        ),
    )


@router.post("/officer/venues/{venue_id}/spot-checks", dependencies=[CsrfProtected])
def officer_spot_check(request: Request, session: SessionDep, user: Officer, venue_id: int, form: FormData) -> Response:
    return _officer_post(
        request,
        session,
        user,
        venue_id,
        "spot_check",
        form,
        lambda: service.add_spot_check(session, actor=user, venue_id=venue_id, raw=form, now=utcnow()),
    )


@router.post("/officer/venues/duplicates/{duplicate_id}/resolve", dependencies=[CsrfProtected])
def officer_resolve_duplicate(
    request: Request, session: SessionDep, user: Officer, duplicate_id: int, form: FormData
) -> Response:
    dup = service.resolve_duplicate(
        session, actor=user, duplicate_id=duplicate_id, note=str(form.get("note") or ""), now=utcnow()
    )
    return RedirectResponse(f"/officer/venues/{dup.venue_id}?saved=duplicate", status_code=303)
