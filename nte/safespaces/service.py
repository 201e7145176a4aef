"""Safe-space rules: the registry (officers add, verify, edit), owners' proposed changes, CSV
import, and "nearest open now".

Never commits; validates everything before the first ``session.add``. Opening hours are evaluated
by :mod:`nte.safespaces.hours` (closed when unsure); its ``InvalidHours`` becomes
:class:`InvalidOpeningHours` naming the form/JSON field."""

from __future__ import annotations

import csv
import heapq
import io
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
from shapely.geometry import Point
from shapely.prepared import prep
from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth.models import User
from nte.config import Settings
from nte.notifications import service as mail
from nte.postcodes import normalise_postcode
from nte.safespaces import repository as repo
from nte.safespaces.exceptions import (
    InvalidImport,
    InvalidOpeningHours,
    InvalidSafeSpace,
    InvalidSearch,
    NotOwner,
    ProposalDecided,
    ProposalNotFound,
    SafeSpaceNotFound,
    VenueAlreadyLinked,
)
from nte.safespaces.hours import (
    DEFAULT_STALE_AFTER_DAYS,
    LONDON,
    InvalidHours,
    OpenStatus,
    Schedule,
    parse_opening_hours,
    status_at,
    week_hour,
)
from nte.safespaces.labels import HELP_LABELS
from nte.safespaces.models import CODEWORDS, HELP_ITEMS, KINDS, WARD_SUBJECT, SafeSpace, SafeSpaceProposal
from nte.spatial import ScanStats, distances_m, from_db, to_db
from nte.venues.models import Venue
from nte.wards import service as ward_service
from nte.wards.exceptions import InvalidCoordinates, LocationOutsideServiceArea

STALE_AFTER_DAYS = DEFAULT_STALE_AFTER_DAYS
"""Hours not confirmed within this many days are never shown as open."""
REMIND_DAYS_BEFORE = 14
"""Owners (or officers) are asked to re-confirm this many days before hours go stale."""
MAX_LIMIT = 20
MAX_DISTANCE_M = 50_000.0
"""Nearest-search radius: nothing further than this is offered as help nearby."""

OWNER_FIELDS = frozenset(
    {
        "name",
        "address",
        "postcode",
        "phone",
        "access_note",
        "help_offered",
        "codewords",
        "step_free",
        "languages",
        "hours",
    }
)
"""What an owner may propose; location, kind, venue link and status stay with officers."""

_PHONE = re.compile(r"^\+?[0-9 ()-]{6,24}$")
_OVERRIDE_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s+(.+)$")


def today_in_london(now: datetime) -> date:
    return now.astimezone(LONDON).date()


# --- validation ------------------------------------------------------------------------------------


def _text(
    value: Any, *, field: str, label: str, errors: dict[str, str], max_length: int, required: bool = False
) -> str | None:
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            errors[field] = f"Enter the {label}."
        return None
    if len(text) > max_length:
        errors[field] = f"The {label} must be {max_length} characters or fewer."
        return None
    return text


def _choices(value: Any, *, field: str, allowed: tuple[str, ...], label: str, errors: dict[str, str]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [v for v in re.split(r"[;,]", value) if v.strip()]
    if not isinstance(value, (list, tuple)):
        errors[field] = f"{label} must be a list."
        return []
    items = [str(v).strip().lower() for v in value]
    unknown = [v for v in items if v not in allowed]
    if unknown:
        errors[field] = f"Unknown {label.lower()} {', '.join(map(repr, unknown))}; choose from {', '.join(allowed)}."
        return []
    return [a for a in allowed if a in items]  # canonical order, no duplicates


def _languages(value: Any, *, errors: dict[str, str]) -> list[str]:
    if value is None:
        return []
    items = [v for v in re.split(r"[;,]", value)] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        errors["languages"] = "Languages must be a list such as English, Polish."
        return []
    cleaned: list[str] = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        if len(text) > 40 or not re.fullmatch(r"[^\W\d_][\w .'()-]*", text):
            errors["languages"] = f"{text[:40]!r} is not a language name."
            return []
        if text.lower() not in {c.lower() for c in cleaned}:
            cleaned.append(text)
    if len(cleaned) > 20:
        errors["languages"] = "List at most 20 languages."
        return []
    return cleaned


def _bool_or_none(value: Any, *, field: str, errors: dict[str, str]) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("", "unknown"):
        return None
    if text in ("yes", "true", "1", "on"):
        return True
    if text in ("no", "false", "0", "off"):
        return False
    errors[field] = "Answer yes, no or unknown."
    return None


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
        if rest.lower() in ("closed", "off"):
            entries.append([day, "closed"])
            continue
        spans = []
        for part in rest.split(","):
            bits = [b.strip() for b in part.split("-")]
            if len(bits) != 2:
                raise InvalidOpeningHours(f"Line {number}: cannot read {part.strip()!r}; use HH:MM-HH:MM.", field=field)
            spans.append(bits)
        entries.append([day, spans])
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


def clean_fields(
    session: Session,
    data: Mapping[str, Any],
    *,
    settings: Settings,
    space: SafeSpace | None = None,
) -> dict[str, Any]:
    """Validate the given fields (a partial update when ``space`` is given) and return column
    values. Raises InvalidSafeSpace with every wrong field, before anything is written."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    creating = space is None
    venue_id = data.get("venue_id", space.venue_id if space else None)
    if venue_id in ("", None):
        venue_id = None
    if "venue_id" in data and venue_id is not None:
        try:
            venue_id = int(venue_id)
        except (TypeError, ValueError):
            errors["venue_id"] = "The venue id must be a number."
            venue_id = None
        else:
            venue = repo.get_venue(session, venue_id)
            if venue is None:
                errors["venue_id"] = f"There is no venue with id {venue_id}."
            elif venue.status in repo.HIDDEN_VENUE_STATUSES:
                errors["venue_id"] = f"This venue is {venue.status}; it cannot be a safe space."
            else:
                linked = repo.space_for_venue(session, venue_id)
                if linked is not None and (space is None or linked.id != space.id):
                    raise VenueAlreadyLinked()
    if "venue_id" in data:
        out["venue_id"] = venue_id
    own_identity = venue_id is None
    location_given = any(data.get(k) not in (None, "") for k in ("lon", "lat"))
    if own_identity:
        if "name" in data or creating:
            out["name"] = _text(
                data.get("name"), field="name", label="name", errors=errors, max_length=200, required=True
            )
        for key, label, length in (("address", "address", 300), ("postcode", "postcode", 10)):
            if key in data:
                out[key] = _text(data.get(key), field=key, label=label, errors=errors, max_length=length)
        if out.get("postcode"):
            postcode = normalise_postcode(out["postcode"])
            if postcode is None:
                errors["postcode"] = "Enter a UK postcode such as SW1A 1AA."
            out["postcode"] = postcode or out["postcode"]
        if location_given or creating or (space is not None and space.venue_id is not None and "venue_id" in data):
            try:
                lon, lat = ward_service.validate_point(data.get("lon"), data.get("lat"))
                ward_service.locate(session, lon=lon, lat=lat, settings=settings, field="lon")
                out["geom"] = to_db(Point(lon, lat))
            except InvalidCoordinates as exc:
                errors[exc.field or "lon"] = exc.detail
            except LocationOutsideServiceArea as exc:
                errors["lon"] = exc.detail
    else:
        given = [k for k in ("name", "address", "postcode") if str(data.get(k) or "").strip()]
        if given or location_given:
            errors[given[0] if given else "lon"] = (
                "A safe space at a charter venue takes its name, address and "
                "location from the venue: leave these empty (change the venue)."
            )
        out.update({"name": None, "address": None, "postcode": None, "geom": None})
    if "kind" in data or creating:
        kind = str(data.get("kind") or "").strip()
        if kind not in KINDS:
            errors["kind"] = f"Choose the kind of place ({', '.join(KINDS)})."
        out["kind"] = kind
    if "phone" in data:
        phone = _text(data.get("phone"), field="phone", label="phone number", errors=errors, max_length=30)
        if phone and (not _PHONE.match(phone) or sum(c.isdigit() for c in phone) < 6):
            errors["phone"] = "Enter a phone number such as 020 7946 0000."
        out["phone"] = phone
    if "access_note" in data:
        out["access_note"] = _text(
            data.get("access_note"), field="access_note", label="note on how to get in", errors=errors, max_length=300
        )
    if "help_offered" in data:
        out["help_offered"] = _choices(
            data.get("help_offered"), field="help_offered", allowed=HELP_ITEMS, label="Help", errors=errors
        )
    if "codewords" in data:
        out["codewords"] = _choices(
            data.get("codewords"), field="codewords", allowed=CODEWORDS, label="Codeword schemes", errors=errors
        )
    if "step_free" in data:
        out["step_free"] = _bool_or_none(data.get("step_free"), field="step_free", errors=errors)
    if "languages" in data:
        out["languages"] = _languages(data.get("languages"), errors=errors)
    if "owner_email" in data:  # forms name the owner by e-mail
        email = str(data.get("owner_email") or "").strip().lower()
        if not email:
            out["owner_user_id"] = None
        else:
            owner = repo.user_by_email(session, email)
            if owner is None or owner.role != "venue_manager" or not owner.is_active:
                errors["owner_email"] = "The owner must be an active account with the venue manager role."
            else:
                out["owner_user_id"] = owner.id
    if "owner_user_id" in data:
        owner_id = data.get("owner_user_id")
        if owner_id in (None, ""):
            out["owner_user_id"] = None
        else:
            try:
                owners = repo.users_by_ids(session, [int(owner_id)])
            except (TypeError, ValueError):
                owners = []
            if not owners or owners[0].role != "venue_manager":
                errors["owner_user_id"] = "The owner must be an active account with the venue manager role."
            else:
                out["owner_user_id"] = owners[0].id
    hours_keys = {"hours", "opening_hours", "overrides"} & set(data)
    if hours_keys:
        raw_hours = data.get("hours")
        text = data.get("opening_hours")
        if raw_hours is None and not str(text or "").strip() and not str(data.get("overrides") or "").strip():
            out["hours"] = None  # hours not known
        else:
            try:
                out["hours"] = schedule_from_input(
                    hours=raw_hours, opening_hours=text, overrides=data.get("overrides")
                ).to_json()
            except InvalidOpeningHours as exc:
                errors[exc.field or "hours"] = exc.detail
    if errors:
        first = next(iter(errors))
        raise InvalidSafeSpace(errors[first], field=first, errors=errors)
    return out


# --- registry ------------------------------------------------------------------------------------


def get_space(session: Session, *, space_id: int) -> SafeSpace:
    space = repo.get(session, space_id)
    if space is None:
        raise SafeSpaceNotFound(space_id)
    return space


def create_space(
    session: Session,
    *,
    data: Mapping[str, Any],
    actor: User | None,
    settings: Settings,
    now: datetime,
    confirm_hours: bool = True,
    status: str = "unverified",
    source: str = "manual",
    external_id: str | None = None,
    is_example: bool = False,
    audit_action: str | None = "safespace.create",
) -> SafeSpace:
    values = clean_fields(session, data, settings=settings)
    space = SafeSpace(
        **values,
        status=status,
        source=source,
        external_id=external_id,
        is_example=is_example,
        created_at=now,
        updated_at=now,
    )
    for key in ("help_offered", "codewords", "languages"):
        if getattr(space, key) is None:
            setattr(space, key, [])
    if values.get("hours") is not None and confirm_hours:
        space.hours_confirmed_date = today_in_london(now)
    if status == "verified":
        space.verified_at, space.verified_by_user_id = now, actor.id if actor else None
    session.add(space)
    session.flush()
    _assign_ward(session, space)
    if audit_action:
        audit.record(
            session,
            actor=actor,
            action=audit_action,
            target_type="safe_space",
            target_id=space.id,
            detail={"fields": sorted(values), "status": status},
            at=now,
        )
    return space


def update_space(
    session: Session,
    *,
    space_id: int,
    data: Mapping[str, Any],
    actor: User,
    settings: Settings,
    now: datetime,
    confirm_hours: bool = True,
) -> SafeSpace:
    space = get_space(session, space_id=space_id)
    values = clean_fields(session, data, settings=settings, space=space)
    changed = _apply(space, values, now=now)
    if "hours" in values and confirm_hours and values["hours"] is not None:
        space.hours_confirmed_date = today_in_london(now)
        changed.append("hours_confirmed_date")
    elif "hours" in changed and values["hours"] is None:
        space.hours_confirmed_date = None
    session.flush()
    if "geom" in changed:
        _assign_ward(session, space)
    audit.record(
        session,
        actor=actor,
        action="safespace.update",
        target_type="safe_space",
        target_id=space.id,
        detail={"changed": changed},
        at=now,
    )
    return space


def _assign_ward(session: Session, space: SafeSpace) -> None:
    """A safe space with its own point: its ward in every vintage (one at a venue has the venue's)."""
    point = from_db(space.geom) if space.geom is not None else None
    if point is None:
        ward_service.forget_records(session, subject=WARD_SUBJECT, subject_ids=[space.id])
        return
    ward_service.assign_record(session, subject=WARD_SUBJECT, subject_id=space.id, lon=point.x, lat=point.y)


def _apply(space: SafeSpace, values: Mapping[str, Any], *, now: datetime) -> list[str]:
    changed = []
    for key, value in values.items():
        current = getattr(space, key)
        # WKB elements do not compare by value: a given location always counts as a change.
        same = (value is None and current is None) if key == "geom" else current == value
        if not same:
            setattr(space, key, value)
            changed.append(key)
    if changed:
        space.updated_at = now
    return changed


def verify_space(session: Session, *, space_id: int, actor: User, now: datetime) -> SafeSpace:
    space = get_space(session, space_id=space_id)
    space.status, space.verified_at, space.verified_by_user_id, space.updated_at = "verified", now, actor.id, now
    session.flush()
    audit.record(session, actor=actor, action="safespace.verify", target_type="safe_space", target_id=space.id, at=now)
    return space


def withdraw_space(session: Session, *, space_id: int, actor: User, now: datetime, reason: str = "") -> SafeSpace:
    reason = reason.strip()
    if len(reason) > 300:
        raise InvalidSafeSpace("Keep the reason under 300 characters.", field="reason")
    space = get_space(session, space_id=space_id)
    space.status, space.updated_at = "withdrawn", now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="safespace.withdraw",
        target_type="safe_space",
        target_id=space.id,
        detail={"reason": reason},
        at=now,
    )
    return space


def confirm_hours(session: Session, *, space_id: int, actor: User, now: datetime) -> SafeSpace:
    """An officer checked the hours with the place: they count as current from today."""
    space = get_space(session, space_id=space_id)
    if space.hours is None:
        raise InvalidSafeSpace("Enter the opening hours before confirming them.", field="opening_hours")
    space.hours_confirmed_date, space.updated_at = today_in_london(now), now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="safespace.confirm_hours",
        target_type="safe_space",
        target_id=space.id,
        detail={"date": space.hours_confirmed_date.isoformat()},
        at=now,
    )
    return space


def list_spaces(session: Session, *, status: str | None = None) -> list[tuple[SafeSpace, Venue | None]]:
    if status is not None and status not in ("unverified", "verified", "withdrawn"):
        raise InvalidSearch("Status must be unverified, verified or withdrawn.", field="status")
    return repo.list_spaces(session, status=status)


def display_name(space: SafeSpace, venue: Venue | None) -> str:
    return (venue.name if venue is not None else space.name) or f"Safe space {space.id}"


def space_detail(session: Session, space: SafeSpace, venue: Venue | None, *, now: datetime) -> dict[str, Any]:
    """Everything about one space, for officers and owners (JSON API and pages)."""
    point = repo.point_of(session, space)
    schedule = _schedule(space.hours)
    status = _status(schedule, now, space.hours_confirmed_date)
    return {
        "id": space.id,
        "venue_id": space.venue_id,
        "name": display_name(space, venue),
        "kind": space.kind,
        "address": venue.address if venue is not None else space.address,
        "postcode": venue.postcode if venue is not None else space.postcode,
        "lon": point[0] if point else None,
        "lat": point[1] if point else None,
        "phone": space.phone,
        "access_note": space.access_note,
        "help_offered": list(space.help_offered or []),
        "codewords": list(space.codewords or []),
        "step_free": space.step_free,
        "languages": list(space.languages or []),
        "hours": space.hours,
        "opening_hours": schedule.to_text() if schedule is not None else None,
        "hours_confirmed_date": space.hours_confirmed_date.isoformat() if space.hours_confirmed_date else None,
        "hours_stale_on": (space.hours_confirmed_date + timedelta(days=STALE_AFTER_DAYS + 1)).isoformat()
        if space.hours_confirmed_date
        else None,
        "status": space.status,
        "verified": space.status == "verified",
        "owner_user_id": space.owner_user_id,
        "source": space.source,
        "external_id": space.external_id,
        "is_example": space.is_example,
        "open_now": _status_json(status),
    }


# --- owners and proposals ------------------------------------------------------------------------


def is_owner(session: Session, *, user: User, space: SafeSpace) -> bool:
    if space.owner_user_id == user.id:
        return True
    return space.venue_id is not None and repo.venue_manager_id(session, space.venue_id) == user.id


def spaces_owned_by(session: Session, *, user: User) -> list[tuple[SafeSpace, Venue | None]]:
    return repo.list_spaces(session, owner_user_id=user.id, manager_user_id=user.id)


def propose_change(
    session: Session,
    *,
    space_id: int,
    user: User,
    data: Mapping[str, Any],
    confirms_hours: bool,
    message: str | None,
    settings: Settings,
    now: datetime,
) -> SafeSpaceProposal:
    space = get_space(session, space_id=space_id)
    if user.role not in ("officer", "admin") and not is_owner(session, user=user, space=space):
        raise NotOwner()
    unknown = sorted(set(data) - OWNER_FIELDS - {"opening_hours", "overrides"})
    if unknown:
        raise InvalidSafeSpace(f"Owners cannot change {', '.join(unknown)}; ask an officer.", field=unknown[0])
    if space.venue_id is not None:
        given = [k for k in ("name", "address", "postcode") if k in data]
        if given:
            raise InvalidSafeSpace(
                "The name and address come from your venue's record; change them there.", field=given[0]
            )
    if message is not None and len(message.strip()) > 500:
        raise InvalidSafeSpace("Keep the message under 500 characters.", field="message")
    values = clean_fields(session, data, settings=settings, space=space)
    changes = {k: v for k, v in values.items() if getattr(space, k) != v}
    if not changes and not confirms_hours:
        raise InvalidSafeSpace(
            "Nothing would change: edit a field, or confirm that the hours are still right.", field="changes"
        )
    if confirms_hours and space.hours is None and "hours" not in changes:
        raise InvalidSafeSpace("There are no opening hours to confirm yet: enter them.", field="opening_hours")
    proposal = SafeSpaceProposal(
        safe_space_id=space.id,
        proposed_by_user_id=user.id,
        changes=changes,
        confirms_hours=confirms_hours,
        message=(message or "").strip() or None,
        status="pending",
        created_at=now,
    )
    session.add(proposal)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="safespace.propose",
        target_type="safe_space",
        target_id=space.id,
        detail={"proposal_id": proposal.id, "fields": sorted(changes), "confirms_hours": confirms_hours},
        at=now,
    )
    return proposal


def get_proposal(session: Session, *, proposal_id: int) -> SafeSpaceProposal:
    proposal = repo.get_proposal(session, proposal_id)
    if proposal is None:
        raise ProposalNotFound(proposal_id)
    return proposal


def list_proposals(session: Session, *, status: str | None = "pending") -> list[SafeSpaceProposal]:
    if status is not None and status not in ("pending", "approved", "rejected"):
        raise InvalidSearch("Status must be pending, approved or rejected.", field="status")
    return repo.list_proposals(session, status=status)


def decide_proposal(
    session: Session,
    *,
    proposal_id: int,
    approve: bool,
    actor: User,
    settings: Settings,
    now: datetime,
    note: str = "",
) -> SafeSpaceProposal:
    note = (note or "").strip()
    if len(note) > 500:
        raise InvalidSafeSpace("Keep the note under 500 characters.", field="note")
    if not approve and not note:
        raise InvalidSafeSpace("Say why the change is rejected (the owner is told).", field="note")
    proposal = get_proposal(session, proposal_id=proposal_id)
    if proposal.status != "pending":
        raise ProposalDecided(proposal.status)
    space = get_space(session, space_id=proposal.safe_space_id)
    changed: list[str] = []
    if approve:
        data = dict(proposal.changes)
        values = clean_fields(session, data, settings=settings, space=space)  # still valid today?
        changed = _apply(space, values, now=now)
        if proposal.confirms_hours or "hours" in values:
            if space.hours is not None:
                space.hours_confirmed_date = today_in_london(now)
                changed.append("hours_confirmed_date")
    proposal.status = "approved" if approve else "rejected"
    proposal.decided_at, proposal.decided_by_user_id, proposal.decision_note = now, actor.id, note or None
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"safespace.proposal.{proposal.status}",
        target_type="safe_space",
        target_id=space.id,
        detail={"proposal_id": proposal.id, "changed": changed},
        at=now,
    )
    proposer = repo.users_by_ids(session, [proposal.proposed_by_user_id] if proposal.proposed_by_user_id else [])
    if proposer:
        name = display_name(space, repo.get_venue(session, space.venue_id) if space.venue_id else None)
        body = (
            f"Your proposed change to {name} was {proposal.status}."
            + (f"\n\nNote from the officer: {note}" if note else "")
            + f"\n\nSee your safe spaces: {settings.base_url}/safe-spaces/mine"
        )
        mail.enqueue(
            session,
            to=proposer[0].email,
            subject=f"Safe space change {proposal.status}: {name}",
            body=body,
            dedupe_key=f"safespaces.proposal.{proposal.id}.{proposal.status}",
            now=now,
        )
    return proposal


# --- opening status --------------------------------------------------------------------------------


@lru_cache(maxsize=16384)
def _schedule_from_text(text: str | None) -> Schedule | None:
    """A Schedule from stored JSON text (None for no hours), cached: thousands of spaces share a
    few hundred distinct schedules, and parsing costs far more than evaluating."""
    if text is None:
        return None
    data = json.loads(text)
    return None if data is None else Schedule.from_json(data)


def _schedule(hours: Mapping[str, Any] | None) -> Schedule | None:
    if hours is None:
        return None
    return _schedule_from_text(json.dumps(hours, sort_keys=True, separators=(",", ":")))


def _status(
    schedule: Schedule | None, at: datetime, confirmed: date | None, stale_after_days: int = STALE_AFTER_DAYS
) -> OpenStatus:
    if schedule is None:
        return OpenStatus(at=at.astimezone(UTC), is_open=False, unsure_reason="opening hours not known")
    return status_at(schedule, at, hours_confirmed_date=confirmed, stale_after_days=stale_after_days)


def _local_hhmm(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(LONDON).strftime("%H:%M")


def _status_json(status: OpenStatus) -> dict[str, Any]:
    return {
        "is_open": status.is_open,
        "summary": status.describe(),
        "open_until": status.open_until.isoformat() if status.open_until else None,
        "open_until_local": _local_hhmm(status.open_until),
        "opens_at": status.opens_at.isoformat() if status.opens_at else None,
        "opens_at_local": _local_hhmm(status.opens_at),
        "closed_reason": status.unsure_reason,
    }


# --- nearest ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NearbySpace:
    id: int
    name: str
    kind: str
    address: str | None
    postcode: str | None
    phone: str | None
    access_note: str | None
    lon: float
    lat: float
    distance_m: float
    status: OpenStatus
    verified: bool
    is_example: bool
    help_offered: tuple[str, ...]
    codewords: tuple[str, ...]
    step_free: bool | None
    languages: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "address": self.address,
            "postcode": self.postcode,
            "phone": self.phone,
            "access_note": self.access_note,
            "lon": round(self.lon, 6),
            "lat": round(self.lat, 6),
            "distance_m": round(self.distance_m),
            "verified": self.verified,
            "is_example": self.is_example,
            "help_offered": list(self.help_offered),
            "codewords": list(self.codewords),
            "step_free": self.step_free,
            "languages": list(self.languages),
            **_status_json(self.status),
        }


@dataclass
class NearestResult:
    lon: float
    lat: float
    at: datetime
    open_only: bool
    limit: int
    spaces: list[NearbySpace]
    stats: ScanStats = field(default_factory=ScanStats)


def validate_search(
    lon: Any, lat: Any, *, at: datetime | None, limit: Any, now: datetime
) -> tuple[float, float, datetime, int]:
    try:
        lon, lat = ward_service.validate_point(lon, lat)
    except InvalidCoordinates as exc:
        raise InvalidSearch(exc.detail, field=exc.field) from None
    if at is None:
        at = now
    elif at.tzinfo is None or at.utcoffset() is None:
        at = at.replace(tzinfo=LONDON)  # a wall-clock time means London time
    try:
        limit = int(limit)
    except (TypeError, ValueError):
        raise InvalidSearch(f"limit must be a whole number from 1 to {MAX_LIMIT}.", field="limit") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidSearch(f"limit must be from 1 to {MAX_LIMIT}.", field="limit")
    return lon, lat, at, limit


def _tagged(keys: Iterator[tuple[int, float, Any]], source: str) -> Iterator[tuple[float, str, int, Any]]:
    for key, bound, row in keys:
        yield bound, source, key, row


def find_nearest(
    session: Session,
    *,
    lon: Any,
    lat: Any,
    at: datetime | None = None,
    open_only: bool = False,
    limit: Any = 5,
    now: datetime | None = None,
    stale_after_days: int = STALE_AFTER_DAYS,
    max_distance_m: float = MAX_DISTANCE_M,
) -> NearestResult:
    """The ``limit`` nearest safe spaces (not withdrawn) to a point at ``at``, optionally open ones only.

    Candidates come from the spatial index nearest first (spaces' own points and charter venues'
    points, merged by distance), in growing chunks; each chunk's exact distances (BNG metres) and
    opening status are computed, and the search stops once ``limit`` matches are nearer than the
    lower bound of every row not yet read."""
    lon, lat, at, limit = validate_search(lon, lat, at=at, limit=limit, now=now or datetime.now(UTC))
    stats = ScanStats()
    prefilter = None
    if open_only:
        # Inside the index scan, skip the spaces surely closed at this hour of the week (or with
        # stale hours): the few candidates left are nearly all open, so a small chunk will do.
        hour, today = week_hour(at)
        prefilter = repo.MaybeOpen(week_hour=hour, confirmed_since=today - timedelta(days=stale_after_days))
    chunk = max(8, limit * (2 if open_only else 3))
    streams = [
        _tagged(
            repo.nearest_space_keys(
                session, lon, lat, max_distance_m=max_distance_m, stats=stats, first_batch=chunk, prefilter=prefilter
            ),
            "s",
        )
    ]
    if repo.any_venue_linked(session):
        streams.append(
            _tagged(
                repo.nearest_venue_keys(
                    session, lon, lat, max_distance_m=max_distance_m, stats=stats, prefilter=prefilter
                ),
                "v",
            )
        )
    found: list[_Candidate] = []
    pending: list[tuple[str, int, Any]] = []
    bound = 0.0
    for bound, source, key, row in heapq.merge(*streams, key=lambda item: (item[0], item[1], item[2])):
        pending.append((source, key, row))
        if len(pending) < chunk:
            continue
        found.extend(_evaluate(session, pending, lon=lon, lat=lat, at=at, stale_after_days=stale_after_days))
        pending, chunk = [], chunk * 3
        matches = [c for c in found if c.status.is_open or not open_only]
        if sum(1 for c in matches if c.distance_m <= bound) >= limit:
            break
    else:
        found.extend(_evaluate(session, pending, lon=lon, lat=lat, at=at, stale_after_days=stale_after_days))
    best = sorted(
        (c for c in found if (c.status.is_open or not open_only) and c.distance_m <= max_distance_m),
        key=lambda c: (c.distance_m, c.id),
    )[:limit]
    spaces = [_nearby(c.row, c) for c in best]
    return NearestResult(lon=lon, lat=lat, at=at, open_only=open_only, limit=limit, spaces=spaces, stats=stats)


@dataclass(frozen=True, slots=True)
class _Candidate:
    id: int
    distance_m: float
    status: OpenStatus
    row: Any


def _evaluate(
    session: Session,
    pending: list[tuple[str, int, Any]],
    *,
    lon: float,
    lat: float,
    at: datetime,
    stale_after_days: int,
) -> list[_Candidate]:
    """Distance and opening status of a chunk of candidates: spaces' own public rows came with
    the index scan; those at venues are read in one go."""
    if not pending:
        return []
    rows = [row for source, _, row in pending if source == "s"]
    rows += repo.public_rows_at_venues(session, venue_ids=[k for s, k, _ in pending if s == "v"])
    if not rows:
        return []
    metres = distances_m(lon, lat, np.array([r.lon for r in rows]), np.array([r.lat for r in rows]))
    return [
        _Candidate(
            r.id, float(d), _status(_schedule_from_text(r.hours_text), at, r.hours_confirmed_date, stale_after_days), r
        )
        for r, d in zip(rows, metres, strict=True)
    ]


def _nearby(r: Any, candidate: _Candidate) -> NearbySpace:
    return NearbySpace(
        id=r.id,
        name=r.name,
        kind=r.kind,
        address=r.address,
        postcode=r.postcode,
        phone=r.phone,
        access_note=r.access_note,
        lon=float(r.lon),
        lat=float(r.lat),
        distance_m=candidate.distance_m,
        status=candidate.status,
        verified=r.status == "verified",
        is_example=bool(r.is_example),
        help_offered=tuple(r.help_offered or ()),
        codewords=tuple(r.codewords or ()),
        step_free=r.step_free,
        languages=tuple(r.languages or ()),
    )


def geojson(
    session: Session, *, at: datetime, bbox: tuple[float, float, float, float] | None = None, attribution: str = ""
) -> dict[str, Any]:
    """Every safe space that is not withdrawn, as an RFC 7946 FeatureCollection with its opening
    status at ``at`` (verified flag and example label in the properties)."""
    if at.tzinfo is None:
        raise InvalidSearch("at must include a time zone.", field="at")
    rows = repo.public_rows(session, bbox=bbox)
    features = []
    for r in rows:
        status = _status(_schedule_from_text(r.hours_text), at, r.hours_confirmed_date)
        features.append(
            {
                "type": "Feature",
                "id": r.id,
                "geometry": {"type": "Point", "coordinates": [round(float(r.lon), 6), round(float(r.lat), 6)]},
                "properties": {
                    "id": r.id,
                    "name": r.name,
                    "kind": r.kind,
                    "address": r.address,
                    "postcode": r.postcode,
                    "phone": r.phone,
                    "verified": r.status == "verified",
                    "is_example": bool(r.is_example),
                    "help_offered": list(r.help_offered or []),
                    "codewords": list(r.codewords or []),
                    "step_free": r.step_free,
                    **_status_json(status),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features, "at": at.isoformat(), "attribution": attribution}


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
        raise InvalidSearch("bbox must be minlon,minlat,maxlon,maxlat.", field="bbox")
    minx, miny, maxx, maxy = parts
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise InvalidSearch("bbox must be minlon,minlat,maxlon,maxlat within WGS84 bounds.", field="bbox")
    return minx, miny, maxx, maxy


# --- wards (no-JS search) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WardChoice:
    code: str
    name: str
    borough_name: str
    lon: float
    lat: float


def ward_choices(session: Session, *, settings: Settings) -> list[WardChoice]:
    """Served wards with a point inside each (its representative point), for choosing without a map."""
    return [
        WardChoice(w.code, w.name, w.borough_name, w.lon, w.lat)
        for w in ward_service.ward_choices(session, settings=settings)
    ]


def ward_point(session: Session, *, code: str) -> WardChoice:
    w = ward_service.ward_choice(session, code=code[:20], field="ward")
    return WardChoice(w.code, w.name, w.borough_name, w.lon, w.lat)


# --- CSV import ------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: int = 0
    already_present: int = 0
    rows: int = 0


_NHS_COLUMNS = {"ods_code", "name", "address1", "postcode", "latitude", "longitude"}
_GENERIC_COLUMNS = {"name", "kind", "latitude", "longitude"}


def _nhs_row(row: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    address = ", ".join(p.strip() for p in (row.get(f"address{i}") or "" for i in range(1, 5)) if p.strip())
    return f"nhs:{row['ods_code'].strip()}", {
        "name": " ".join((row.get("name") or "").split()),
        "kind": "pharmacy",
        "address": address or None,
        "postcode": row.get("postcode"),
        "phone": (row.get("phone") or "").strip() or None,
        "lon": row.get("longitude"),
        "lat": row.get("latitude"),
    }


def _generic_row(row: Mapping[str, str], number: int) -> tuple[str | None, dict[str, Any]]:
    data: dict[str, Any] = {
        "name": row.get("name"),
        "kind": (row.get("kind") or "").strip(),
        "lon": row.get("longitude"),
        "lat": row.get("latitude"),
    }
    for key in (
        "address",
        "postcode",
        "phone",
        "access_note",
        "help_offered",
        "codewords",
        "step_free",
        "languages",
        "opening_hours",
    ):
        if (row.get(key) or "").strip():
            data[key] = row[key]
    external = (row.get("external_id") or "").strip() or None
    return external, data


def _unreadable_csv(exc: csv.Error, where: str) -> InvalidImport:
    """A CSV the csv module cannot read, as a refusal naming the upload and saying what to do."""
    message = str(exc)
    if "new-line character" in message:
        why = (
            "has a line break inside a value: a lone carriage return (CR), as old Mac files end their lines. "
            "Save the file as 'CSV UTF-8' (lines ending in LF or CR LF)"
        )
    elif "field limit" in message:
        why = f"has a value longer than {csv.field_size_limit():,} characters; no safe-space column needs that"
    else:
        why = f"is not valid CSV ({message})"
    return InvalidImport(f"{where} {why}.", field="file")


def import_csv(
    session: Session,
    *,
    text: str,
    actor: User | None,
    settings: Settings,
    now: datetime,
    is_example: bool = False,
    label: str = "CSV upload",
) -> ImportResult:
    """Import safe spaces from CSV: the NHS pharmacy list (``ods_code,name,address1..4,postcode,
    phone,latitude,longitude``) or our own columns (``name,kind,latitude,longitude`` plus optional
    ``external_id,address,postcode,phone,access_note,help_offered,codewords,step_free,languages,
    opening_hours``). Everything imported is *unverified* and its hours *unconfirmed* (so never
    shown open) until an officer checks it. Rows whose ``external_id`` is already stored are
    skipped, so importing the same file twice adds nothing. Nothing is stored if any row is wrong."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        columns = {c.strip() for c in reader.fieldnames or []}
    except csv.Error as exc:
        raise _unreadable_csv(exc, "The header line") from None
    if _NHS_COLUMNS <= columns:
        nhs = True
    elif _GENERIC_COLUMNS <= columns:
        nhs = False
    else:
        raise InvalidImport(
            "The CSV needs a header with name, kind, latitude and longitude (or the NHS pharmacy "
            "columns ods_code, name, address1, postcode, latitude, longitude).",
            field="file",
        )
    area = prep(ward_service.service_area(session, settings=settings))
    parsed: list[tuple[str | None, dict[str, Any]]] = []
    seen: set[str] = set()
    result = ImportResult()
    try:
        for number, row in enumerate(reader, start=2):
            result.rows += 1
            if None in row:
                raise InvalidImport(f"Row {number}: more values than columns.", field="file")
            external, data = _nhs_row(row) if nhs else _generic_row(row, number)
            if external is not None:
                if external in seen:
                    raise InvalidImport(f"Row {number}: {external} appears twice in the file.", field="file")
                seen.add(external)
            try:
                lon, lat = ward_service.validate_point(
                    data.get("lon"), data.get("lat"), lon_field="longitude", lat_field="latitude"
                )
            except InvalidCoordinates as exc:
                raise InvalidImport(f"Row {number}: {exc.detail}", field="file") from None
            if not area.contains(Point(lon, lat)):
                raise InvalidImport(
                    f"Row {number} ({str(data.get('name'))[:60]}): the point is outside the area this council covers.",
                    field="file",
                )
            parsed.append((external, data))
            if result.rows > 20_000:
                raise InvalidImport("Import at most 20,000 rows at a time.", field="file")
    except csv.Error as exc:  # reading a row: the checks above raise InvalidImport, not csv.Error
        raise _unreadable_csv(exc, f"Line {reader.line_num}") from None
    if not parsed:
        raise InvalidImport("The file holds no rows.", field="file")
    existing = repo.by_external_ids(session, [e for e, _ in parsed if e])
    # Validate every row before storing any.
    cleaned: list[tuple[str | None, dict[str, Any]]] = []
    for number, (external, data) in enumerate(parsed, start=2):
        if external in existing:
            continue
        try:
            clean_fields(session, {**data}, settings=settings)
        except InvalidSafeSpace as exc:
            raise InvalidImport(
                f"Row {number} ({str(data.get('name'))[:60]}): {exc.field}: {exc.detail}", field="file"
            ) from None
        cleaned.append((external, data))
    for external, data in cleaned:
        create_space(
            session,
            data=data,
            actor=actor,
            settings=settings,
            now=now,
            confirm_hours=False,
            source="import",
            external_id=external,
            is_example=is_example,
            audit_action=None,
        )
    result.created = len(cleaned)
    result.already_present = len(parsed) - len(cleaned)
    audit.record(
        session,
        actor=actor,
        action="safespace.import",
        target_type="safe_space",
        target_id="import",
        detail={
            "label": label,
            "rows": result.rows,
            "created": result.created,
            "already_present": result.already_present,
            "examples": is_example,
        },
        at=now,
    )
    return result


# --- reminders -------------------------------------------------------------------------------------


def reconfirm_reminders(session: Session, *, now: datetime, settings: Settings) -> int:
    """Ask owners to re-confirm hours ``REMIND_DAYS_BEFORE`` days before they go stale, and again
    once stale; spaces without an owner are the officers' to check. Each (space, confirmation,
    stage, recipient) is mailed once ever (outbox dedupe key), so running twice sends nothing twice."""
    today = today_in_london(now)
    due_from = today - timedelta(days=STALE_AFTER_DAYS - REMIND_DAYS_BEFORE)
    queued = 0
    officers: list[User] | None = None
    for space, venue in repo.confirmed_on_or_before(session, on_or_before=due_from):
        assert space.hours_confirmed_date is not None
        stale_on = space.hours_confirmed_date + timedelta(days=STALE_AFTER_DAYS + 1)
        stage = "stale" if today >= stale_on else "due"
        owner_ids = {i for i in (space.owner_user_id, venue.manager_user_id if venue else None) if i}
        recipients = repo.users_by_ids(session, sorted(owner_ids))
        link = f"{settings.base_url}/safe-spaces/mine/{space.id}"
        if not recipients:
            officers = repo.active_officers(session) if officers is None else officers
            recipients = officers
            link = f"{settings.base_url}/officer/safe-spaces/{space.id}"
        name = display_name(space, venue)
        if stage == "due":
            subject = f"Please re-confirm the opening hours of {name}"
            body = (
                f"The opening hours of {name} were last confirmed on {space.hours_confirmed_date:%d %B %Y}. "
                f"From {stale_on:%d %B %Y} we will stop showing it as open (we never show a place as open "
                f"when we are unsure). Please check the hours and confirm them: {link}"
            )
        else:
            subject = f"{name} is no longer shown as open"
            body = (
                f"The opening hours of {name} have not been confirmed since "
                f"{space.hours_confirmed_date:%d %B %Y}, so people looking for help are told it is closed. "
                f"Confirm the hours to show it as open again: {link}"
            )
        for user in recipients:
            key = f"safespaces.reconfirm.{stage}:{space.id}:{space.hours_confirmed_date.isoformat()}:{user.id}"
            if mail.enqueue(session, to=user.email, subject=subject, body=body, dedupe_key=key, now=now):
                queued += 1
    return queued


def hours_due(session: Session, *, now: datetime) -> list[tuple[SafeSpace, Venue | None, date]]:
    """Spaces whose hours go stale within ``REMIND_DAYS_BEFORE`` days or already have (officer page)."""
    today = today_in_london(now)
    due_from = today - timedelta(days=STALE_AFTER_DAYS - REMIND_DAYS_BEFORE)
    return [
        (s, v, s.hours_confirmed_date + timedelta(days=STALE_AFTER_DAYS + 1))
        for s, v in repo.confirmed_on_or_before(session, on_or_before=due_from)
        if s.hours_confirmed_date is not None
    ]


def iter_help_labels(keys: Iterable[str]) -> list[str]:
    return [HELP_LABELS.get(k, k) for k in keys]
