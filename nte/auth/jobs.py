"""Scheduled account jobs (registered in ``nte/scheduler.py``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from nte.auth import service
from nte.config import get_settings


def remove_unused_accounts(session: Session, *, now: datetime) -> int:
    """``auth.remove_unused_accounts``: accounts that never set a password, whose invitation ended
    more than NTE_UNUSED_ACCOUNT_DAYS ago, are deleted (audited). Idempotent."""
    return service.remove_stale_invitees(session, now=now, days=get_settings().unused_account_days)
