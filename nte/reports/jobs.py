"""Scheduled jobs for reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from nte.config import get_settings
from nte.reports import service


def purge_free_text(session: Session, *, now: datetime) -> int:
    """``reports.purge_free_text``: free text older than NTE_REPORT_RETENTION_DAYS is deleted."""
    return service.purge_free_text(session, now=now, retention_days=get_settings().report_retention_days)
