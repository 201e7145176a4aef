"""The registry: officers add, edit, verify and withdraw safe spaces; one space's detail for
officers, owners and the public API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth.models import User
from nte.config import Settings
from nte.london import london_today
from nte.safespaces import repository as repo
from nte.safespaces.exceptions import InvalidSafeSpace, InvalidSearch, SafeSpaceNotFound
from nte.safespaces.models import STATUSES, WARD_SUBJECT, SafeSpace, SafeSpaceProposal
from nte.safespaces.service.fields import clean_fields
from nte.safespaces.service.status import STALE_AFTER_DAYS, schedule_of, status_json, status_of
from nte.spatial import from_db
from nte.venues.models import Venue
from nte.wards import service as ward_service

PRIVATE_DETAIL = ("owner_user_id", "hours_stale_on")
"""What the public view of one space leaves out."""


def record_event(
    session: Session,
    action: str,
    *,
    space_id: int,
    actor: User | None,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    """The audit event of something done to one safe space."""
    audit.record(
        session, actor=actor, action=action, target_type="safe_space", target_id=space_id, detail=detail, at=now
    )


def get_space(session: Session, *, space_id: int) -> SafeSpace:
    space = repo.get(session, space_id)
    if space is None:
        raise SafeSpaceNotFound(space_id)
    return space


def venue_of(session: Session, space: SafeSpace) -> Venue | None:
    """The charter venue a space is, if any."""
    return repo.get_venue(session, space.venue_id) if space.venue_id else None


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
        space.hours_confirmed_date = london_today(now)
    if status == "verified":
        space.verified_at, space.verified_by_user_id = now, actor.id if actor else None
    session.add(space)
    session.flush()
    _assign_ward(session, space)
    if audit_action:
        record_event(
            session,
            audit_action,
            space_id=space.id,
            actor=actor,
            now=now,
            detail={"fields": sorted(values), "status": status},
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
    keep_venue: bool = False,
) -> SafeSpace:
    """Change the given fields. ``keep_venue``: the edit form had no venue box, so a space at a
    venue stays there (and the venue is checked again, as if it had been sent)."""
    space = get_space(session, space_id=space_id)
    if keep_venue and space.venue_id is not None and "venue_id" not in data:
        data = {**data, "venue_id": space.venue_id}
    values = clean_fields(session, data, settings=settings, space=space)
    changed = apply_values(space, values, now=now)
    if "hours" in values and confirm_hours and values["hours"] is not None:
        space.hours_confirmed_date = london_today(now)
        changed.append("hours_confirmed_date")
    elif "hours" in changed and values["hours"] is None:
        space.hours_confirmed_date = None
    session.flush()
    if "geom" in changed:
        _assign_ward(session, space)
    record_event(session, "safespace.update", space_id=space.id, actor=actor, now=now, detail={"changed": changed})
    return space


def _assign_ward(session: Session, space: SafeSpace) -> None:
    """A safe space with its own point: its ward in every vintage (one at a venue has the venue's)."""
    point = from_db(space.geom) if space.geom is not None else None
    if point is None:
        ward_service.forget_records(session, subject=WARD_SUBJECT, subject_ids=[space.id])
        return
    ward_service.assign_record(session, subject=WARD_SUBJECT, subject_id=space.id, lon=point.x, lat=point.y)


def apply_values(space: SafeSpace, values: Mapping[str, Any], *, now: datetime) -> list[str]:
    """Set the cleaned values on ``space``; the names of those that changed."""
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
    record_event(session, "safespace.verify", space_id=space.id, actor=actor, now=now)
    return space


def withdraw_space(session: Session, *, space_id: int, actor: User, now: datetime, reason: str = "") -> SafeSpace:
    reason = reason.strip()
    if len(reason) > 300:
        raise InvalidSafeSpace({"reason": "Keep the reason under 300 characters."})
    space = get_space(session, space_id=space_id)
    space.status, space.updated_at = "withdrawn", now
    session.flush()
    record_event(session, "safespace.withdraw", space_id=space.id, actor=actor, now=now, detail={"reason": reason})
    return space


def confirm_hours(session: Session, *, space_id: int, actor: User, now: datetime) -> SafeSpace:
    """An officer checked the hours with the place: they count as current from today."""
    space = get_space(session, space_id=space_id)
    if space.hours is None:
        raise InvalidSafeSpace({"opening_hours": "Enter the opening hours before confirming them."})
    space.hours_confirmed_date, space.updated_at = london_today(now), now
    session.flush()
    record_event(
        session,
        "safespace.confirm_hours",
        space_id=space.id,
        actor=actor,
        now=now,
        detail={"date": space.hours_confirmed_date.isoformat()},
    )
    return space


def change_status(
    session: Session, *, space_id: int, action: str, actor: User, now: datetime, reason: str = ""
) -> None:
    """An officer's button on the space's page: verify, withdraw (with a reason) or confirm hours."""
    if action == "verify":
        verify_space(session, space_id=space_id, actor=actor, now=now)
    elif action == "withdraw":
        withdraw_space(session, space_id=space_id, actor=actor, now=now, reason=reason)
    elif action == "confirm_hours":
        confirm_hours(session, space_id=space_id, actor=actor, now=now)
    else:
        raise InvalidSafeSpace({"action": "Choose verify, withdraw or confirm hours."})


def list_spaces(session: Session, *, status: str | None = None) -> list[tuple[SafeSpace, Venue | None]]:
    if status is not None and status not in STATUSES:
        raise InvalidSearch("Status must be unverified, verified or withdrawn.", field="status")
    return repo.list_spaces(session, status=status)


def display_name(space: SafeSpace, venue: Venue | None) -> str:
    return (venue.name if venue is not None else space.name) or f"Safe space {space.id}"


def space_detail(session: Session, space: SafeSpace, venue: Venue | None, *, now: datetime) -> dict[str, Any]:
    """Everything about one space, for officers and owners (JSON API and pages)."""
    point = repo.point_of(session, space)
    schedule = schedule_of(space.hours)
    status = status_of(schedule, now, space.hours_confirmed_date)
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
        "open_now": status_json(status),
    }


def detail_of(session: Session, space: SafeSpace, *, now: datetime) -> dict[str, Any]:
    """``space_detail`` of a space just read or written (its venue looked up)."""
    return space_detail(session, space, venue_of(session, space), now=now)


def public_detail(session: Session, *, space_id: int, now: datetime) -> dict[str, Any]:
    """One space as anyone may see it: not withdrawn, without its owner or staleness date."""
    space = get_space(session, space_id=space_id)
    if space.status == "withdrawn":
        raise SafeSpaceNotFound(space_id)
    detail = detail_of(session, space, now=now)
    for private in PRIVATE_DETAIL:
        detail.pop(private)
    return detail


@dataclass(frozen=True)
class SpaceRecord:
    """One space as its officer and owner pages show it: the detail, the venue it is, the owner's
    e-mail and the latest proposed changes."""

    space: SafeSpace
    detail: dict[str, Any]
    venue: Venue | None
    owner_email: str
    proposals: list[SafeSpaceProposal]


def space_record(session: Session, *, space_id: int, now: datetime) -> SpaceRecord:
    space = get_space(session, space_id=space_id)
    venue = venue_of(session, space)
    owner = repo.users_by_ids(session, [space.owner_user_id]) if space.owner_user_id else []
    return SpaceRecord(
        space=space,
        detail=space_detail(session, space, venue, now=now),
        venue=venue,
        owner_email=owner[0].email if owner else "",
        proposals=repo.list_proposals(session, status=None, space_id=space.id, limit=20),
    )
