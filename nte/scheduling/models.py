from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from nte.db import Base, utcnow


class JobRun(Base):
    """One run of a scheduled job for one trigger time. The unique key is the exactly-once guard:
    a second scheduler (or a restart) that tries the same trigger finds the row and skips it."""

    __tablename__ = "scheduler_job_run"
    __table_args__ = (sa.UniqueConstraint("job_id", "scheduled_for"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(sa.String(80))
    scheduled_for: Mapped[datetime]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(sa.String(10), default="running")
    result: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(sa.String(500))
