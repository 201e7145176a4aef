"""The audit log: call ``record`` inside the same transaction as the change it describes."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from nte.audit import repository as repo
from nte.audit.models import AuditEvent
from nte.db import utcnow

if TYPE_CHECKING:
    from nte.auth.models import User


def record(
    session: Session,
    *,
    actor: User | None,
    action: str,
    target_type: str,
    target_id: str | int,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    event = AuditEvent(
        at=at or utcnow(),
        actor_user_id=actor.id if actor else None,
        actor_label=f"{actor.email} ({actor.role})" if actor else "system",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        detail=detail or {},
    )
    return repo.add(session, event)


def record_once_since(
    session: Session,
    *,
    actor: User,
    action: str,
    target_type: str,
    target_id: str | int,
    since: datetime,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent | None:
    """``record``, unless the actor already has this event on this target since ``since``: for reads a
    client repeats many times a minute (a GIS tool panning), one entry a day says who read what."""
    if repo.has_event_since(
        session,
        actor_user_id=actor.id,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        since=since,
    ):
        return None
    return record(
        session, actor=actor, action=action, target_type=target_type, target_id=target_id, detail=detail, at=at
    )


def list_events(
    session: Session,
    *,
    target_type: str | None = None,
    target_id: str | int | None = None,
    action_prefix: str | None = None,
    limit: int = 200,
) -> list[AuditEvent]:
    return repo.list_events(
        session,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        action_prefix=action_prefix,
        limit=limit,
    )
