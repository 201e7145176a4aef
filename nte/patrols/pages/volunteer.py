"""The volunteer's own pages: shifts, sign-up, check-in, home safe, calendar feed and debrief."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from nte.auth.deps import CsrfProtected, VolunteerPage, client_and_address_budget, public
from nte.auth.models import User
from nte.config import get_settings
from nte.db import SessionDep, utcnow
from nte.errors import NTEError, RateLimited
from nte.i18n import N_
from nte.london import london_today
from nte.patrols import applications, service
from nte.patrols.config import get_patrol_settings
from nte.patrols.exceptions import InvalidDebrief, NotAVolunteer
from nte.patrols.messages import FLASH
from nte.patrols.models import GENDERS, SUPPORT_KINDS, Signup, Volunteer
from nte.patrols.pages.common import page_context
from nte.patrols.vocabulary import (
    AGE_BAND_LABELS,
    AGE_BANDS,
    EMERGENCY_HANDOVERS,
    HANDOVER_LABELS,
    HANDOVERS,
    MAX_PEOPLE_PER_DEBRIEF,
    PERSON_GENDER_LABELS,
)
from nte.web.forms import FormDep, field_errors
from nte.web.templating import render

router = APIRouter(include_in_schema=False)

# --- volunteer ------------------------------------------------------------------------------------


def _my_page(request: Request, session: SessionDep, user: User, **extra: Any) -> dict[str, Any]:
    volunteer = service.volunteer_for_user(session, user)
    now = utcnow()
    mine = service.volunteer_shifts(session, volunteer, now=now)
    taken = {s.id for _, s in mine}
    return page_context(
        request,
        volunteer=volunteer,
        mine=mine,
        choices={signup.id: service.volunteer_choices(shift, signup, now=now) for signup, shift in mine},
        briefings=service.shift_briefings(session, volunteer=volunteer, signups=mine, now=now),
        now=now,
        open_shifts=[i for i in service.open_shifts(session, now=now) if i.shift.id not in taken],
        records=service.record_states(session, volunteer, today=london_today(now)),
        eligibility=service.eligibility_problem(session, volunteer, on=london_today(now)),
        deadline_hours=get_patrol_settings().cancellation_deadline_hours,
        reliability=service.volunteer_reliability(session, volunteer, now=now),
        **extra,
    )


@router.get("/volunteer", response_class=HTMLResponse)
def my_shifts(request: Request, session: SessionDep, user: VolunteerPage) -> HTMLResponse:
    try:
        context = _my_page(request, session, user)
    except NotAVolunteer:
        context = page_context(request, volunteer=None)
    return render(request, "patrols/volunteer_home.html", context)


def _volunteer_action(
    request: Request, session: SessionDep, user: User, action: Callable[[Volunteer], object], key: str
) -> Response:
    try:
        done = action(service.volunteer_for_user(session, user))
    except NTEError as exc:
        if exc.status_code == 404 and exc.field != "shift_id":
            raise
        return render(
            request,
            "patrols/volunteer_home.html",
            _my_page(request, session, user, errors=field_errors(exc, default="shift_id")),
            status_code=exc.status_code,
        )
    if key == "signup.confirmed" and isinstance(done, Signup) and done.status == "waitlisted":
        key = "signup.waitlisted"  # the shift was full: the booking put them on its waitlist
    return FLASH.redirect("/volunteer", key)


@router.post("/volunteer/shifts/{shift_id}/signup", response_class=HTMLResponse, dependencies=[CsrfProtected])
def sign_up(request: Request, session: SessionDep, shift_id: int, user: VolunteerPage) -> Response:
    return _volunteer_action(
        request,
        session,
        user,
        lambda v: service.book_shift(session, volunteer=v, shift_id=shift_id, now=utcnow()),
        "signup.confirmed",
    )


@router.post("/volunteer/shifts/{shift_id}/cancel", response_class=HTMLResponse, dependencies=[CsrfProtected])
def cancel(request: Request, session: SessionDep, shift_id: int, user: VolunteerPage) -> Response:
    return _volunteer_action(
        request,
        session,
        user,
        lambda v: service.cancel_signup(session, volunteer=v, shift_id=shift_id, now=utcnow()),
        "signup.cancelled",
    )


@router.post("/volunteer/shifts/{shift_id}/offer", response_class=HTMLResponse, dependencies=[CsrfProtected])
def offer(
    request: Request,
    session: SessionDep,
    user: VolunteerPage,
    shift_id: int,
    accept: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    return _volunteer_action(
        request,
        session,
        user,
        lambda v: service.respond_to_offer(
            session, volunteer=v, shift_id=shift_id, accept=accept == "yes", now=utcnow()
        ),
        "offer.accepted" if accept == "yes" else "offer.declined",
    )


@router.post("/volunteer/shifts/{shift_id}/check-in", response_class=HTMLResponse, dependencies=[CsrfProtected])
def check_in(request: Request, session: SessionDep, shift_id: int, user: VolunteerPage) -> Response:
    return _volunteer_action(
        request,
        session,
        user,
        lambda v: service.check_in(session, volunteer=v, shift_id=shift_id, now=utcnow()),
        "shift.checked_in",
    )


@router.post("/volunteer/shifts/{shift_id}/home-safe", response_class=HTMLResponse, dependencies=[CsrfProtected])
def home_safe(request: Request, session: SessionDep, shift_id: int, user: VolunteerPage) -> Response:
    return _volunteer_action(
        request,
        session,
        user,
        lambda v: service.home_safe(session, volunteer=v, shift_id=shift_id, now=utcnow()),
        "shift.home_safe",
    )


@router.post("/volunteer/feed", response_class=HTMLResponse, dependencies=[CsrfProtected])
def create_feed(request: Request, session: SessionDep, user: VolunteerPage) -> Response:
    volunteer = service.volunteer_for_user(session, user)
    token = service.issue_feed_token(session, volunteer=volunteer, now=utcnow())
    url = service.feed_url(token, settings=get_settings())
    return render(request, "patrols/volunteer_home.html", _my_page(request, session, user, feed_url=url))


@router.post("/volunteer/feed/revoke", response_class=HTMLResponse, dependencies=[CsrfProtected])
def revoke_feed(request: Request, session: SessionDep, user: VolunteerPage) -> Response:
    volunteer = service.volunteer_for_user(session, user)
    service.revoke_feed_token(session, volunteer=volunteer, now=utcnow())
    return FLASH.redirect("/volunteer", "feed.revoked")


def _debrief_page(request: Request, session: SessionDep, user: User, shift_id: int, **extra: Any) -> dict[str, Any]:
    service.volunteer_for_user(session, user)  # no profile: "ask your coordinator" first
    shift = service.get_shift(session, shift_id)
    service.check_debrief_lead(session, user=user, shift=shift)
    area = service.get_area(session, shift.area_id)
    extra.setdefault("rows", [_blank_row(i) for i in range(FIRST_ROWS)])
    return page_context(
        request,
        shift=shift,
        area=area,
        kinds=SUPPORT_KINDS,
        genders=GENDERS,
        age_bands=AGE_BANDS,
        handovers=HANDOVERS,
        person_gender_labels=PERSON_GENDER_LABELS,
        age_band_labels=AGE_BAND_LABELS,
        handover_labels=HANDOVER_LABELS,
        max_people=MAX_PEOPLE_PER_DEBRIEF,
        area_geojson=json.dumps(service.area_feature(area)),
        debrief=service.debrief_view(session, shift.id, restricted=False),
        **extra,
    )


#: Person rows the debrief form shows at first; "Add another person" adds one (up to the limit).
FIRST_ROWS = 3


def _blank_row(index: int) -> dict[str, Any]:
    return {"index": index, "gender": "", "age_band": "", "kinds": [], "handover": ""}


def debrief_people(form: Mapping[str, str], kinds_of: Callable[[int], list[str]]) -> DebriefRows:
    """The debrief's person rows read at once: every row as typed (to show again), the people to file
    (rows left empty are skipped) and an error for every wrong row, named by its field
    (``people.<row>.kinds``: "Person 2: choose at least one kind of help ...") in the order shown."""
    raw = (form.get("rows") or "").strip()
    shown = int(raw) if raw.isdecimal() and raw.isascii() else FIRST_ROWS
    shown = max(1, min(shown, MAX_PEOPLE_PER_DEBRIEF))
    result = DebriefRows()
    for i in range(shown):
        row = {
            "index": i,
            "gender": (form.get(f"people.{i}.gender") or "").strip(),
            "age_band": (form.get(f"people.{i}.age_band") or "").strip(),
            "kinds": [k.strip() for k in kinds_of(i) if k.strip()],
            "handover": (form.get(f"people.{i}.handover") or "").strip(),
        }
        result.rows.append(row)
        if not (row["gender"] or row["age_band"] or row["kinds"] or row["handover"]):
            continue
        person = {k: row[k] or None for k in ("gender", "age_band", "handover")} | {"kinds": row["kinds"]}
        label = f"Person {i + 1}"
        if not row["gender"]:
            result.errors[f"people.{i}.gender"] = f"{label}: choose their gender as observed (or Not recorded)."
        if not row["kinds"] and row["handover"] not in EMERGENCY_HANDOVERS:
            result.errors[f"people.{i}.kinds"] = f"{label}: choose at least one kind of help given."
        if f"people.{i}.gender" in result.errors or f"people.{i}.kinds" in result.errors:
            continue
        try:
            service.clean_person(person, i)
        except InvalidDebrief as exc:
            result.errors[exc.field or f"people.{i}"] = f"{label}: {exc.detail}"
            continue
        result.people.append(person)
    return result


@dataclass
class DebriefRows:
    rows: list[dict[str, Any]] = field(default_factory=list)
    people: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


@router.get("/volunteer/shifts/{shift_id}/debrief", response_class=HTMLResponse)
def debrief_form(request: Request, session: SessionDep, shift_id: int, user: VolunteerPage) -> HTMLResponse:
    return render(request, "patrols/debrief.html", _debrief_page(request, session, user, shift_id))


@router.post("/volunteer/shifts/{shift_id}/debrief", response_class=HTMLResponse, dependencies=[CsrfProtected])
def file_debrief(request: Request, session: SessionDep, shift_id: int, user: VolunteerPage, form: FormDep) -> Response:
    values = form.data()
    read = debrief_people(values, lambda i: form.getlist(f"people.{i}.kinds"))
    if values.get("action") == "add_person":
        # "Add another person": the same form again with one more empty row, nothing filed.
        errors: dict[str, str] = {}
        if len(read.rows) >= MAX_PEOPLE_PER_DEBRIEF:
            errors["people"] = f"A debrief records at most {MAX_PEOPLE_PER_DEBRIEF} people."
        else:
            read.rows.append(_blank_row(len(read.rows)))
        page = _debrief_page(request, session, user, shift_id, rows=read.rows, form=values, errors=errors)
        page["focus_row"] = len(read.rows) - 1
        return render(request, "patrols/debrief.html", page, status_code=422 if errors else 200)
    if read.errors:
        return render(
            request,
            "patrols/debrief.html",
            _debrief_page(request, session, user, shift_id, errors=read.errors, form=values, rows=read.rows),
            status_code=422,
        )
    try:
        incidents = []
        if values.get("incidents.0.title", "").strip() or values.get("incidents.0.notes", "").strip():
            incidents.append(
                {
                    "title": values.get("incidents.0.title", ""),
                    "notes": values.get("incidents.0.notes"),
                    "lon": values.get("incidents.0.lon") or None,
                    "lat": values.get("incidents.0.lat") or None,
                }
            )
        service.file_debrief(
            session,
            user=user,
            shift_id=shift_id,
            people=read.people,
            summary=values.get("summary") or None,
            incidents=incidents,
            now=utcnow(),
        )
    except NTEError as exc:
        if exc.status_code in (403, 404):
            raise
        errors = field_errors(exc, default="summary")
        return render(
            request,
            "patrols/debrief.html",
            _debrief_page(
                request,
                session,
                user,
                shift_id,
                errors=field_errors(exc, default="summary"),
                form=values,
                rows=read.rows,
            ),
            status_code=exc.status_code,
        )
    return FLASH.redirect("/volunteer", "debrief.filed")


# --- applying to volunteer (public) ---------------------------------------------------------------

#: Applications per client address, and per e-mail address, per hour (mistakes the form points out
#: are not counted). Known and unknown addresses are counted alike.
APPLICATIONS_PER_CLIENT_PER_HOUR = 5
APPLICATIONS_PER_EMAIL_PER_HOUR = 2
TOO_MANY_APPLICATIONS = N_("Too many applications from here. Please wait an hour and try again.")


application_budget = client_and_address_budget(
    "application",
    per_client=APPLICATIONS_PER_CLIENT_PER_HOUR,
    per_address=APPLICATIONS_PER_EMAIL_PER_HOUR,
    message=TOO_MANY_APPLICATIONS,
    what="application",
)


ApplicationBudget = Annotated[Callable[[str], None], Depends(application_budget)]


def _apply_page(
    request: Request, *, form: dict[str, str], errors: dict[str, str], sent: bool = False, status_code: int = 200
) -> HTMLResponse:
    return render(
        request,
        "patrols/apply.html",
        {"form": form, "errors": errors, "sent": sent},
        status_code=status_code,
    )


@router.get("/volunteer/apply", response_class=HTMLResponse, dependencies=[Depends(public)])
def apply_form(request: Request) -> HTMLResponse:
    return _apply_page(request, form={}, errors={})


# Access: public (anonymous form token). Every well-formed application gets the same thank-you page
# and status, whether or not the address already has an account; only form mistakes (422) and too
# many applications (429) are answered differently.
@router.post("/volunteer/apply", response_class=HTMLResponse, dependencies=[Depends(public), CsrfProtected])
def apply(
    request: Request,
    session: SessionDep,
    budget: ApplicationBudget,
    display_name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    phone: Annotated[str, Form(max_length=60)] = "",
    about: Annotated[str, Form(max_length=2000)] = "",
    consent: Annotated[str, Form(max_length=5)] = "",
) -> HTMLResponse:
    form = {"display_name": display_name, "email": email, "phone": phone, "about": about, "consent": consent}
    try:
        applications.apply(
            session,
            form=applications.ApplicationForm(
                display_name=display_name, email=email, phone=phone, about=about, consent=consent == "yes"
            ),
            now=utcnow(),
            spend=budget,
        )
    except NTEError as exc:
        errors = (
            dict(exc.errors) if isinstance(exc, applications.ApplicationInvalid) else field_errors(exc, default="email")
        )
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return render(
            request,
            "patrols/apply.html",
            {"form": form, "errors": errors, "sent": False},
            status_code=exc.status_code,
            headers=headers,
        )
    return _apply_page(request, form={}, errors={}, sent=True)
