"""Scheduled map jobs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from nte.config import get_settings
from nte.maps.public import rebuild_public


def rebuild_public_maps(session: Session, *, now: datetime) -> int:
    """Publish the public ward maps of newly closed periods (idempotent: published periods are frozen)."""
    return rebuild_public(session, settings=get_settings(), now=now)
