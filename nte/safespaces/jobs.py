"""Scheduled jobs of the safe-space domain (registered in ``nte.scheduler.JOBS``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from nte.config import get_settings
from nte.safespaces import service


def reconfirm_reminders(session: Session, *, now: datetime) -> int:
    """Daily: ask owners (or officers) to re-confirm opening hours before they go stale."""
    return service.reconfirm_reminders(session, now=now, settings=get_settings())
