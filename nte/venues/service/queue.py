"""The officers' queue: venues by status with their flags (and whether a waiting one was
resubmitted or asked to be renewed), the venues that need attention, and possible duplicates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth.models import User
from nte.errors import Invalid
from nte.london import london_today
from nte.venues import repository as repo
from nte.venues.exceptions import TransitionRefused, VenueNotFound
from nte.venues.models import VENUE_STATUSES, Venue, VenueDuplicate
from nte.venues.service.flags import flags_by_venue

NOTE_MAX = 500


@dataclass
class VenueFlags:
    venue: Venue
    flags: list[str]
    resubmitted: bool = False  # the manager resubmitted it after an officer asked for changes
    renewal_requested: bool = False  # back in the queue: its manager asked to renew a lapsed/withdrawn venue


def _waiting_after(session: Session, action: str, *, waiting: set[int], created: dict[int, datetime]) -> set[int]:
    """The waiting venues (ids in ``waiting``) with a ``venue.<action>`` event since they were
    created (an older event belongs to a deleted venue whose id was reused)."""
    if not waiting:
        return set()
    events = audit.list_events(session, target_type="venue", action_prefix=f"venue.{action}", limit=10_000)
    return {
        int(e.target_id) for e in events if int(e.target_id) in created and e.at >= created[int(e.target_id)]
    } & waiting


def officer_queue(
    session: Session, *, status: str | None, now: datetime, include_examples: bool = False
) -> list[VenueFlags]:
    if status and status not in VENUE_STATUSES:
        raise Invalid("Choose a known status.", field="status")
    flags = flags_by_venue(session, today=london_today(now))
    venues = repo.list_venues(session, statuses=[status] if status else None, include_examples=include_examples)
    waiting = {v.id for v in venues if v.status == "submitted"}
    created = {v.id: v.created_at for v in venues}
    resubmitted = _waiting_after(session, "resubmit", waiting=waiting, created=created)
    requested = _waiting_after(session, "request_renewal", waiting=waiting, created=created)
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


def resolve_duplicate(session: Session, *, actor: User, duplicate_id: int, note: str, now: datetime) -> VenueDuplicate:
    dup = repo.get_duplicate(session, duplicate_id)
    if dup is None:
        raise VenueNotFound(field="duplicate_id")
    note = (note or "").strip()
    if not note:
        raise Invalid("Say what you found (for example 'same venue, new manager contacted').", field="note")
    if len(note) > NOTE_MAX:
        raise Invalid(f"The note must be {NOTE_MAX} characters or fewer.", field="note")
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
