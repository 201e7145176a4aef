"""Every query on the outbox."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nte.notifications.models import OutboxMessage
from nte.spatial import lock_rows


def dedupe_key_used(session: Session, dedupe_key: str) -> bool:
    return session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None


def list_messages(session: Session, *, status: str | None = None, limit: int = 200) -> list[OutboxMessage]:
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(OutboxMessage.status == status)
    return list(session.scalars(stmt))


def next_due(session: Session, *, now: datetime) -> OutboxMessage | None:
    """The oldest pending message due by ``now``, locked (SKIP LOCKED on PostgreSQL, so two
    schedulers never take the same one; SQLite serialises writers)."""
    stmt = (
        sa.select(OutboxMessage)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(1)
    )
    return session.scalars(lock_rows(stmt, session, skip_locked=True)).first()
