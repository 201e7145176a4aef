"""Re-confirming opening hours: owners (or, for spaces without one, officers) are asked before the
hours go stale and again once they have; officers see what is due."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from nte.auth.models import User
from nte.config import Settings
from nte.london import london_today
from nte.notifications import service as mail
from nte.safespaces import messages
from nte.safespaces import repository as repo
from nte.safespaces.models import SafeSpace
from nte.safespaces.service.registry import display_name
from nte.safespaces.service.status import STALE_AFTER_DAYS
from nte.venues.models import Venue

REMIND_DAYS_BEFORE = 14
"""Owners (or officers) are asked to re-confirm this many days before hours go stale."""


def _due_from(now: datetime) -> date:
    return london_today(now) - timedelta(days=STALE_AFTER_DAYS - REMIND_DAYS_BEFORE)


def _stale_on(confirmed: date) -> date:
    return confirmed + timedelta(days=STALE_AFTER_DAYS + 1)


def _reminder(space: SafeSpace, venue: Venue | None, *, stage: str, link: str) -> tuple[str, str]:
    """The subject and body asking to re-confirm (``due``) or saying the space is shown closed (``stale``)."""
    assert space.hours_confirmed_date is not None
    values = {
        "name": display_name(space, venue),
        "confirmed": f"{space.hours_confirmed_date:%d %B %Y}",
        "stale_on": f"{_stale_on(space.hours_confirmed_date):%d %B %Y}",
        "link": link,
    }
    if stage == "due":
        return messages.RECONFIRM_DUE_SUBJECT % values, messages.RECONFIRM_DUE_BODY % values
    return messages.RECONFIRM_STALE_SUBJECT % values, messages.RECONFIRM_STALE_BODY % values


def reconfirm_reminders(session: Session, *, now: datetime, settings: Settings) -> int:
    """Ask owners to re-confirm hours ``REMIND_DAYS_BEFORE`` days before they go stale, and again
    once stale; spaces without an owner are the officers' to check. Each (space, confirmation,
    stage, recipient) is mailed once ever (outbox dedupe key), so running twice sends nothing twice."""
    today = london_today(now)
    queued = 0
    officers: list[User] | None = None
    for space, venue in repo.confirmed_on_or_before(session, on_or_before=_due_from(now)):
        assert space.hours_confirmed_date is not None
        stage = "stale" if today >= _stale_on(space.hours_confirmed_date) else "due"
        owner_ids = {i for i in (space.owner_user_id, venue.manager_user_id if venue else None) if i}
        recipients = repo.users_by_ids(session, sorted(owner_ids))
        link = f"{settings.base_url}/safe-spaces/mine/{space.id}"
        if not recipients:
            officers = repo.active_officers(session) if officers is None else officers
            recipients = officers
            link = f"{settings.base_url}/officer/safe-spaces/{space.id}"
        subject, body = _reminder(space, venue, stage=stage, link=link)
        for user in recipients:
            key = f"safespaces.reconfirm.{stage}:{space.id}:{space.hours_confirmed_date.isoformat()}:{user.id}"
            if mail.enqueue(session, to=user.email, subject=subject, body=body, dedupe_key=key, now=now):
                queued += 1
    return queued


def hours_due(session: Session, *, now: datetime) -> list[tuple[SafeSpace, Venue | None, date]]:
    """Spaces whose hours go stale within ``REMIND_DAYS_BEFORE`` days or already have (officer page)."""
    return [
        (s, v, _stale_on(s.hours_confirmed_date))
        for s, v in repo.confirmed_on_or_before(session, on_or_before=_due_from(now))
        if s.hours_confirmed_date is not None
    ]
