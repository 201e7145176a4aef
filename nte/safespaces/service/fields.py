"""What a safe space holds, checked one way for the JSON API, the forms, owners' proposals and the
CSV import: a declarative list of the plain fields (``nte.web.forms.Field``), then a few named
checks for what needs the database or more than one field (the venue link, the location, the owner,
the opening hours). Every wrong field is named at once (``InvalidSafeSpace``), before anything is
written."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from shapely.geometry import Point
from sqlalchemy.orm import Session

from nte.config import Settings
from nte.errors import FieldErrors
from nte.postcodes import normalise_postcode
from nte.safespaces import repository as repo
from nte.safespaces.exceptions import InvalidOpeningHours, InvalidSafeSpace, VenueAlreadyLinked
from nte.safespaces.hours import InvalidHours, Schedule, parse_opening_hours
from nte.safespaces.models import CODEWORDS, HELP_ITEMS, KINDS, SafeSpace
from nte.spatial import to_db
from nte.wards import service as ward_service
from nte.wards.exceptions import InvalidCoordinates, LocationOutsideServiceArea
from nte.web.forms import Field, clean

IDENTITY = ("name", "address", "postcode")
"""What a safe space at a charter venue takes from the venue."""
ON_CREATE = ("name", "kind")
"""Checked when a space is added even if not sent (so a missing one is named)."""
HOURS_KEYS = frozenset({"hours", "opening_hours", "overrides"})
ORDER = (
    "venue_id",
    *IDENTITY,
    "lon",
    "lat",
    "kind",
    "phone",
    "access_note",
    "help_offered",
    "codewords",
    "step_free",
    "languages",
    "owner_email",
    "owner_user_id",
    "hours",
    "opening_hours",
    "overrides",
)
"""The order wrong fields are named in (the first is the error's ``field`` and ``detail``), and
the order of the values returned (what an audit event lists as changed)."""

NOT_AN_OWNER = "The owner must be an active account with the venue manager role."
AT_A_VENUE = (
    "A safe space at a charter venue takes its name, address and "
    "location from the venue: leave these empty (change the venue)."
)

_PHONE = re.compile(r"^\+?[0-9 ()-]{6,24}$")
_OVERRIDE_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s+(.+)$")
_LANGUAGE = re.compile(r"[^\W\d_][\w .'()-]*")


# --- parsers of the plain fields -------------------------------------------------------------------


def _postcode(text: str) -> str:
    postcode = normalise_postcode(text)
    if postcode is None:
        raise ValueError("Enter a UK postcode such as SW1A 1AA.")
    return postcode


def _phone(text: str) -> None:
    if not _PHONE.match(text) or sum(c.isdigit() for c in text) < 6:
        raise ValueError("Enter a phone number such as 020 7946 0000.")


def _items(value: Any) -> Any:
    """A list as sent, or text listing items separated by ; or , (a CSV cell)."""
    return [v for v in re.split(r"[;,]", value) if v.strip()] if isinstance(value, str) else value


def _choice_list(allowed: tuple[str, ...], label: str) -> Any:
    """A parser of a list of keys from ``allowed``: canonical order, no duplicates."""

    def parse(value: Any) -> list[str]:
        value = _items(value)
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{label} must be a list.")
        items = [str(v).strip().lower() for v in value]
        unknown = [v for v in items if v not in allowed]
        if unknown:
            raise ValueError(
                f"Unknown {label.lower()} {', '.join(map(repr, unknown))}; choose from {', '.join(allowed)}."
            )
        return [a for a in allowed if a in items]

    return parse


def _languages(value: Any) -> list[str]:
    items = _items(value)
    if not isinstance(items, (list, tuple)):
        raise ValueError("Languages must be a list such as English, Polish.")
    cleaned: list[str] = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        if len(text) > 40 or not _LANGUAGE.fullmatch(text):
            raise ValueError(f"{text[:40]!r} is not a language name.")
        if text.lower() not in {c.lower() for c in cleaned}:
            cleaned.append(text)
    if len(cleaned) > 20:
        raise ValueError("List at most 20 languages.")
    return cleaned


def _yes_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("", "unknown"):
        return None
    if text in ("yes", "true", "1", "on"):
        return True
    if text in ("no", "false", "0", "off"):
        return False
    raise ValueError("Answer yes, no or unknown.")


def _too_long(label: str) -> str:
    return f"The {label} must be %(n)s characters or fewer."


_KIND = f"Choose the kind of place ({', '.join(KINDS)})."

FIELDS = (
    Field("name", required=True, max_length=200, missing="Enter the name.", too_long=_too_long("name")),
    Field("address", max_length=300, too_long=_too_long("address")),
    Field("postcode", max_length=10, too_long=_too_long("postcode"), parse=_postcode),
    Field("kind", required=True, choices=KINDS, missing=_KIND, invalid=_KIND),
    Field("phone", max_length=30, too_long=_too_long("phone number"), check=_phone),
    Field("access_note", max_length=300, too_long=_too_long("note on how to get in")),
    Field("help_offered", parse=_choice_list(HELP_ITEMS, "Help"), default_factory=list),
    Field("codewords", parse=_choice_list(CODEWORDS, "Codeword schemes"), default_factory=list),
    Field("step_free", parse=_yes_no),
    Field("languages", parse=_languages, default_factory=list),
)
"""The fields checked on their own (the rest are the named checks below)."""

OWNER_FIELDS = frozenset({f.name for f in FIELDS if f.name != "kind"} | {"hours"})
"""What an owner may propose; location, kind, venue link and status stay with officers."""


# --- opening hours ---------------------------------------------------------------------------------


def _override_spans(rest: str, number: int, field: str) -> list[list[str]]:
    spans = []
    for part in rest.split(","):
        bits = [b.strip() for b in part.split("-")]
        if len(bits) != 2:
            raise InvalidOpeningHours(f"Line {number}: cannot read {part.strip()!r}; use HH:MM-HH:MM.", field=field)
        spans.append(bits)
    return spans


def parse_overrides(text: str, *, field: str = "overrides") -> list[list[Any]]:
    """Lines such as ``2026-12-25 closed`` or ``2026-12-31 20:00-04:00, 10:00-12:00`` -> the
    JSON override form (validated later by ``Schedule.from_json``)."""
    entries: list[list[Any]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        match = _OVERRIDE_LINE.match(line)
        if match is None:
            raise InvalidOpeningHours(
                f"Line {number} ({line[:40]!r}): write a date (YYYY-MM-DD), then 'closed' or "
                "hours such as 20:00-04:00.",
                field=field,
            )
        day, rest = match[1], match[2].strip()
        entries.append([day, "closed" if rest.lower() in ("closed", "off") else _override_spans(rest, number, field)])
    return entries


def schedule_from_input(
    *, hours: Any = None, opening_hours: str | None = None, overrides: Any = None, hours_field: str = "hours"
) -> Schedule:
    """A Schedule from the JSON form (``hours``) or the text form (``opening_hours`` plus optional
    override lines); ``InvalidHours`` becomes ``InvalidOpeningHours`` naming the field."""
    try:
        if hours is not None:
            return Schedule.from_json(hours)
        schedule = parse_opening_hours(opening_hours or "")
        if overrides:
            entries = parse_overrides(overrides) if isinstance(overrides, str) else overrides
            schedule = Schedule.from_json({"weekly": schedule.to_json()["weekly"], "overrides": entries})
        return schedule
    except InvalidHours as exc:
        where = (
            hours_field
            if hours is not None
            else ("overrides" if exc.field.startswith("overrides") else "opening_hours")
        )
        raise InvalidOpeningHours(f"Opening hours: {exc.field}: {exc.message}.", field=where) from None


# --- the named checks ------------------------------------------------------------------------------

Errors = dict[str, str]


def _blank(value: Any) -> bool:
    return value in (None, "")


def _venue_id(session: Session, data: Mapping[str, Any], space: SafeSpace | None, errors: Errors) -> int | None:
    """The charter venue the space is (sent, or kept from ``space``); None: the space has its own
    name, address and location. A venue already linked to another space is a conflict."""
    venue_id = data.get("venue_id", space.venue_id if space else None)
    if _blank(venue_id):
        return None
    if "venue_id" not in data:
        return venue_id
    try:
        venue_id = int(venue_id)
    except (TypeError, ValueError):
        errors["venue_id"] = "The venue id must be a number."
        return None
    venue = repo.get_venue(session, venue_id)
    if venue is None:
        errors["venue_id"] = f"There is no venue with id {venue_id}."
    elif venue.status in repo.HIDDEN_VENUE_STATUSES:
        errors["venue_id"] = f"This venue is {venue.status}; it cannot be a safe space."
    else:
        linked = repo.space_for_venue(session, venue_id)
        if linked is not None and (space is None or linked.id != space.id):
            raise VenueAlreadyLinked()
    return venue_id


def _location_given(data: Mapping[str, Any]) -> bool:
    return any(not _blank(data.get(k)) for k in ("lon", "lat"))


def _own_location(
    session: Session, data: Mapping[str, Any], *, settings: Settings, out: dict[str, Any], errors: Errors
) -> None:
    """Longitude and latitude together, inside the served area, as the stored point."""
    try:
        lon, lat = ward_service.validate_point(data.get("lon"), data.get("lat"))
        ward_service.locate(session, lon=lon, lat=lat, settings=settings, field="lon")
        out["geom"] = to_db(Point(lon, lat))
    except InvalidCoordinates as exc:
        errors[exc.field or "lon"] = exc.detail
    except LocationOutsideServiceArea as exc:
        errors["lon"] = exc.detail


def _needs_location(data: Mapping[str, Any], space: SafeSpace | None) -> bool:
    """A new space, a location sent, or a space leaving its venue: the point must be given."""
    leaving_venue = space is not None and space.venue_id is not None and "venue_id" in data
    return space is None or _location_given(data) or leaving_venue


def _at_venue(data: Mapping[str, Any], *, out: dict[str, Any], errors: Errors) -> None:
    """A space at a charter venue: no name, address or location of its own."""
    given = [k for k in IDENTITY if str(data.get(k) or "").strip()]
    if given or _location_given(data):
        errors[given[0] if given else "lon"] = AT_A_VENUE
    out.update({"name": None, "address": None, "postcode": None, "geom": None})


def _owner(session: Session, data: Mapping[str, Any], *, out: dict[str, Any], errors: Errors) -> None:
    """The venue manager who may propose changes, named by e-mail (forms) or id (JSON)."""
    if "owner_email" in data:
        email = str(data.get("owner_email") or "").strip().lower()
        owner = repo.user_by_email(session, email) if email else None
        if not email:
            out["owner_user_id"] = None
        elif owner is None or owner.role != "venue_manager" or not owner.is_active:
            errors["owner_email"] = NOT_AN_OWNER
        else:
            out["owner_user_id"] = owner.id
    if "owner_user_id" in data:
        owner_id: Any = data.get("owner_user_id")
        if _blank(owner_id):
            out["owner_user_id"] = None
            return
        try:
            owners = repo.users_by_ids(session, [int(owner_id)])
        except (TypeError, ValueError):
            owners = []
        if not owners or owners[0].role != "venue_manager":
            errors["owner_user_id"] = NOT_AN_OWNER
        else:
            out["owner_user_id"] = owners[0].id


def _hours(data: Mapping[str, Any], *, out: dict[str, Any], errors: Errors) -> None:
    """The weekly hours and date overrides (JSON or text); all empty: hours not known."""
    if not HOURS_KEYS & set(data):
        return
    raw_hours, text, overrides = data.get("hours"), data.get("opening_hours"), data.get("overrides")
    if raw_hours is None and not str(text or "").strip() and not str(overrides or "").strip():
        out["hours"] = None
        return
    try:
        out["hours"] = schedule_from_input(hours=raw_hours, opening_hours=text, overrides=overrides).to_json()
    except InvalidOpeningHours as exc:
        errors[exc.field or "hours"] = exc.detail


def _plain_fields(data: Mapping[str, Any], *, creating: bool, own_identity: bool, errors: Errors) -> dict[str, Any]:
    wanted = {f.name for f in FIELDS if f.name in data or (creating and f.name in ON_CREATE)}
    if not own_identity:
        wanted -= set(IDENTITY)
    try:
        return clean(FIELDS, data, only=wanted)
    except FieldErrors as exc:
        errors.update(exc.errors)
        return {}


def clean_fields(
    session: Session,
    data: Mapping[str, Any],
    *,
    settings: Settings,
    space: SafeSpace | None = None,
) -> dict[str, Any]:
    """Validate the given fields (a partial update when ``space`` is given) and return column
    values. Raises InvalidSafeSpace with every wrong field, before anything is written."""
    errors: Errors = {}
    out: dict[str, Any] = {}
    venue_id = _venue_id(session, data, space, errors)
    if "venue_id" in data:
        out["venue_id"] = venue_id
    own_identity = venue_id is None
    out.update(_plain_fields(data, creating=space is None, own_identity=own_identity, errors=errors))
    if not own_identity:
        _at_venue(data, out=out, errors=errors)
    elif _needs_location(data, space):
        _own_location(session, data, settings=settings, out=out, errors=errors)
    _owner(session, data, out=out, errors=errors)
    _hours(data, out=out, errors=errors)
    if errors:
        raise InvalidSafeSpace(_in_order(errors))
    return _in_order(out)


def _in_order(values: dict[str, Any]) -> dict[str, Any]:
    """Fields (and column values: the point where its longitude is) in ``ORDER``."""

    def rank(name: str) -> int:
        name = "lon" if name == "geom" else name
        return ORDER.index(name) if name in ORDER else len(ORDER)

    return {k: values[k] for k in sorted(values, key=rank)}
