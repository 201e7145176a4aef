"""Every query on the audit log."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nte.audit.models import AuditEvent


def add(session: Session, event: AuditEvent) -> AuditEvent:
    session.add(event)
    session.flush()
    return event


def list_events(
    session: Session,
    *,
    target_type: str | None = None,
    target_id: str | None = None,
    action_prefix: str | None = None,
    limit: int = 200,
) -> list[AuditEvent]:
    """Newest first."""
    stmt = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    if target_type:
        stmt = stmt.where(AuditEvent.target_type == target_type)
    if target_id is not None:
        stmt = stmt.where(AuditEvent.target_id == target_id)
    if action_prefix:
        stmt = stmt.where(AuditEvent.action.startswith(action_prefix))
    return list(session.scalars(stmt))


def has_event_since(
    session: Session, *, actor_user_id: int, action: str, target_type: str, target_id: str, since: datetime
) -> bool:
    stmt = sa.select(AuditEvent.id).where(
        AuditEvent.action == action,
        AuditEvent.at >= since,
        AuditEvent.actor_user_id == actor_user_id,
        AuditEvent.target_type == target_type,
        AuditEvent.target_id == target_id,
    )
    return session.execute(stmt.limit(1)).first() is not None
