"""The charter register's rules: sign-up (with duplicate detection), the venue portal, officer
verification (a state machine), flags, exports, the public directory and its cached GeoJSON.

Never commits (the caller owns the transaction); validates everything before the first write."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from shapely.geometry import Point
from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth import repository as auth_repo
from nte.auth import service as auth_service
from nte.auth.models import Role, User
from nte.config import Settings, get_settings
from nte.errors import Invalid, NTEError, TooLarge, UnsupportedMediaType
from nte.exports import neutralise
from nte.i18n import N_, Formatted
from nte.london import london_today
from nte.notifications import service as outbox
from nte.postcodes import normalise_postcode
from nte.spatial import distance_m, from_db, to_db
from nte.venues import repository as repo
from nte.venues.config import VenueSettings, get_venue_settings
from nte.venues.exceptions import (
    AlreadyRenewed,
    NotYourAction,
    NotYourVenue,
    RenewalNotOpen,
    ResubmitRefused,
    TransitionRefused,
    VenueInvalid,
    VenueNotFound,
    long_date,
)
from nte.venues.models import (
    SCHEMES,
    SPOT_CHECK_OUTCOMES,
    TRAINING_TYPES,
    VENUE_STATUSES,
    VENUE_TYPES,
    WARD_SUBJECT,
    Venue,
    VenueAccreditation,
    VenueAction,
    VenueDuplicate,
    VenueEvidence,
    VenuePledge,
    VenueRenewal,
    VenueSpotCheck,
    VenueTraining,
)
from nte.wards import service as wards_service
from nte.wards.exceptions import InvalidCoordinates, NoWardSet

#: The Mayor of London's Women's Night Safety Charter, as signatories list the pledges.
PLEDGES = (
    "Nominate a champion who actively promotes women's night safety.",
    "Show staff and customers that the organisation takes women's safety at night seriously, "
    "for example through a communications campaign.",
    "Remind customers and staff what to do if they experience harassment when working, going out or travelling.",
    "Encourage reporting by victims and bystanders.",
    "Train staff so that all women who report are believed.",
    "Train staff so that all reports are recorded and responded to.",
    "Design public spaces and workplaces to make them safer for women at night.",
)
VENUE_TYPE_LABELS = {
    "pub": "Pub",
    "bar": "Bar",
    "nightclub": "Nightclub",
    "late_night_food": "Late-night food",
    "hotel": "Hotel",
    "theatre": "Theatre or venue",
    "other": "Other",
}
TRAINING_TYPE_LABELS = {"wave": "WAVE", "ask_for_angela": "Ask for Angela", "bystander": "Bystander", "other": "Other"}
SCHEME_LABELS = {
    "night_haven": "Night Haven (Westminster)",
    "safety_thirst": "Safety Thirst (City of London)",
    "hackney_nights": "Hackney Nights",
    "best_bar_none": "Best Bar None",
    "other": "Other scheme",
}
STATUS_LABELS = {
    "submitted": "Submitted",
    "changes_requested": "Changes requested",
    "verified": "Verified",
    "rejected": "Rejected",
    "lapsed": "Lapsed",
    "withdrawn": "Withdrawn",
}
OUTCOME_LABELS = {"pass": "Pass", "advice": "Pass with advice", "fail": "Fail"}
FLAG_LABELS = {
    "pledge_overdue": "A pledge is not yet met and its target date has passed",
    "angela_untrained": (
        "Ask for Angela posters, but too few staff trained (WAVE or Ask for Angela) in the last 12 months"
    ),
    "accreditation_expiring": "An accreditation expires within 30 days",
    "possible_duplicate": "Possible duplicate of another sign-up",
    "staff_count_missing": "Ask for Angela posters, but the number of staff is not stated",
    "spot_check_action": "A failed spot check has an action open",
}

#: Who moves a venue: a community safety officer (or admin), the venue's own manager, or a
#: scheduled job (no person).
OFFICER, MANAGER, JOB = "officer", "manager", "job"
ACTORS = (OFFICER, MANAGER, JOB)


@dataclass(frozen=True)
class Move:
    """One row of the state machine: from ``status``, ``action`` moves the venue to ``target``, done
    by any of ``actors``. Every path (the officer's pages and API, the manager's portal, the jobs)
    goes through ``change_status``, which allows exactly these rows."""

    status: str
    action: str
    target: str
    actors: tuple[str, ...]


#: The state machine. Anything not here is refused: 409 when nobody may do it from that status,
#: 403 when someone else may. Only officers grant "verified" (a manager renews a verified venue
#: within its window, once per cycle; a lapsed or withdrawn venue's manager asks to renew, which
#: puts the venue back in the officer queue as "submitted"). "rejected" can be reopened by an
#: officer asking for changes.
STATE_TABLE: tuple[Move, ...] = (
    Move("submitted", "verify", "verified", (OFFICER,)),
    Move("submitted", "request_changes", "changes_requested", (OFFICER,)),
    Move("submitted", "reject", "rejected", (OFFICER,)),
    Move("changes_requested", "resubmit", "submitted", (MANAGER,)),
    Move("changes_requested", "reject", "rejected", (OFFICER,)),
    Move("verified", "lapse", "lapsed", (OFFICER, JOB)),
    Move("verified", "withdraw", "withdrawn", (OFFICER,)),
    Move("verified", "renew", "verified", (OFFICER, MANAGER)),
    Move("lapsed", "renew", "verified", (OFFICER,)),
    Move("lapsed", "request_renewal", "submitted", (MANAGER,)),
    Move("withdrawn", "request_renewal", "submitted", (MANAGER,)),
    Move("rejected", "request_changes", "changes_requested", (OFFICER,)),
)
MOVES: dict[tuple[str, str], Move] = {(m.status, m.action): m for m in STATE_TABLE}
#: status -> {action: new status}, whoever does it (the officer page's choices are filtered by role).
TRANSITIONS: dict[str, dict[str, str]] = {
    status: {m.action: m.target for m in STATE_TABLE if m.status == status} for status in VENUE_STATUSES
}
ACTIONS = ("verify", "request_changes", "reject", "lapse", "withdraw", "renew", "resubmit", "request_renewal")
#: What an officer may do (the manager resubmits, renews and asks to renew from the portal).
OFFICER_ACTIONS = tuple(a for a in ACTIONS if any(m.action == a and OFFICER in m.actors for m in STATE_TABLE))
#: Where each action leads (for refusals), whatever the status it starts from.
ACTION_TARGETS = {m.action: m.target for m in STATE_TABLE}
ACTION_LABELS = {
    "verify": "Verify",
    "request_changes": "Request changes",
    "reject": "Reject (final)",
    "lapse": "Lapse",
    "withdraw": "Withdraw",
    "renew": "Renew",
    "resubmit": "Resubmit for checking",
    "request_renewal": "Asked to renew",
}
#: Actions that need the officer's words, and what to say when they are missing.
REASON_REQUIRED = {
    "request_changes": "Say what the venue manager should change (they will see your words).",
    "reject": "Give a reason for rejecting the sign-up (the venue manager will see it).",
}
REASON_MAX = 2000
NOTE_MAX = 500
#: Audit actions that change a venue's status: the history shown to officers and managers.
STATUS_EVENTS = tuple(f"venue.{a}" for a in ACTIONS) + ("venue.sign_up",)
DUPLICATE_RADIUS_M = 50.0
#: A sign-up's pin further than this from its postcode's point is flagged to officers.
PIN_POSTCODE_FLAG_M = 300.0
#: What the sign-up says when the typed longitude or latitude cannot be read (instead of "lon must
#: be a number"), or when no ward boundaries are loaded yet.
LON_UNREADABLE = N_("The longitude must be a number from -180 to 180, like -0.1276.")
LAT_UNREADABLE = N_("The latitude must be a number from -90 to 90, like 51.5072.")
NO_WARDS_YET = N_("Venues cannot be placed on the map yet. Please try again later.")
REMINDER_DAYS = (60, 30, 7)
ANGELA_TRAINING = ("wave", "ask_for_angela")

PHONE_STRIP_RE = re.compile(r"[\s().-]")
LICENCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/ .-]{2,39}$")
UPLOAD_TYPES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)


def add_year(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def touch(venue: Venue, now: datetime) -> None:
    """Every change to a venue (or anything shown with it) bumps ``updated_at``: the public cache key."""
    venue.updated_at = now


def _saved(
    session: Session,
    venue: Venue,
    *,
    actor: User | None,
    action: str,
    now: datetime,
    detail: Callable[[], dict[str, Any]],
) -> None:
    """Finish a change to a venue: touch it, write it, and audit it. ``detail`` is built after the
    write, so it can name the ids of rows the change added."""
    touch(venue, now)
    session.flush()
    audit.record(session, actor=actor, action=action, target_type="venue", target_id=venue.id, detail=detail(), at=now)


# --- validation ------------------------------------------------------------------------------------


def normalise_phone(value: str) -> str | None:
    """UK numbers: 0xxxxxxxxxx (10-11 digits) or +44 / 0044 followed by 9-10 digits; stored as +44..."""
    compact = PHONE_STRIP_RE.sub("", value or "")
    if compact.startswith("0044"):
        compact = "+44" + compact[4:]
    if compact.startswith("+44"):
        rest = compact[3:]
        if rest.startswith("0"):
            rest = rest[1:]  # +44 (0)20 ...
    elif compact.startswith("0"):
        rest = compact[1:]
    else:
        return None
    if not rest.isdigit() or not 9 <= len(rest) <= 10 or rest[0] not in "123578":
        return None
    return "+44" + rest


def licence_key(value: str) -> str:
    return re.sub(r"[\s./-]", "", value.upper())


def name_key(value: str) -> str:
    return " ".join(value.lower().split())


class _Errors(dict[str, str]):
    """Field -> message. Messages are whole sentences marked with ``N_`` (pages translate them with
    ``_(message)``); those with values are ``Formatted``, translated first and formatted after."""

    def text(
        self,
        raw: Mapping[str, Any],
        name: str,
        *,
        missing: str | None,
        too_long: str,
        max_len: int,
        **values: object,
    ) -> str:
        """The trimmed text of ``name``. Empty: ``missing`` (None: the field is optional); longer than
        ``max_len``: ``too_long``, a template given ``%(n)s`` = max_len and ``values``."""
        value = raw.get(name)
        value = "" if value is None else str(value).strip()
        if missing is not None and not value:
            self[name] = Formatted(missing, **values) if values else missing
        elif len(value) > max_len:
            self[name] = Formatted(too_long, n=max_len, **values)
        return value

    def raise_if_any(self) -> None:
        if self:
            raise VenueInvalid(dict(self))


def _parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _bool(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "on", "yes")


@dataclass
class CleanDetails:
    name: str
    venue_type: str
    address: str
    postcode: str
    licence_number: str | None
    lon: float
    lat: float
    ward_code: str
    borough_code: str
    contact_email: str
    contact_phone: str
    champion_name: str
    champion_role: str
    ask_for_angela: bool
    # The location is the postcode's point, not a pin someone placed (a sign-up without the map).
    location_approximate: bool = False
    # How far the pin is from the postcode's point, when we hold one (flagged above PIN_POSTCODE_FLAG_M).
    pin_postcode_distance_m: float | None = None


#: The point of a full postcode, (lon, lat, approximate), or None when none is held (nte.places).
PostcodePoint = Callable[[str], tuple[float, float, bool] | None]


def _clean_details(
    session: Session,
    raw: Mapping[str, Any],
    *,
    settings: Settings,
    errors: _Errors,
    postcode_point: PostcodePoint | None = None,
) -> CleanDetails | None:
    name = errors.text(
        raw,
        "name",
        missing=N_("Enter the venue's name."),
        too_long=N_("The venue's name must be %(n)s characters or fewer."),
        max_len=200,
    )
    venue_type = str(raw.get("venue_type") or "").strip()
    if venue_type not in VENUE_TYPES:
        errors["venue_type"] = N_("Choose the type of venue.")
    address = errors.text(
        raw,
        "address",
        missing=N_("Enter the venue's address."),
        too_long=N_("The venue's address must be %(n)s characters or fewer."),
        max_len=300,
    )
    postcode_raw = errors.text(
        raw,
        "postcode",
        missing=N_("Enter the postcode."),
        too_long=N_("The postcode must be %(n)s characters or fewer."),
        max_len=10,
    )
    postcode = normalise_postcode(postcode_raw) if postcode_raw else None
    if postcode_raw and "postcode" not in errors and postcode is None:
        errors["postcode"] = N_("Enter a real UK postcode, like SW1A 2AA.")
    licence = (
        errors.text(
            raw,
            "licence_number",
            missing=None,
            too_long=N_("The premises licence number must be %(n)s characters or fewer."),
            max_len=40,
        )
        or None
    )
    if licence and "licence_number" not in errors and not LICENCE_RE.match(licence):
        errors["licence_number"] = N_("A premises licence number has letters, digits, '/', '-' or spaces only.")
    email_raw = errors.text(
        raw,
        "contact_email",
        missing=N_("Enter a contact e-mail address."),
        too_long=N_("A contact e-mail address must be %(n)s characters or fewer."),
        max_len=254,
    )
    email = ""
    if email_raw and "contact_email" not in errors:
        try:
            email = auth_service.normalise_email(email_raw, field="contact_email")
        except Invalid as exc:
            errors["contact_email"] = exc.detail
    phone_raw = errors.text(
        raw,
        "contact_phone",
        missing=N_("Enter a contact phone number."),
        too_long=N_("A contact phone number must be %(n)s characters or fewer."),
        max_len=25,
    )
    phone = normalise_phone(phone_raw) if phone_raw else None
    if phone_raw and "contact_phone" not in errors and phone is None:
        errors["contact_phone"] = N_("Enter a UK phone number, like 020 7946 0000 or +44 7700 900123.")
    champion_name = errors.text(
        raw,
        "champion_name",
        missing=N_("Enter the champion's name."),
        too_long=N_("The champion's name must be %(n)s characters or fewer."),
        max_len=120,
    )
    champion_role = errors.text(
        raw,
        "champion_role",
        missing=N_("Enter the champion's role."),
        too_long=N_("The champion's role must be %(n)s characters or fewer."),
        max_len=120,
    )
    lon = lat = None
    ward = None
    lon_raw, lat_raw = raw.get("lon"), raw.get("lat")
    known = postcode_point(postcode) if postcode_point is not None and postcode else None
    approximate = _bool(raw.get("location_approximate"))
    if (lon_raw in (None, "") or lat_raw in (None, "")) and known is not None:
        # No pin (no map, no script): the postcode's point stands in, marked approximate.
        lon_raw, lat_raw, approximate = known[0], known[1], True
    if lon_raw in (None, "") or lat_raw in (None, ""):
        if postcode_point is not None and postcode and "postcode" not in errors:
            errors["postcode"] = N_(
                "We could not find this postcode. Check it, or place a pin on the map where the venue is."
            )
        else:
            errors["location"] = N_("Place a pin on the map where the venue is (or type its longitude and latitude).")
    else:
        try:
            ward = wards_service.locate(session, lon=lon_raw, lat=lat_raw, settings=settings)
            lon, lat = float(lon_raw), float(lat_raw)
        except InvalidCoordinates as exc:  # the typed longitude or latitude, in words the page translates
            field_name = "lat" if exc.field == "lat" else "lon"
            errors[field_name] = LAT_UNREADABLE if field_name == "lat" else LON_UNREADABLE
        except NoWardSet:
            errors["location"] = NO_WARDS_YET
        except NTEError as exc:
            errors["location" if exc.field == "location" else exc.field or "location"] = exc.detail
    if errors or ward is None or postcode is None or phone is None or lon is None or lat is None:
        return None
    return CleanDetails(
        name=name,
        venue_type=venue_type,
        address=address,
        postcode=postcode,
        licence_number=licence,
        lon=lon,
        lat=lat,
        ward_code=ward.code,
        borough_code=ward.borough_code,
        contact_email=email,
        contact_phone=phone,
        champion_name=champion_name,
        champion_role=champion_role,
        ask_for_angela=_bool(raw.get("ask_for_angela")),
        location_approximate=approximate,
        pin_postcode_distance_m=round(distance_m(lon, lat, known[0], known[1]), 1) if known is not None else None,
    )


@dataclass
class CleanPledge:
    number: int
    met: bool
    how_met: str | None
    target_date: date | None


def _clean_pledges(
    raw: Mapping[str, Any], *, today: date, errors: _Errors, existing: Mapping[int, VenuePledge] | None = None
) -> list[CleanPledge]:
    out = []
    for number in range(1, len(PLEDGES) + 1):
        status = str(raw.get(f"pledge_{number}_status") or "").strip()
        how = errors.text(
            raw,
            f"pledge_{number}_how",
            missing=None,
            too_long=N_("How you meet pledge %(number)s must be %(n)s characters or fewer."),
            max_len=500,
            number=number,
        )
        target_raw = str(raw.get(f"pledge_{number}_target") or "").strip()
        if status not in ("met", "not_yet"):
            errors[f"pledge_{number}_status"] = Formatted(
                N_("Pledge %(number)s: say how you meet it, or choose 'not yet'."), number=number
            )
            continue
        if status == "met":
            if not how and f"pledge_{number}_how" not in errors:
                errors[f"pledge_{number}_how"] = Formatted(
                    N_("Pledge %(number)s: say briefly how the venue meets it."), number=number
                )
            out.append(CleanPledge(number, True, how or None, None))
            continue
        target = _parse_date(target_raw) if target_raw else None
        old = existing.get(number) if existing else None
        problem = None
        if not target_raw:
            problem = N_("Pledge %(number)s: give the date by which you will meet it.")
        elif target is None:
            problem = N_("Pledge %(number)s: the target date must be a date like 2027-03-31.")
        elif target < today and not (old and old.target_date == target):
            problem = N_("Pledge %(number)s: the target date must be today or later.")
        elif target > today + timedelta(days=2 * 366):
            problem = N_("Pledge %(number)s: the target date must be within two years.")
        if problem is not None:
            errors[f"pledge_{number}_target"] = Formatted(problem, number=number)
        out.append(CleanPledge(number, False, how or None, target))
    return out


# --- sign-up ---------------------------------------------------------------------------------------


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


CONFIRM_MAIL = (
    "Hello,\n\nSomeone signed a venue up to the Women's Night Safety Charter on NTE Safe with this e-mail "
    "address. If it was you, please confirm the address (the link works for 72 hours):\n\n{link}\n\n"
    "Then a community safety officer will check the sign-up. If it was not you, ignore this e-mail: "
    "the account cannot be used until the address is confirmed.\n"
)
ALREADY_REGISTERED_MAIL = (
    "Hello,\n\nSomeone tried to sign a venue up to the Women's Night Safety Charter on NTE Safe with this "
    "e-mail address, which already has an account. Nothing was created and your account is unchanged.\n\n"
    "If it was you, sign in to your venue portal instead:\n\n{link}\n\nIf it was not you, ignore this e-mail.\n"
)


CHANGES_REQUESTED_MAIL = (
    "Hello,\n\nA community safety officer has checked the Women's Night Safety Charter sign-up for {venue} "
    "and asks you to change some things before it can be verified:\n\n{reasons}\n\n"
    'Sign in to your venue portal, make the changes and press "Resubmit for checking":\n\n{link}\n\n'
    "The officer will then check the sign-up again.\n"
)


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
    errors = _Errors()
    details = _clean_details(session, raw, settings=settings, errors=errors, postcode_point=postcode_point)
    pledges = _clean_pledges(raw, today=today, errors=errors)
    manager_name = errors.text(
        raw,
        "manager_name",
        missing=N_("Enter your name."),
        too_long=N_("Your name must be %(n)s characters or fewer."),
        max_len=120,
    )
    password = str(raw.get("password") or "")
    try:
        auth_service.check_password_strength(password, field="password")
    except NTEError as exc:
        errors["password"] = exc.detail
    if "password_confirm" in raw and "password" not in errors and raw.get("password_confirm") != password:
        errors["password_confirm"] = N_("The two passwords do not match.")
    errors.raise_if_any()
    assert details is not None
    spend()  # the caller's limit on sign-ups (raises RateLimited): counted once the form is valid
    key = licence_key(details.licence_number) if details.licence_number else None
    base = settings.base_url.rstrip("/")

    account = auth_repo.get_user_by_email(session, details.contact_email)
    if account is not None:
        # The same answer as a new sign-up, at the same cost (one argon2 hash), and a mail to the
        # address's owner with no text the submitter wrote. Nothing is stored.
        auth_service.check_password_strength(password)
        auth_service.hash_password(password)
        outbox.enqueue(
            session,
            to=account.email,
            subject="Someone tried to sign up to NTE Safe with your e-mail address",
            body=ALREADY_REGISTERED_MAIL.format(link=f"{base}/login?next=/venue-portal"),
            dedupe_key=f"venue-signup-existing:{account.id}:{today.isoformat()}",  # one a day at most
            now=now,
        )
        return SignUpResult(email=details.contact_email, held=bool(key and repo.venue_by_licence(session, key)))

    user = auth_service.create_user(
        session, email=details.contact_email, display_name=manager_name, role=Role.venue_manager, password=password
    )
    token = auth_service.create_email_token(session, user=user, purpose="confirm_email", now=now)
    # No text the submitter wrote goes to an address nobody has confirmed yet (no names): a
    # sign-up cannot be used to send council mail with someone else's words to anyone.
    outbox.enqueue(
        session,
        to=user.email,
        subject="Confirm your e-mail address for NTE Safe",
        body=CONFIRM_MAIL.format(link=f"{base}/confirm-email?token={token}"),
        dedupe_key=f"venue-signup-confirm:{user.id}",
        now=now,
        secret=f"{base}/confirm-email?token={token}",
    )

    existing = repo.venue_by_licence(session, key, lock=True) if key else None
    venue: Venue | None = None
    if existing is None:
        venue = _new_venue(details, pledges, user=user, now=now)
        try:
            with session.begin_nested():
                session.add(venue)
                session.flush()
                _assign_ward(session, venue)
        except sa.exc.IntegrityError:
            # A concurrent sign-up registered the same licence first (PostgreSQL waits on the unique
            # index, then fails here); hold this one for an officer.
            venue = None
            existing = repo.venue_by_licence(session, key) if key else None
            if existing is None:
                raise
    result = SignUpResult(email=user.email, held=venue is None, user=user, venue=venue, confirm_token=token)
    if venue is None:
        assert existing is not None
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
        result.duplicates.append(dup)
        audit.record(
            session,
            actor=user,
            action="venue.sign_up_held",
            target_type="venue",
            target_id=existing.id,
            detail={"duplicate_id": dup.id, "reason": "licence_number"},
            at=now,
        )
        return result
    for other in _same_name_nearby(session, venue, details.lon, details.lat):
        dup = VenueDuplicate(
            venue_id=other.id,
            duplicate_venue_id=venue.id,
            reason="name_nearby",
            submitted_by_user_id=user.id,
            created_at=now,
        )
        session.add(dup)
        result.duplicates.append(dup)
    session.flush()
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


def _assign_ward(session: Session, venue: Venue) -> None:
    """The venue's ward in every vintage, from its pin."""
    point = from_db(venue.geom)
    assert point is not None  # venue.geom is NOT NULL
    wards_service.assign_record(session, subject=WARD_SUBJECT, subject_id=venue.id, lon=point.x, lat=point.y)


def _new_venue(d: CleanDetails, pledges: list[CleanPledge], *, user: User | None, now: datetime) -> Venue:
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


# --- the venue portal ------------------------------------------------------------------------------


def venue_for(session: Session, *, user: User, venue_id: int) -> Venue:
    """The venue, if ``user`` may see it: its manager, or an officer/admin. Others get 404 (not 403:
    the existence of a venue id is nobody else's business)."""
    venue = repo.get_venue(session, venue_id)
    if venue is None:
        raise VenueNotFound()
    if user.role in (Role.officer, Role.admin) or venue.manager_user_id == user.id:
        return venue
    raise VenueNotFound()


def my_venues(session: Session, *, user: User) -> list[Venue]:
    return repo.venues_managed_by(session, user.id)


def my_held_sign_ups(session: Session, *, user: User) -> list[VenueDuplicate]:
    return repo.held_duplicates_by(session, user.id)


def update_details(
    session: Session, *, user: User, venue_id: int, raw: Mapping[str, Any], settings: Settings, now: datetime
) -> Venue:
    venue = venue_for(session, user=user, venue_id=venue_id)
    errors = _Errors()
    d = _clean_details(session, raw, settings=settings, errors=errors)
    if d and d.licence_number:
        other = repo.venue_by_licence(session, licence_key(d.licence_number))
        if other is not None and other.id != venue.id:
            errors["licence_number"] = "Another venue is registered with this licence number; an officer can help."
    errors.raise_if_any()
    assert d is not None
    before = {"name": venue.name, "address": venue.address, "postcode": venue.postcode}
    venue.name, venue.name_key, venue.venue_type = d.name, name_key(d.name), d.venue_type
    venue.address, venue.postcode = d.address, d.postcode
    venue.licence_number = d.licence_number
    venue.licence_key = licence_key(d.licence_number) if d.licence_number else None
    venue.geom = to_db(Point(d.lon, d.lat))
    venue.ward_code, venue.borough_code = d.ward_code, d.borough_code
    _assign_ward(session, venue)
    venue.contact_email, venue.contact_phone = d.contact_email, d.contact_phone
    venue.champion_name, venue.champion_role, venue.ask_for_angela = d.champion_name, d.champion_role, d.ask_for_angela
    _saved(session, venue, actor=user, action="venue.update_details", now=now, detail=lambda: {"before": before})
    return venue


def update_pledges(session: Session, *, user: User, venue_id: int, raw: Mapping[str, Any], now: datetime) -> Venue:
    venue = venue_for(session, user=user, venue_id=venue_id)
    errors = _Errors()
    existing = {p.number: p for p in venue.pledges}
    pledges = _clean_pledges(raw, today=london_today(now), errors=errors, existing=existing)
    errors.raise_if_any()
    for p in pledges:
        row = existing.get(p.number)
        if row is None:
            row = VenuePledge(number=p.number)
            venue.pledges.append(row)
        row.met, row.how_met, row.target_date, row.reviewed_at = p.met, p.how_met, p.target_date, now
    _saved(
        session,
        venue,
        actor=user,
        action="venue.update_pledges",
        now=now,
        detail=lambda: {"met": sum(p.met for p in pledges)},
    )
    return venue


def _positive_int(raw: Mapping[str, Any], name: str, label: str, errors: _Errors, *, high: int) -> int | None:
    try:
        value = int(str(raw.get(name) or "").strip())
    except ValueError:
        errors[name] = f"Enter {label} as a whole number."
        return None
    if not 1 <= value <= high:
        errors[name] = f"{label[0].upper()}{label[1:]} must be between 1 and {high}."
        return None
    return value


def add_training(
    session: Session, *, user: User, venue_id: int, raw: Mapping[str, Any], now: datetime
) -> VenueTraining:
    venue = venue_for(session, user=user, venue_id=venue_id)
    errors = _Errors()
    kind = str(raw.get("training_type") or "")
    if kind not in TRAINING_TYPES:
        errors["training_type"] = "Choose the type of training."
    provider = errors.text(
        raw,
        "provider",
        missing="Enter who gave the training.",
        too_long="Who gave the training must be %(n)s characters or fewer.",
        max_len=120,
    )
    when = _parse_date(raw.get("training_date") or "")
    if when is None:
        errors["training_date"] = "Enter the date of the training, like 2026-03-31."
    elif when > london_today(now):
        errors["training_date"] = "The training date cannot be in the future."
    elif when < london_today(now) - timedelta(days=10 * 366):
        errors["training_date"] = "The training date is more than ten years ago."
    staff = _positive_int(raw, "staff_trained", "the number of staff trained", errors, high=10_000)
    errors.raise_if_any()
    assert when is not None and staff is not None
    row = VenueTraining(
        venue_id=venue.id,
        training_type=kind,
        provider=provider,
        training_date=when,
        staff_trained=staff,
        created_at=now,
    )
    session.add(row)
    _saved(
        session,
        venue,
        actor=user,
        action="venue.add_training",
        now=now,
        detail=lambda: {"training_id": row.id, "type": kind},
    )
    return row


STAFF_COUNT_WRONG = N_("Enter the number of people who work at the venue, a whole number from 1 to 10000.")


def update_staff_count(session: Session, *, user: User, venue_id: int, raw: Mapping[str, Any], now: datetime) -> Venue:
    """The venue's stated staff count: trained staff are counted against it."""
    venue = venue_for(session, user=user, venue_id=venue_id)
    try:
        count = int(str(raw.get("staff_count") or "").strip())
    except ValueError:
        raise VenueInvalid({"staff_count": STAFF_COUNT_WRONG}) from None
    if not 1 <= count <= 10_000:
        raise VenueInvalid({"staff_count": STAFF_COUNT_WRONG})
    before = venue.staff_count
    venue.staff_count = count
    _saved(
        session,
        venue,
        actor=user,
        action="venue.update_staff_count",
        now=now,
        detail=lambda: {"before": before, "after": count},
    )
    return venue


def add_accreditation(
    session: Session, *, user: User, venue_id: int, raw: Mapping[str, Any], now: datetime
) -> VenueAccreditation:
    venue = venue_for(session, user=user, venue_id=venue_id)
    errors = _Errors()
    scheme = str(raw.get("scheme") or "")
    if scheme not in SCHEMES:
        errors["scheme"] = "Choose the accreditation scheme."
    level = (
        errors.text(raw, "level", missing=None, too_long="The level must be %(n)s characters or fewer.", max_len=60)
        or None
    )
    start = _parse_date(raw.get("valid_from_date") or "")
    end = _parse_date(raw.get("valid_to_date") or "")
    if start is None:
        errors["valid_from_date"] = "Enter the date the accreditation starts, like 2026-04-01."
    if end is None:
        errors["valid_to_date"] = "Enter the date the accreditation ends, like 2027-03-31."
    if start and end and end < start:
        errors["valid_to_date"] = "The end date must be on or after the start date."
    if start and end and end > start + timedelta(days=5 * 366):
        errors["valid_to_date"] = "An accreditation lasts five years at most."
    errors.raise_if_any()
    assert start is not None and end is not None
    row = VenueAccreditation(
        venue_id=venue.id, scheme=scheme, level=level, valid_from_date=start, valid_to_date=end, created_at=now
    )
    session.add(row)
    _saved(
        session,
        venue,
        actor=user,
        action="venue.add_accreditation",
        now=now,
        detail=lambda: {"accreditation_id": row.id, "scheme": scheme},
    )
    return row


def sniff(data: bytes) -> tuple[str, str] | None:
    for magic, content_type, ext in UPLOAD_TYPES:
        if data.startswith(magic):
            return content_type, ext
    return None


def upload_root(settings: Settings) -> Path:
    return Path(settings.upload_dir) / "venues"


def add_evidence(
    session: Session,
    *,
    user: User,
    venue_id: int,
    filename: str,
    data: bytes,
    settings: Settings,
    now: datetime,
    training_id: int | None = None,
    accreditation_id: int | None = None,
) -> VenueEvidence:
    """Store an evidence file (PDF, PNG or JPEG, recognised by its first bytes, not its name) under
    the upload directory with a random name."""
    venue = venue_for(session, user=user, venue_id=venue_id)
    if not data:
        raise Invalid("Choose a file to upload.", field="file")
    if len(data) > settings.max_upload_bytes:
        raise TooLarge(f"The file is larger than {settings.max_upload_bytes // 1_000_000} MB.", field="file")
    sniffed = sniff(data)
    if sniffed is None:
        raise UnsupportedMediaType("Upload a PDF, PNG or JPEG file.", field="file")
    if training_id is not None:
        t = repo.get_training(session, training_id)
        if t is None or t.venue_id != venue.id:
            raise Invalid("Choose one of this venue's training events.", field="training_id")
    if accreditation_id is not None:
        a = repo.get_accreditation(session, accreditation_id)
        if a is None or a.venue_id != venue.id:
            raise Invalid("Choose one of this venue's accreditations.", field="accreditation_id")
    content_type, ext = sniffed
    stored = secrets.token_hex(16) + ext
    original = re.sub(r"[^A-Za-z0-9._ -]", "_", Path(filename or "evidence").name)[:200] or "evidence"
    root = upload_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    row = VenueEvidence(
        venue_id=venue.id,
        training_id=training_id,
        accreditation_id=accreditation_id,
        stored_name=stored,
        original_name=original,
        content_type=content_type,
        size_bytes=len(data),
        uploaded_by_user_id=user.id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    (root / stored).write_bytes(data)
    audit.record(
        session,
        actor=user,
        action="venue.add_evidence",
        target_type="venue",
        target_id=venue.id,
        detail={"evidence_id": row.id, "content_type": content_type, "bytes": len(data)},
        at=now,
    )
    return row


def evidence_file(session: Session, *, user: User, evidence_id: int, settings: Settings) -> tuple[VenueEvidence, Path]:
    row = repo.get_evidence(session, evidence_id)
    if row is None:
        raise VenueNotFound(field="evidence_id")
    venue_for(session, user=user, venue_id=row.venue_id)
    path = upload_root(settings) / row.stored_name
    if not path.is_file():
        raise VenueNotFound(field="evidence_id")
    return row, path


def resubmit(session: Session, *, user: User, venue_id: int, note: str | None, now: datetime) -> Venue:
    """The manager has made the changes an officer asked for: the venue goes back to the officer
    queue (submitted). ``note`` (optional) tells the officer what changed; it is kept in the
    history. Refused (409, with the reason) unless changes were requested."""
    venue = venue_for(session, user=user, venue_id=venue_id)
    if venue.manager_user_id != user.id:
        raise NotYourVenue()
    note = (note or "").strip() or None
    if note and len(note) > NOTE_MAX:
        raise Invalid(f"What you changed must be {NOTE_MAX} characters or fewer.", field="note")
    return change_status(session, actor=user, venue=venue, action="resubmit", reason=note, now=now)


@dataclass(frozen=True)
class StatusStep:
    """One step of a venue's history, for its officer and its manager."""

    at: datetime
    action: str  # "sign_up", "request_changes", "resubmit", "verify", ...
    to_status: str | None
    words: str | None  # the officer's reasons, or the manager's note on a resubmission
    by_manager: bool
    actor_label: str


def status_history(session: Session, *, venue: Venue) -> list[StatusStep]:
    """Every status change of ``venue``, oldest first, with the words given at each step."""
    events = audit.list_events(session, target_type="venue", target_id=venue.id, limit=500)  # newest first
    return [
        StatusStep(
            at=e.at,
            action=e.action.removeprefix("venue."),
            to_status=(e.detail or {}).get("to") or ("submitted" if e.action == "venue.sign_up" else None),
            words=(e.detail or {}).get("reason"),
            by_manager=e.actor_user_id is not None and e.actor_user_id == venue.manager_user_id,
            actor_label=e.actor_label,
        )
        for e in reversed(events)
        # Events older than the venue belong to a deleted venue whose id was reused (SQLite reuses
        # the highest id after a delete): the audit log outlives what it describes.
        if e.action in STATUS_EVENTS and e.at >= venue.created_at
    ]


@dataclass(frozen=True)
class Renewal:
    """Where a venue stands with its yearly renewal, for the manager's portal."""

    renewal_date: date | None
    days_left: int | None
    opens_on: date | None
    #: The manager may renew now (a verified venue within its window, not yet renewed this cycle).
    open: bool
    #: Why not, in words the page translates (None when open, or when renewal does not apply).
    refusal: NTEError | None = None
    #: A lapsed or withdrawn venue: the manager may ask to renew (an officer then checks it).
    can_request: bool = False
    window_days: int = 60


def _role(actor: User | None, venue: Venue) -> str:
    if actor is None:
        return JOB
    if actor.role in (Role.officer, Role.admin):
        return OFFICER
    if actor.role == Role.venue_manager and venue.manager_user_id == actor.id:
        return MANAGER
    raise NotYourVenue()


def _renewal_refusal(session: Session, venue: Venue, *, today: date, window_days: int) -> NTEError | None:
    """Why a verified venue cannot be renewed today: too early (the window opens ``window_days``
    before expiry), or already renewed this cycle (the renewal moved the expiry on, so the window
    for the new expiry has not opened). None: it may be renewed."""
    if venue.renewal_date is None:
        return None
    opens_on = venue.renewal_date - timedelta(days=window_days)
    if today >= opens_on:
        return None
    last = repo.last_renewal(session, venue.id, kind="renew")
    if last is not None and last.renewal_date_after == venue.renewal_date:
        return AlreadyRenewed(venue.renewal_date, last.renewed_on, opens_on)
    return RenewalNotOpen(venue.renewal_date, opens_on, window_days)


def renewal(session: Session, venue: Venue, *, now: datetime, venue_settings: VenueSettings | None = None) -> Renewal:
    """Renewal opens ``renewal_window_days`` before the charter expires (when the first reminder goes
    out) and closes once renewed; a lapsed or withdrawn venue may ask an officer to renew it."""
    window = (venue_settings or get_venue_settings()).renewal_window_days
    if venue.status in ("lapsed", "withdrawn"):
        return Renewal(venue.renewal_date, None, None, open=False, can_request=True, window_days=window)
    if venue.status != "verified" or venue.renewal_date is None:
        return Renewal(venue.renewal_date, None, None, open=False, window_days=window)
    today = london_today(now)
    refusal = _renewal_refusal(session, venue, today=today, window_days=window)
    return Renewal(
        venue.renewal_date,
        (venue.renewal_date - today).days,
        venue.renewal_date - timedelta(days=window),
        open=refusal is None,
        refusal=refusal,
        window_days=window,
    )


NEW_STARTERS_MISSING = N_("Say how many people started work at the venue since its last training (0 if none).")
NEW_STARTERS_WRONG = N_("The number of new starters must be a whole number from 0 to 10000.")


def _new_starters(raw: Mapping[str, Any]) -> int:
    text = str(raw.get("new_starters") or "").strip()
    if not text:
        raise VenueInvalid({"new_starters": NEW_STARTERS_MISSING})
    try:
        value = int(text)
    except ValueError:
        raise VenueInvalid({"new_starters": NEW_STARTERS_WRONG}) from None
    if not 0 <= value <= 10_000:
        raise VenueInvalid({"new_starters": NEW_STARTERS_WRONG})
    return value


def renew_by_manager(
    session: Session,
    *,
    user: User,
    venue_id: int,
    raw: Mapping[str, Any],
    now: datetime,
    venue_settings: VenueSettings | None = None,
) -> Venue:
    """The manager's renewal form: a verified venue is renewed (within its window, once per cycle);
    a lapsed or withdrawn one asks to renew and goes back to the officer queue. Either way the form
    asks how many people started since the last training (stored: it feeds the training flag).
    The state machine's refusal comes first, so a manager who is too early is told when to come."""
    venue = venue_for(session, user=user, venue_id=venue_id)
    action = "request_renewal" if venue.status in ("lapsed", "withdrawn") else "renew"
    check_move(session, actor=user, venue=venue, action=action, now=now, venue_settings=venue_settings)
    starters = _new_starters(raw)
    return change_status(
        session,
        actor=user,
        venue=venue,
        action=action,
        reason=None,
        now=now,
        new_starters=starters,
        venue_settings=venue_settings,
    )


# --- officers --------------------------------------------------------------------------------------


def check_move(
    session: Session,
    *,
    actor: User | None,
    venue: Venue,
    action: str,
    now: datetime,
    venue_settings: VenueSettings | None = None,
) -> Move:
    """The state machine's row for this move, or the refusal: 422 for an unknown action, 409 when no
    one may do it from this status (or a renewal out of its window / twice in a cycle), 403 when
    the row exists for someone else."""
    if action not in ACTIONS:
        raise Invalid(f"Choose one of: {', '.join(ACTIONS)}.", field="action")
    role = _role(actor, venue)
    move = MOVES.get((venue.status, action))
    if move is None:
        if action == "resubmit":
            raise ResubmitRefused(venue.status)
        # A renewal request leads back to "submitted"; "submitted -> submitted" would say nothing.
        raise TransitionRefused(venue.status, action, None if action == "request_renewal" else ACTION_TARGETS[action])
    if role not in move.actors:
        raise NotYourAction(venue.status, action, role, move.actors)
    if move.status == "verified" and action == "renew":
        window = (venue_settings or get_venue_settings()).renewal_window_days
        refusal = _renewal_refusal(session, venue, today=london_today(now), window_days=window)
        if refusal is not None:
            raise refusal
    return move


def change_status(
    session: Session,
    *,
    actor: User | None,
    venue: Venue,
    action: str,
    reason: str | None,
    now: datetime,
    new_starters: int | None = None,
    venue_settings: VenueSettings | None = None,
) -> Venue:
    """Move a venue through the state machine (STATE_TABLE); anything else is refused (see
    ``check_move``). ``actor`` None is a scheduled job. Nothing is changed before every rule has
    passed."""
    if action not in ACTIONS:
        raise Invalid(f"Choose one of: {', '.join(ACTIONS)}.", field="action")
    reason = (reason or "").strip() or None
    if reason and len(reason) > REASON_MAX:
        raise Invalid(f"The reason must be {REASON_MAX} characters or fewer.", field="reason")
    if action in REASON_REQUIRED and not reason:
        raise Invalid(REASON_REQUIRED[action], field="reason")
    move = check_move(session, actor=actor, venue=venue, action=action, now=now, venue_settings=venue_settings)
    old = venue.status
    old_date = venue.renewal_date
    today = london_today(now)
    venue.status = move.target
    # A resubmission keeps nothing of the request but its history (the audit trail): the note is
    # the manager's, for the officer, and is not the status's reason.
    venue.status_reason = None if action in ("resubmit", "request_renewal") else reason
    if action == "verify" or (action == "renew" and old != "verified"):
        # An officer grants a fresh cycle from today (a lapsed venue's old date has passed).
        venue.verified_at = now
        venue.renewal_date = add_year(today)
    elif action == "renew":
        # A renewal moves the expiry one cycle on from the current expiry, not from today.
        venue.renewal_date = add_year(venue.renewal_date) if venue.renewal_date else add_year(today)
    if action in ("renew", "request_renewal"):
        session.add(
            VenueRenewal(
                venue_id=venue.id,
                kind="renew" if action == "renew" else "request",
                from_status=old,
                renewal_date_before=old_date,
                renewal_date_after=venue.renewal_date if action == "renew" else None,
                new_starters=new_starters,
                renewed_on=today,
                user_id=actor.id if actor else None,
                created_at=now,
            )
        )
    _saved(
        session,
        venue,
        actor=actor,
        action=f"venue.{action}",
        now=now,
        detail=lambda: {
            "from": old,
            "to": venue.status,
            "reason": reason,
            "renewal_date": venue.renewal_date.isoformat() if venue.renewal_date else None,
            **({"new_starters": new_starters} if new_starters is not None else {}),
        },
    )
    if venue.manager_user_id and action == "request_changes":
        manager = auth_repo.get_user(session, venue.manager_user_id)
        if manager is not None:
            portal = get_settings().base_url.rstrip("/") + f"/venue-portal/{venue.id}"
            outbox.enqueue(
                session,
                to=manager.email,
                subject=f"{venue.name}: please make changes to your charter sign-up",
                body=CHANGES_REQUESTED_MAIL.format(venue=venue.name, reasons=reason, link=portal),
                dedupe_key=f"venue-status:{venue.id}:{action}:{now.isoformat()}",
                now=now,
            )
    if venue.manager_user_id and action in ("verify", "reject"):
        manager = auth_repo.get_user(session, venue.manager_user_id)
        if manager is not None:
            outcome = "verified" if action == "verify" else "not accepted"
            outbox.enqueue(
                session,
                to=manager.email,
                subject=f"{venue.name}: your charter sign-up was {outcome}",
                body=(
                    f"Your Women's Night Safety Charter sign-up for {venue.name} was {outcome}."
                    + (f"\n\nReason: {reason}" if reason else "")
                    + (
                        f"\n\nRenewal is due by {venue.renewal_date.isoformat()}."
                        if action == "verify" and venue.renewal_date is not None  # verify has just set it
                        else ""
                    )
                ),
                dedupe_key=f"venue-status:{venue.id}:{action}:{now.isoformat()}",
                now=now,
            )
    return venue


def officer_change_status(
    session: Session, *, actor: User, venue_id: int, action: str, reason: str | None, now: datetime
) -> Venue:
    if action not in OFFICER_ACTIONS:
        raise Invalid(f"Choose one of: {', '.join(OFFICER_ACTIONS)}.", field="action")
    return change_status(
        session,
        actor=actor,
        venue=venue_for(session, user=actor, venue_id=venue_id),
        action=action,
        reason=reason,
        now=now,
    )


FINDINGS_MISSING = "Write what the venue must put right (the venue manager sees your findings)."
SPOT_CHECK_FAILED_MAIL = (
    "Hello,\n\nA community safety officer's spot check of {venue} on {checked} found things to put right:\n\n"
    "{findings}\n\nPlease put them right by {due}. An officer will check again; if the venue has not passed a "
    "re-check by then, its charter record lapses and it leaves the public map.\n\nSee it in your venue portal: "
    "{link}\n"
)


def add_spot_check(
    session: Session,
    *,
    actor: User,
    venue_id: int,
    raw: Mapping[str, Any],
    now: datetime,
    venue_settings: VenueSettings | None = None,
) -> VenueSpotCheck:
    """Record a spot check. "fail" opens an action: the officer's findings (required) and a due date
    (``spot_check_action_days`` on unless the officer sets one), shown to the manager (mailed) and
    flagged to officers; a later "pass" or "advice" check clears every open action of the venue. An
    action past its due date without a passing re-check lapses the venue (``jobs.lapse_overdue_actions``)."""
    config = venue_settings or get_venue_settings()
    venue = venue_for(session, user=actor, venue_id=venue_id)
    today = london_today(now)
    errors = _Errors()
    when = _parse_date(raw.get("check_date") or "")
    if when is None:
        errors["check_date"] = "Enter the date of the spot check, like 2026-03-31."
    elif when > today:
        errors["check_date"] = "The spot check date cannot be in the future."
    outcome = str(raw.get("outcome") or "")
    if outcome not in SPOT_CHECK_OUTCOMES:
        errors["outcome"] = "Choose the outcome of the spot check."
    notes = (
        errors.text(raw, "notes", missing=None, too_long="Notes must be %(n)s characters or fewer.", max_len=2000)
        or None
    )
    findings = None
    due = None
    if outcome == "fail":
        findings = errors.text(
            raw,
            "findings",
            missing=FINDINGS_MISSING,
            too_long="Findings must be %(n)s characters or fewer.",
            max_len=2000,
        )
        due_raw = str(raw.get("due_date") or "").strip()
        due = _parse_date(due_raw) if due_raw else today + timedelta(days=config.spot_check_action_days)
        latest = today + timedelta(days=config.spot_check_action_max_days)
        if due is None:
            errors["due_date"] = "Enter the date the venue must put it right by, like 2027-01-31."
        elif due <= today:
            errors["due_date"] = "The date to put it right by must be after today."
        elif due > latest:
            errors["due_date"] = f"Give the venue at most {config.spot_check_action_max_days} days (until {latest})."
    errors.raise_if_any()
    assert when is not None
    row = VenueSpotCheck(
        venue_id=venue.id, check_date=when, outcome=outcome, notes=notes, officer_user_id=actor.id, created_at=now
    )
    session.add(row)
    session.flush()
    action: VenueAction | None = None
    cleared: list[VenueAction] = []
    if outcome == "fail":
        assert findings and due is not None
        action = VenueAction(
            venue_id=venue.id,
            spot_check_id=row.id,
            findings=findings,
            due_date=due,
            opened_by_user_id=actor.id,
            created_at=now,
        )
        session.add(action)
    else:
        for open_action in repo.open_actions(session, venue_id=venue.id):
            failed = session.get(VenueSpotCheck, open_action.spot_check_id)
            if failed is not None and failed.check_date <= when:
                open_action.cleared_at = now
                open_action.cleared_by_spot_check_id = row.id
                cleared.append(open_action)
    _saved(
        session,
        venue,
        actor=actor,
        action="venue.spot_check",
        now=now,
        detail=lambda: {
            "spot_check_id": row.id,
            "outcome": outcome,
            **({"action_id": action.id, "due_date": action.due_date.isoformat()} if action else {}),
            **({"cleared_actions": [c.id for c in cleared]} if cleared else {}),
        },
    )
    if action is not None and venue.manager_user_id:
        manager = auth_repo.get_user(session, venue.manager_user_id)
        if manager is not None:
            outbox.enqueue(
                session,
                to=manager.email,
                subject=f"{venue.name}: a spot check found things to put right by {long_date(action.due_date)}",
                body=SPOT_CHECK_FAILED_MAIL.format(
                    venue=venue.name,
                    checked=long_date(when),
                    findings=action.findings,
                    due=long_date(action.due_date),
                    link=get_settings().base_url.rstrip("/") + f"/venue-portal/{venue.id}",
                ),
                dedupe_key=f"venue-action:{action.id}",
                now=now,
            )
    return row


def open_actions(session: Session, *, venue_id: int) -> list[VenueAction]:
    return repo.open_actions(session, venue_id=venue_id)


def resolve_duplicate(session: Session, *, actor: User, duplicate_id: int, note: str, now: datetime) -> VenueDuplicate:
    dup = repo.get_duplicate(session, duplicate_id)
    if dup is None:
        raise VenueNotFound(field="duplicate_id")
    note = (note or "").strip()
    if not note:
        raise Invalid("Say what you found (for example 'same venue, new manager contacted').", field="note")
    if len(note) > 500:
        raise Invalid("The note must be 500 characters or fewer.", field="note")
    if dup.resolved_at is not None:
        raise TransitionRefused("resolved", "resolve", "resolved")
    dup.resolved_at = now
    dup.resolution_note = note
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="venue.resolve_duplicate",
        target_type="venue",
        target_id=dup.venue_id,
        detail={"duplicate_id": dup.id, "note": note},
        at=now,
    )
    return dup


@dataclass
class VenueFlags:
    venue: Venue
    flags: list[str]
    resubmitted: bool = False  # the manager resubmitted it after an officer asked for changes
    renewal_requested: bool = False  # back in the queue: its manager asked to renew a lapsed/withdrawn venue


@dataclass(frozen=True)
class TrainedShare:
    """How many of a venue's stated staff count as trained (WAVE or Ask for Angela in the last 12
    months), for the "posters but no trained staff" flag."""

    staff_count: int | None
    trained: int  # staff trained in the last 12 months, at most the staff count
    new_starters: int  # told at renewal, after the last such training: untrained until the next one
    share: float | None  # None: no staff count stated
    required: float

    @property
    def enough(self) -> bool:
        return self.share is not None and self.share >= self.required

    @property
    def required_staff(self) -> int | None:
        """The fewest trained staff that meet the share."""
        if self.staff_count is None:
            return None
        return max(1, math.ceil(round(self.required * self.staff_count, 6)))


def trained_shares(
    session: Session,
    *,
    today: date,
    venue_ids: Iterable[int] | None = None,
    venue_settings: VenueSettings | None = None,
) -> dict[int, TrainedShare]:
    """Trained staff against the stated staff count, per venue. The people trained are the sum of
    the staff each WAVE or Ask for Angela event in the last 12 months trained, capped at the staff
    count (a venue cannot have more trained staff than staff). New starters that a renewal reported
    after the day of the last such training are untrained (a training that day or later may have
    trained them): the trained staff are then at most the staff count less the new starters."""
    required = (venue_settings or get_venue_settings()).trained_share
    since = today - timedelta(days=365)
    ids = list(venue_ids) if venue_ids is not None else None
    staff = repo.staff_counts(session, venue_ids=ids)
    trained = repo.staff_trained_since(session, since=since, types=ANGELA_TRAINING, venue_ids=ids)
    last = repo.last_training_dates(session, types=ANGELA_TRAINING, venue_ids=ids)
    starters = repo.latest_new_starters(session, venue_ids=ids)
    out = {}
    for venue_id, count in staff.items():
        new = 0
        told = starters.get(venue_id)
        if told is not None and (venue_id not in last or told[0] > last[venue_id]):
            new = told[1]
        people = trained.get(venue_id, 0)
        if count is not None:
            people = min(people, max(0, count - new))
        share = (people / count) if count else None
        out[venue_id] = TrainedShare(count, people, new, share, required)
    return out


def flags_by_venue(
    session: Session, *, today: date, venue_settings: VenueSettings | None = None
) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}

    def add(ids: Iterable[int], flag: str) -> None:
        for venue_id in ids:
            out.setdefault(venue_id, []).append(flag)

    add(repo.overdue_pledge_venue_ids(session, today=today), "pledge_overdue")
    angela = repo.angela_venue_ids(session)
    shares = trained_shares(session, today=today, venue_ids=angela, venue_settings=venue_settings) if angela else {}
    # Posters without enough trained staff: with a staff count, the share of it trained; without
    # one, we cannot count, so the venue is asked for it (and flagged untrained if nobody is).
    add((v for v, s in shares.items() if s.staff_count is None), "staff_count_missing")
    add(
        (
            v
            for v, s in shares.items()
            if (s.staff_count is None and s.trained == 0) or (s.staff_count and not s.enough)
        ),
        "angela_untrained",
    )
    add(
        repo.expiring_accreditation_venue_ids(session, today=today, until=today + timedelta(days=30)),
        "accreditation_expiring",
    )
    add(repo.open_duplicate_venue_ids(session), "possible_duplicate")
    add(repo.open_action_venue_ids(session), "spot_check_action")
    return out


def officer_queue(
    session: Session, *, status: str | None, now: datetime, include_examples: bool = False
) -> list[VenueFlags]:
    if status and status not in VENUE_STATUSES:
        raise Invalid("Choose a known status.", field="status")
    flags = flags_by_venue(session, today=london_today(now))
    venues = repo.list_venues(session, statuses=[status] if status else None, include_examples=include_examples)
    waiting = {v.id for v in venues if v.status == "submitted"}
    created = {v.id: v.created_at for v in venues}
    resubmitted = (
        {
            int(e.target_id)
            for e in audit.list_events(session, target_type="venue", action_prefix="venue.resubmit", limit=10_000)
            if int(e.target_id) in created and e.at >= created[int(e.target_id)]
        }
        & waiting
        if waiting
        else set()
    )
    requested = (
        {
            int(e.target_id)
            for e in audit.list_events(
                session, target_type="venue", action_prefix="venue.request_renewal", limit=10_000
            )
            if int(e.target_id) in created and e.at >= created[int(e.target_id)]
        }
        & waiting
        if waiting
        else set()
    )
    return [
        VenueFlags(v, flags.get(v.id, []), resubmitted=v.id in resubmitted, renewal_requested=v.id in requested)
        for v in venues
    ]


def needs_attention(session: Session, *, now: datetime) -> list[VenueFlags]:
    flags = flags_by_venue(session, today=london_today(now))
    venues = [
        v
        for v in repo.list_venues(session, statuses=["submitted", "verified", "lapsed"], include_examples=False)
        if v.id in flags
    ]
    return [VenueFlags(v, flags[v.id]) for v in venues]


def open_duplicates(session: Session) -> list[VenueDuplicate]:
    return repo.duplicates(session)


@dataclass
class VenueView:
    """Everything shown on a venue page (public, portal or officer)."""

    venue: Venue
    lon: float
    lat: float
    ward_name: str
    trainings: list[VenueTraining]
    accreditations: list[VenueAccreditation]
    current_schemes: list[str]
    last_training: date | None
    flags: list[str] = field(default_factory=list)
    evidence: list[VenueEvidence] = field(default_factory=list)
    spot_checks: list[VenueSpotCheck] = field(default_factory=list)
    duplicates: list[VenueDuplicate] = field(default_factory=list)
    #: Open actions from failed spot checks (what to put right, by when), oldest due first.
    actions: list[VenueAction] = field(default_factory=list)
    trained: TrainedShare | None = None

    @property
    def pin_far_from_postcode(self) -> bool:
        """The pin is further than PIN_POSTCODE_FLAG_M from the postcode's point: an officer checks it."""
        distance = self.venue.pin_postcode_distance_m
        return distance is not None and distance > PIN_POSTCODE_FLAG_M


def view(session: Session, *, venue: Venue, now: datetime, settings: Settings, private: bool) -> VenueView:
    today = london_today(now)
    point = from_db(venue.geom)
    assert point is not None  # venue.geom is NOT NULL
    trainings = repo.trainings(session, venue.id)
    accs = repo.accreditations(session, venue.id)
    result = VenueView(
        venue=venue,
        lon=point.x,
        lat=point.y,
        ward_name=ward_names(session, settings=settings).get(venue.ward_code, venue.ward_code),
        trainings=trainings,
        accreditations=accs,
        current_schemes=sorted({a.scheme for a in accs if a.valid_from_date <= today <= a.valid_to_date}),
        last_training=max((t.training_date for t in trainings), default=None),
    )
    if private:
        result.flags = flags_by_venue(session, today=today).get(venue.id, [])
        result.evidence = repo.evidence(session, venue.id)
        result.spot_checks = repo.spot_checks(session, venue.id)
        result.duplicates = repo.duplicates(session, venue_id=venue.id, open_only=False)
        result.actions = repo.open_actions(session, venue_id=venue.id)
        result.trained = trained_shares(session, today=today, venue_ids=[venue.id]).get(venue.id)
    else:
        # The public sees what holds today: an expired accreditation is not shown as the venue's.
        result.accreditations = [a for a in accs if a.valid_from_date <= today <= a.valid_to_date]
    return result


def public_venue(session: Session, *, venue_id: int) -> Venue:
    venue = repo.get_venue(session, venue_id)
    if venue is None or not (venue.status == "verified" or venue.is_example):
        raise VenueNotFound()
    return venue


# --- wards (names for display, filters) -----------------------------------------------------------


def ward_names(session: Session, *, settings: Settings) -> dict[str, str]:
    """Current served ward code -> name."""
    return {w.code: w.name for w in wards_service.ward_choices(session, settings=settings)}


def check_ward(session: Session, *, ward: str | None, settings: Settings, field: str = "ward") -> str | None:
    if not ward:
        return None
    if ward not in ward_names(session, settings=settings):
        raise Invalid("Choose one of the wards this council covers.", field=field)
    return ward


def _check_filters(venue_type: str | None, scheme: str | None, status: str | None = None) -> None:
    if venue_type and venue_type not in VENUE_TYPES:
        raise Invalid("Choose a known venue type.", field="venue_type")
    if scheme and scheme not in SCHEMES:
        raise Invalid("Choose a known accreditation scheme.", field="scheme")
    if status and status not in VENUE_STATUSES:
        raise Invalid("Choose a known status.", field="status")


# --- public directory and cached GeoJSON -----------------------------------------------------------


def directory(
    session: Session,
    *,
    ward: str | None,
    venue_type: str | None,
    scheme: str | None,
    include_examples: bool,
    settings: Settings,
    now: datetime,
) -> list[dict[str, Any]]:
    return json.loads(
        public_geojson(
            session,
            ward=ward,
            venue_type=venue_type,
            scheme=scheme,
            include_examples=include_examples,
            settings=settings,
            now=now,
        ).body
    )["features"]


@dataclass(frozen=True)
class CachedGeoJSON:
    body: bytes
    etag: str


_geojson_cache: OrderedDict[tuple[Any, ...], CachedGeoJSON] = OrderedDict()
_geojson_lock = threading.Lock()
GEOJSON_CACHE_SIZE = 64


def clear_public_cache() -> None:
    with _geojson_lock:
        _geojson_cache.clear()


def public_geojson(
    session: Session,
    *,
    ward: str | None,
    venue_type: str | None,
    scheme: str | None,
    include_examples: bool,
    settings: Settings,
    now: datetime,
) -> CachedGeoJSON:
    """Verified venues (plus labelled example venues when asked) as GeoJSON. Cached per process,
    keyed by the register version (count, max id, max updated_at: one indexed query), so a change
    made through any worker is seen by every worker on its next read."""
    _check_filters(venue_type, scheme)
    ward = check_ward(session, ward=ward, settings=settings)
    today = london_today(now)
    key = (
        str(session.get_bind().engine.url),
        repo.register_version(session),
        ward,
        venue_type,
        scheme,
        include_examples,
        today.isoformat(),
    )
    with _geojson_lock:
        hit = _geojson_cache.get(key)
        if hit is not None:
            _geojson_cache.move_to_end(key)
            return hit
    rows = repo.public_rows(
        session, include_examples=include_examples, ward_code=ward, venue_type=venue_type, scheme=scheme, on_date=today
    )
    ids = [r[0] for r in rows]
    schemes = repo.current_schemes(session, on_date=today) if rows else {}
    trained = repo.last_training_dates(session) if rows else {}
    names = ward_names(session, settings=settings)
    features = []
    for vid, name, vtype, address, postcode, ward_code, example, renewal, x, y in rows:
        features.append(
            {
                "type": "Feature",
                "id": vid,
                "geometry": {"type": "Point", "coordinates": [round(float(x), 6), round(float(y), 6)]},
                "properties": {
                    "id": vid,
                    "name": name,
                    "venue_type": vtype,
                    "venue_type_label": VENUE_TYPE_LABELS[vtype],
                    "address": address,
                    "postcode": postcode,
                    "ward_code": ward_code,
                    "ward_name": names.get(ward_code, ward_code),
                    "example": bool(example),
                    "status": "example" if example else "verified",
                    "schemes": schemes.get(vid, []),
                    "last_training_date": trained[vid].isoformat() if vid in trained else None,
                    "renewal_date": renewal.isoformat() if renewal and not example else None,
                    "url": f"/venues/{vid}",
                },
            }
        )
    del ids
    collection = {
        "type": "FeatureCollection",
        "features": features,
        "attribution": EXAMPLE_ATTRIBUTION if include_examples else None,
    }
    body = orjson.dumps(collection)  # ~10x faster than json for the 2 MB register
    cached = CachedGeoJSON(body=body, etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"')
    with _geojson_lock:
        _geojson_cache[key] = cached
        while len(_geojson_cache) > GEOJSON_CACHE_SIZE:
            _geojson_cache.popitem(last=False)
    return cached


EXAMPLE_ATTRIBUTION = (
    "Example venues: Open Pubs (GetTheData) from the Food Standards Agency FHRS, Open Government Licence v3.0; "
    "contains OS data © Crown copyright and database right; contains Royal Mail data © Royal Mail copyright and "
    "database right; source: Office for National Statistics, OGL v3.0. Examples have not signed the charter."
)


# --- register export -------------------------------------------------------------------------------

REGISTER_COLUMNS = (
    "id",
    "name",
    "venue_type",
    "status",
    "address",
    "postcode",
    "licence_number",
    "ward_code",
    "ward_name",
    "borough_code",
    "longitude",
    "latitude",
    "champion_name",
    "champion_role",
    "contact_email",
    "contact_phone",
    "ask_for_angela",
    "pledges_met",
    "renewal_date",
    "schemes",
    "last_training_date",
    "example",
)


def register(
    session: Session,
    *,
    ward: str | None,
    status: str | None,
    scheme: str | None,
    include_examples: bool,
    settings: Settings,
    now: datetime,
) -> list[dict[str, Any]]:
    _check_filters(None, scheme, status)
    ward = check_ward(session, ward=ward, settings=settings)
    today = london_today(now)
    venues = repo.list_venues(
        session,
        statuses=[status] if status else None,
        ward_code=ward,
        scheme=scheme,
        on_date=today,
        include_examples=include_examples,
    )
    ids = [v.id for v in venues]
    points = repo.venue_points(session, ids)
    schemes = repo.current_schemes(session, on_date=today)
    trained = repo.last_training_dates(session)
    names = ward_names(session, settings=settings)
    return [
        {
            "id": v.id,
            "name": v.name,
            "venue_type": v.venue_type,
            "status": v.status,
            "address": v.address,
            "postcode": v.postcode,
            "licence_number": v.licence_number or "",
            "ward_code": v.ward_code,
            "ward_name": names.get(v.ward_code, ""),
            "borough_code": v.borough_code,
            "longitude": round(points[v.id][0], 6),
            "latitude": round(points[v.id][1], 6),
            "champion_name": v.champion_name,
            "champion_role": v.champion_role,
            "contact_email": v.contact_email,
            "contact_phone": v.contact_phone,
            "ask_for_angela": v.ask_for_angela,
            "pledges_met": sum(1 for p in v.pledges if p.met),
            "renewal_date": v.renewal_date.isoformat() if v.renewal_date else "",
            "schemes": ";".join(schemes.get(v.id, [])),
            "last_training_date": trained[v.id].isoformat() if v.id in trained else "",
            "example": v.is_example,
        }
        for v in venues
    ]


def register_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(REGISTER_COLUMNS)
    for row in rows:
        writer.writerow([neutralise(row[c]) for c in REGISTER_COLUMNS])
    return buffer.getvalue()


def register_geojson(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": r["id"],
                "geometry": {"type": "Point", "coordinates": [r["longitude"], r["latitude"]]},
                "properties": {k: v for k, v in r.items() if k not in ("longitude", "latitude")},
            }
            for r in rows
        ],
    }
