"""The outbox: services enqueue mail inside their transaction; a job delivers it after commit."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nte.db import utcnow
from nte.notifications.models import OutboxMessage


def enqueue(
    session: Session, *, to: str, subject: str, body: str, dedupe_key: str | None = None, now: datetime | None = None
) -> OutboxMessage | None:
    """Queue one e-mail. With a ``dedupe_key`` the same message is queued at most once, ever:
    returns None when it already was (so reminder jobs are idempotent)."""
    if dedupe_key is not None:
        existing = session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key))
        if existing is not None:
            return None
    message = OutboxMessage(
        to_address=to,
        subject=subject[:200],
        body=body,
        dedupe_key=dedupe_key,
        created_at=now or utcnow(),
        next_attempt_at=now or utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(message)
            session.flush()
    except sa.exc.IntegrityError:
        return None  # a concurrent run queued the same key first
    return message


def list_messages(session: Session, *, status: str | None = None, limit: int = 200) -> list[OutboxMessage]:
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(OutboxMessage.status == status)
    return list(session.scalars(stmt))
