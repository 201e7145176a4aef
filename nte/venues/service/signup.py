"""Signing the charter: the venue manager's account (unconfirmed, mailed a link), the venue with its
seven pledges, and duplicate detection (a registered licence number holds the sign-up for an
officer; the same name within 50 m is flagged both ways)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from shapely.geometry import Point
from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth import repository as auth_repo
from nte.auth import service as auth_service
from nte.auth.models import Role, User
from nte.config import Settings
from nte.errors import NTEError
from nte.i18n import N_
from nte.london import london_today
from nte.notifications import service as outbox
from nte.spatial import distance_m, to_db
from nte.venues import messages
from nte.venues import repository as repo
from nte.venues.models import Venue, VenueDuplicate, VenuePledge
from nte.venues.service.details import MANAGER_FIELDS, CleanDetails, PostcodePoint, clean_details
from nte.venues.service.pledges import CleanPledge, clean_pledges
from nte.venues.service.records import assign_ward
from nte.venues.service.validation import licence_key, name_key, raise_if_any
from nte.web.forms import collect

DUPLICATE_RADIUS_M = 50.0


@dataclass
class SignUpResult:
    """What a sign-up did. The public answer (``held`` and the typed ``email``) is the same whether
    or not the e-mail already had an account, so a sign-up cannot be used to find out who has one."""

    email: str
    held: bool  # the premises licence number is already registered: held for an officer
    user: User | None = None  # None when the e-mail already had an account (nothing was created)
    venue: Venue | None = None  # None when held, or when the e-mail already had an account
    duplicates: list[VenueDuplicate] = field(default_factory=list)
    confirm_token: str = ""


SUBMISSION_KEYS = (
    "name",
    "venue_type",
    "address",
    "postcode",
    "licence_number",
    "lon",
    "lat",
    "contact_email",
    "contact_phone",
    "champion_name",
    "champion_role",
    "ask_for_angela",
    "manager_name",
)


@dataclass
class _SignUp:
    details: CleanDetails
    pledges: list[CleanPledge]
    manager_name: str
    password: str


def _checked_sign_up(
    session: Session,
    raw: Mapping[str, Any],
    *,
    settings: Settings,
    today: date,
    postcode_point: PostcodePoint | None,
) -> _SignUp:
    """The whole form checked, every problem reported at once (VenueInvalid)."""
    errors: dict[str, str] = {}
    details = clean_details(session, raw, settings=settings, errors=errors, postcode_point=postcode_point)
    pledges = clean_pledges(raw, today=today, errors=errors)
    manager, wrong = collect(MANAGER_FIELDS, raw)
    errors.update(wrong)
    password = str(raw.get("password") or "")
    try:
        auth_service.check_password_strength(password, field="password")
    except NTEError as exc:
        errors["password"] = exc.detail
    if "password_confirm" in raw and "password" not in errors and raw.get("password_confirm") != password:
        errors["password_confirm"] = N_("The two passwords do not match.")
    raise_if_any(errors)
    assert details is not None
    return _SignUp(details, pledges, manager["manager_name"], password)


def sign_charter(
    session: Session,
    *,
    raw: Mapping[str, Any],
    settings: Settings,
    now: datetime,
    spend: Callable[[], None] = lambda: None,
    postcode_point: PostcodePoint | None = None,
) -> SignUpResult:
    """A venue signs the charter: creates the venue manager's account (unconfirmed, with a
    confirmation mail in the outbox) and the venue with its 7 pledges. A licence number that is
    already registered holds the sign-up as a duplicate flag instead (never merged); the same name
    within 50 m creates the venue and flags both. ``spend`` is called once the form is valid,
    before anything is created: the caller's rate limit. ``postcode_point`` looks up the typed
    postcode's point: without a pin the venue is placed there (approximate), an unknown postcode is
    then a field error, and a pin more than PIN_POSTCODE_FLAG_M from it is flagged to officers."""
    today = london_today(now)
    form = _checked_sign_up(session, raw, settings=settings, today=today, postcode_point=postcode_point)
    details = form.details
    spend()  # the caller's limit on sign-ups (raises RateLimited): counted once the form is valid
    key = licence_key(details.licence_number) if details.licence_number else None
    base = settings.base_url.rstrip("/")

    account = auth_repo.get_user_by_email(session, details.contact_email)
    if account is not None:
        _tell_account_owner(session, account, password=form.password, base=base, today=today, now=now)
        return SignUpResult(email=details.contact_email, held=bool(key and repo.venue_by_licence(session, key)))

    user = auth_service.create_user(
        session,
        email=details.contact_email,
        display_name=form.manager_name,
        role=Role.venue_manager,
        password=form.password,
    )
    token = auth_service.create_email_token(session, user=user, purpose="confirm_email", now=now)
    # No text the submitter wrote goes to an address nobody has confirmed yet (no names): a
    # sign-up cannot be used to send council mail with someone else's words to anyone.
    link = f"{base}/confirm-email?token={token}"
    subject, body = messages.CONFIRM_EMAIL.render(link=link)
    outbox.enqueue(
        session,
        to=user.email,
        subject=subject,
        body=body,
        dedupe_key=f"venue-signup-confirm:{user.id}",
        now=now,
        secret=link,
    )

    existing, venue = _register(session, form, key=key, user=user, now=now)
    result = SignUpResult(email=user.email, held=venue is None, user=user, venue=venue, confirm_token=token)
    if venue is None:
        assert existing is not None
        result.duplicates.append(_hold(session, raw, form.pledges, existing=existing, user=user, now=now))
        return result
    result.duplicates.extend(_flag_nearby(session, venue, details, user=user, now=now))
    audit.record(
        session,
        actor=user,
        action="venue.sign_up",
        target_type="venue",
        target_id=venue.id,
        detail={"duplicates": [d.id for d in result.duplicates]},
        at=now,
    )
    return result


def _tell_account_owner(
    session: Session, account: User, *, password: str, base: str, today: date, now: datetime
) -> None:
    """The same answer as a new sign-up, at the same cost (one argon2 hash), and a mail to the
    address's owner with no text the submitter wrote. Nothing is stored."""
    auth_service.check_password_strength(password)
    auth_service.hash_password(password)
    subject, body = messages.ALREADY_REGISTERED.render(link=f"{base}/login?next=/venue-portal")
    outbox.enqueue(
        session,
        to=account.email,
        subject=subject,
        body=body,
        dedupe_key=f"venue-signup-existing:{account.id}:{today.isoformat()}",  # one a day at most
        now=now,
    )


def _register(
    session: Session, form: _SignUp, *, key: str | None, user: User, now: datetime
) -> tuple[Venue | None, Venue | None]:
    """(the venue already registered with the licence number, the new venue): one of them is None."""
    existing = repo.venue_by_licence(session, key, lock=True) if key else None
    if existing is not None:
        return existing, None
    venue = new_venue(form.details, form.pledges, user=user, now=now)
    try:
        with session.begin_nested():
            session.add(venue)
            session.flush()
            assign_ward(session, venue)
    except sa.exc.IntegrityError:
        # A concurrent sign-up registered the same licence first (PostgreSQL waits on the unique
        # index, then fails here); hold this one for an officer.
        existing = repo.venue_by_licence(session, key) if key else None
        if existing is None:
            raise
        return existing, None
    return None, venue


def _hold(
    session: Session,
    raw: Mapping[str, Any],
    pledges: list[CleanPledge],
    *,
    existing: Venue,
    user: User,
    now: datetime,
) -> VenueDuplicate:
    """The sign-up kept as a duplicate flag on the venue already registered with its licence."""
    submission = {k: raw.get(k) for k in SUBMISSION_KEYS}
    submission["pledges"] = [
        {
            "number": p.number,
            "met": p.met,
            "how_met": p.how_met,
            "target_date": p.target_date.isoformat() if p.target_date else None,
        }
        for p in pledges
    ]
    dup = VenueDuplicate(
        venue_id=existing.id,
        reason="licence_number",
        submission=submission,
        submitted_by_user_id=user.id,
        created_at=now,
    )
    session.add(dup)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="venue.sign_up_held",
        target_type="venue",
        target_id=existing.id,
        detail={"duplicate_id": dup.id, "reason": "licence_number"},
        at=now,
    )
    return dup


def _flag_nearby(
    session: Session, venue: Venue, details: CleanDetails, *, user: User, now: datetime
) -> list[VenueDuplicate]:
    flagged = []
    for other in _same_name_nearby(session, venue, details.lon, details.lat):
        dup = VenueDuplicate(
            venue_id=other.id,
            duplicate_venue_id=venue.id,
            reason="name_nearby",
            submitted_by_user_id=user.id,
            created_at=now,
        )
        session.add(dup)
        flagged.append(dup)
    session.flush()
    return flagged


def new_venue(d: CleanDetails, pledges: list[CleanPledge], *, user: User | None, now: datetime) -> Venue:
    venue = Venue(
        name=d.name,
        name_key=name_key(d.name),
        venue_type=d.venue_type,
        address=d.address,
        postcode=d.postcode,
        licence_number=d.licence_number,
        licence_key=licence_key(d.licence_number) if d.licence_number else None,
        geom=to_db(Point(d.lon, d.lat)),
        ward_code=d.ward_code,
        borough_code=d.borough_code,
        contact_email=d.contact_email,
        contact_phone=d.contact_phone,
        champion_name=d.champion_name,
        champion_role=d.champion_role,
        ask_for_angela=d.ask_for_angela,
        location_approximate=d.location_approximate,
        pin_postcode_distance_m=d.pin_postcode_distance_m,
        status="submitted",
        manager_user_id=user.id if user else None,
        submitted_at=now,
        created_at=now,
        updated_at=now,
    )
    venue.pledges = [
        VenuePledge(number=p.number, met=p.met, how_met=p.how_met, target_date=p.target_date, reviewed_at=now)
        for p in pledges
    ]
    return venue


def _same_name_nearby(session: Session, venue: Venue, lon: float, lat: float) -> list[Venue]:
    dlat = DUPLICATE_RADIUS_M / 111_000 * 1.5
    dlon = dlat / 0.62  # cos(51.5 degrees)
    candidates = repo.venues_in_bbox(
        session,
        name_key=venue.name_key,
        minx=lon - dlon,
        miny=lat - dlat,
        maxx=lon + dlon,
        maxy=lat + dlat,
        exclude_id=venue.id,
    )
    points = repo.venue_points(session, [c.id for c in candidates])
    return [c for c in candidates if distance_m(lon, lat, *points[c.id]) <= DUPLICATE_RADIUS_M]
