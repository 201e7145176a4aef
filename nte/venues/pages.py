"""Venue pages: the public directory, venue pages and charter sign-up; the venue portal; officers'
queue and venue pages. Forms re-show with every error named and the values kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nte.auth.deps import CsrfProtected, ManagerPage, OfficerPage, OwnerPage, public
from nte.auth.models import User
from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.errors import NTEError
from nte.i18n import N_, Formatted
from nte.places import service as places
from nte.spatial.coords import round_coord
from nte.venues import service, vocabulary
from nte.venues.config import get_venue_settings
from nte.venues.deps import SignUpBudget
from nte.venues.exceptions import long_date
from nte.venues.models import SCHEMES, SPOT_CHECK_OUTCOMES, TRAINING_TYPES, VENUE_STATUSES, VENUE_TYPES
from nte.web.downloads import download_file
from nte.web.forms import Form, FormDep, field_errors
from nte.web.templating import render, request_gettext, request_language

router = APIRouter(include_in_schema=False)

UPLOAD_PREFIX = "/venue-portal/uploads/"
#: Upload routes get a larger body limit than the site default (nte.app reads this).
BODY_LIMITS = {UPLOAD_PREFIX: get_settings().max_upload_bytes + 64_000}
#: The forms whose success a page confirms after its redirect (``?saved=<form>``): any other value
#: shows nothing, so a link cannot put a success message on a page.
PORTAL_FORMS = ("details", "pledges", "training", "accreditation", "staff", "renew", "resubmit", "evidence")
OFFICER_FORMS = ("status", "spot_check", "duplicate")
#: Form fields never shown back on a re-shown form.
NOT_SHOWN_BACK = ("csrf_token", "place_find")


def _choices() -> dict[str, Any]:
    return {
        "pledges": vocabulary.PLEDGES,
        "venue_types": [(t, vocabulary.VENUE_TYPE_LABELS[t]) for t in VENUE_TYPES],
        "training_types": [(t, vocabulary.TRAINING_TYPE_LABELS[t]) for t in TRAINING_TYPES],
        "schemes": [(s, vocabulary.SCHEME_LABELS[s]) for s in SCHEMES],
        "statuses": [(s, vocabulary.STATUS_LABELS[s]) for s in VENUE_STATUSES],
        "action_labels": vocabulary.ACTION_LABELS,
        "outcomes": [(o, vocabulary.OUTCOME_LABELS[o]) for o in SPOT_CHECK_OUTCOMES],
        "labels": {
            "venue_type": vocabulary.VENUE_TYPE_LABELS,
            "training": vocabulary.TRAINING_TYPE_LABELS,
            "scheme": vocabulary.SCHEME_LABELS,
            "status": vocabulary.STATUS_LABELS,
            "outcome": vocabulary.OUTCOME_LABELS,
            "flag": vocabulary.FLAG_LABELS,
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


def _shown_back(form: Form) -> dict[str, Any]:
    """What was typed, to show the form again (never the passwords or the form's token)."""
    return {k: v for k, v in form.values.items() if not k.startswith("password") and k not in NOT_SHOWN_BACK}


#: Sign-up fields read exactly as typed (a password may begin or end with a space, as at sign-in).
EXACT_FIELDS = ("password", "password_confirm")


def _sign_up_raw(form: Form) -> dict[str, Any]:
    return {**form.values, **{k: form.exact[k] for k in EXACT_FIELDS if k in form.exact}}


def _keep_language(request: Request) -> str:
    """``&lang=..`` when the page was asked for in a language by ``?lang=``: after a form is sent,
    the page goes on in the language it was in."""
    lang = request_language(request)
    return f"&lang={lang}" if request.query_params.get("lang") == lang else ""


def _form_post(act: Callable[[], object], *, reshow: Callable[[NTEError], Response], done: str) -> Response:
    """Run a form's service call: on success, the 303 to ``done``; refused, the page again with the
    errors (a missing venue stays a 404)."""
    try:
        act()
    except NTEError as exc:
        if exc.status_code == 404:
            raise
        return reshow(exc)
    return RedirectResponse(done, status_code=303)


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
            "wards": service.wards_by_name(session, settings=settings),
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
def sign_up(request: Request, session: SessionDep, form: FormDep, spend: SignUpBudget) -> Response:
    values = _shown_back(form)
    if form.get("place_find") and form.get("place"):
        errors, found = _find_place(session, values, form.get("place"))
        return _sign_up_page(request, values, errors, 422 if errors else 200, found=found)
    try:
        result = service.sign_charter(
            session,
            raw=_sign_up_raw(form),
            settings=get_settings(),
            now=utcnow(),
            spend=spend,
            postcode_point=lambda postcode: places.postcode_point(session, postcode=postcode),
        )
    except NTEError as exc:
        return _sign_up_page(request, values, field_errors(exc), status_code=exc.status_code)
    return render(
        request,
        "venues/sign_up_done.html",
        {"held": result.held, "venue_name": form.get("name"), "email": result.email},
        status_code=201 if not result.held else 202,
    )


@router.get("/venues/{venue_id}", response_class=HTMLResponse, dependencies=[Depends(public)])
def venue_page(request: Request, session: SessionDep, venue_id: int) -> HTMLResponse:
    venue = service.public_venue(session, venue_id=venue_id)
    v = service.view(session, venue=venue, now=utcnow(), settings=get_settings(), private=False)
    return render(request, "venues/venue.html", {**_choices(), "v": v, "quick_exit": True})


# --- venue portal ----------------------------------------------------------------------------------


@router.get("/venue-portal", response_class=HTMLResponse)
def portal_index(request: Request, session: SessionDep, user: ManagerPage) -> Response:
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
            "lon": round_coord(v.lon),
            "lat": round_coord(v.lat),
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
    request: Request, session: SessionDep, user: ManagerPage, venue_id: int, saved: str | None = None
) -> HTMLResponse:
    return _portal_page(request, session, user, venue_id, saved=saved if saved in PORTAL_FORMS else None)


#: A portal form's service call: ``act(session, user=, venue_id=, raw=, now=, **extra)``.
PortalAct = Callable[..., object]


def _portal_post(
    request: Request,
    session: SessionDep,
    user: User,
    venue_id: int,
    form_name: str,
    form: Form,
    act: PortalAct,
    **extra: Any,
) -> Response:
    """One of the portal's forms sent: ``act`` with the form's values; refused, the portal again
    with the form's errors and what was typed."""

    def reshow(exc: NTEError) -> Response:
        values = {k: v for k, v in form.values.items() if k != "csrf_token"}
        return _portal_page(
            request,
            session,
            user,
            venue_id,
            form=form_name,
            errors=field_errors(exc),
            values=values,
            status_code=exc.status_code,
        )

    return _form_post(
        lambda: act(session, user=user, venue_id=venue_id, raw=form.values, now=utcnow(), **extra),
        reshow=reshow,
        done=f"/venue-portal/{venue_id}?saved={form_name}{_keep_language(request)}",
    )


@router.post("/venue-portal/{venue_id}/details", dependencies=[CsrfProtected])
def portal_details(request: Request, session: SessionDep, user: ManagerPage, venue_id: int, form: FormDep) -> Response:
    return _portal_post(
        request, session, user, venue_id, "details", form, service.update_details, settings=get_settings()
    )


@router.post("/venue-portal/{venue_id}/pledges", dependencies=[CsrfProtected])
def portal_pledges(request: Request, session: SessionDep, user: ManagerPage, venue_id: int, form: FormDep) -> Response:
    return _portal_post(request, session, user, venue_id, "pledges", form, service.update_pledges)


@router.post("/venue-portal/{venue_id}/training", dependencies=[CsrfProtected])
def portal_training(request: Request, session: SessionDep, user: ManagerPage, venue_id: int, form: FormDep) -> Response:
    return _portal_post(request, session, user, venue_id, "training", form, service.add_training)


@router.post("/venue-portal/{venue_id}/accreditations", dependencies=[CsrfProtected])
def portal_accreditation(
    request: Request, session: SessionDep, user: ManagerPage, venue_id: int, form: FormDep
) -> Response:
    return _portal_post(request, session, user, venue_id, "accreditation", form, service.add_accreditation)


@router.post("/venue-portal/{venue_id}/staff", dependencies=[CsrfProtected])
def portal_staff(request: Request, session: SessionDep, user: ManagerPage, venue_id: int, form: FormDep) -> Response:
    return _portal_post(request, session, user, venue_id, "staff", form, service.update_staff_count)


@router.post("/venue-portal/{venue_id}/renew", dependencies=[CsrfProtected])
def portal_renew(request: Request, session: SessionDep, user: ManagerPage, venue_id: int, form: FormDep) -> Response:
    """Renew a verified venue (in its window, once a cycle), or ask to renew a lapsed or withdrawn
    one (back to the officer queue). Refusals come back on the portal in words."""
    return _portal_post(request, session, user, venue_id, "renew", form, service.renew_by_manager)


@router.post("/venue-portal/{venue_id}/resubmit", dependencies=[CsrfProtected])
def portal_resubmit(request: Request, session: SessionDep, user: ManagerPage, venue_id: int, form: FormDep) -> Response:
    return _portal_post(request, session, user, venue_id, "resubmit", form, service.resubmit_form)


@router.post(UPLOAD_PREFIX + "{venue_id}", dependencies=[CsrfProtected])
def portal_upload(request: Request, session: SessionDep, user: ManagerPage, venue_id: int, form: FormDep) -> Response:
    return _portal_post(
        request,
        session,
        user,
        venue_id,
        "evidence",
        form,
        service.add_evidence_form,
        upload=form.files.get("file"),
        settings=get_settings(),
    )


@router.get("/venue-portal/evidence/{evidence_id}")
def evidence(request: Request, session: SessionDep, user: OwnerPage, evidence_id: int) -> Response:
    row, path = service.evidence_file(session, user=user, evidence_id=evidence_id, settings=get_settings())
    return download_file(
        session,
        actor=user,
        path=path,
        media_type=row.content_type,
        filename=row.original_name,
        action="venues.export",
        target_type="venue_evidence",
        target_id=row.id,
        detail={"venue_id": row.venue_id},
    )


# --- officers --------------------------------------------------------------------------------------


@router.get("/officer/venues", response_class=HTMLResponse)
def officer_queue(
    request: Request,
    session: SessionDep,
    user: OfficerPage,
    status: Annotated[str | None, Query(max_length=20)] = "submitted",
    examples: bool = False,
) -> HTMLResponse:
    now = utcnow()
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
            "wards": service.wards_by_name(session, settings=get_settings()),
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
    venue = service.venue_for(session, user=user, venue_id=venue_id)
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
            "actions": service.officer_actions_from(venue.status),
            "history": service.status_history(session, venue=venue),
            "action_days": get_venue_settings().spot_check_action_days,
            "events": service.recent_events(session, venue=venue),
        },
        status_code=status_code,
    )


@router.get("/officer/venues/{venue_id}", response_class=HTMLResponse)
def officer_venue(
    request: Request, session: SessionDep, user: OfficerPage, venue_id: int, saved: str | None = None
) -> HTMLResponse:
    return _officer_page(request, session, user, venue_id, saved=saved if saved in OFFICER_FORMS else None)


def _officer_post(
    request: Request, session: SessionDep, user: User, venue_id: int, form_name: str, form: Form, act: PortalAct
) -> Response:
    """One of the officer's forms on a venue's page: ``act(session, actor=, venue_id=, raw=, now=)``."""

    def reshow(exc: NTEError) -> Response:
        values = {k: v for k, v in form.values.items() if k != "csrf_token"}
        return _officer_page(
            request, session, user, venue_id, errors=field_errors(exc), values=values, status_code=exc.status_code
        )

    return _form_post(
        lambda: act(session, actor=user, venue_id=venue_id, raw=form.values, now=utcnow()),
        reshow=reshow,
        done=f"/officer/venues/{venue_id}?saved={form_name}",
    )


@router.post("/officer/venues/{venue_id}/status", dependencies=[CsrfProtected])
def officer_status(request: Request, session: SessionDep, user: OfficerPage, venue_id: int, form: FormDep) -> Response:
    return _officer_post(request, session, user, venue_id, "status", form, service.officer_status_form)


@router.post("/officer/venues/{venue_id}/spot-checks", dependencies=[CsrfProtected])
def officer_spot_check(
    request: Request, session: SessionDep, user: OfficerPage, venue_id: int, form: FormDep
) -> Response:
    return _officer_post(request, session, user, venue_id, "spot_check", form, service.add_spot_check)


@router.post("/officer/venues/duplicates/{duplicate_id}/resolve", dependencies=[CsrfProtected])
def officer_resolve_duplicate(
    request: Request, session: SessionDep, user: OfficerPage, duplicate_id: int, form: FormDep
) -> Response:
    dup = service.resolve_duplicate(session, actor=user, duplicate_id=duplicate_id, note=form.get("note"), now=utcnow())
    return RedirectResponse(f"/officer/venues/{dup.venue_id}?saved=duplicate", status_code=303)
