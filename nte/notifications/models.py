from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from nte.db import Base, utcnow


class OutboxMessage(Base):
    """Mail waiting to be sent. ``dedupe_key`` makes every reminder idempotent: enqueueing the
    same key twice keeps one message, so a job run twice (or after a restart) sends nothing twice."""

    __tablename__ = "notification_outbox"
    __table_args__ = (sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
