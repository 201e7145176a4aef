"""A venue's history as its officer and its manager read it: every status change, with the words
given at each step, and the audit events an officer sees on the venue's page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.audit.models import AuditEvent
from nte.venues.models import Venue
from nte.venues.service.lifecycle import ACTIONS

#: Audit actions that change a venue's status: the history shown to officers and managers.
STATUS_EVENTS = tuple(f"venue.{a}" for a in ACTIONS) + ("venue.sign_up",)


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


def recent_events(session: Session, *, venue: Venue, limit: int = 50) -> list[AuditEvent]:
    """The venue's latest audit events, newest first (the officer's page)."""
    return audit.list_events(session, target_type="venue", target_id=venue.id, limit=limit)
