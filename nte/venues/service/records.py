"""What every part of the register does with a venue record: find it for a person (``venue_for``),
finish a change (``saved``: touch, flush, audit), place it in its wards, and mail its manager."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth import repository as auth_repo
from nte.auth.models import Role, User
from nte.config import get_settings
from nte.notifications import service as outbox
from nte.spatial import from_db
from nte.venues import repository as repo
from nte.venues.exceptions import VenueNotFound
from nte.venues.models import WARD_SUBJECT, Venue
from nte.wards import service as wards_service


def add_year(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def touch(venue: Venue, now: datetime) -> None:
    """Every change to a venue (or anything shown with it) bumps ``updated_at``: the public cache key."""
    venue.updated_at = now


def saved(
    session: Session,
    venue: Venue,
    *,
    actor: User | None,
    action: str,
    now: datetime,
    detail: Callable[[], dict[str, Any]],
) -> None:
    """Finish a change to a venue: touch it, write it, and audit it. ``detail`` is built after the
    write, so it can name the ids of rows the change added."""
    touch(venue, now)
    session.flush()
    audit.record(session, actor=actor, action=action, target_type="venue", target_id=venue.id, detail=detail(), at=now)


def venue_for(session: Session, *, user: User, venue_id: int) -> Venue:
    """The venue, if ``user`` may see it: its manager, or an officer/admin. Others get 404 (not 403:
    the existence of a venue id is nobody else's business)."""
    venue = repo.get_venue(session, venue_id)
    if venue is None:
        raise VenueNotFound()
    if user.role in (Role.officer, Role.admin) or venue.manager_user_id == user.id:
        return venue
    raise VenueNotFound()


def assign_ward(session: Session, venue: Venue) -> None:
    """The venue's ward in every vintage, from its pin."""
    point = from_db(venue.geom)
    assert point is not None  # venue.geom is NOT NULL
    wards_service.assign_record(session, subject=WARD_SUBJECT, subject_id=venue.id, lon=point.x, lat=point.y)


def site_url(path: str) -> str:
    """An address on this service, for a mail (``/venue-portal/4``)."""
    return get_settings().base_url.rstrip("/") + path


def mail_manager(session: Session, venue: Venue, *, subject: str, body: str, dedupe_key: str, now: datetime) -> bool:
    """Queue a mail to the venue's manager, when it has one (False: nobody to tell, or sent before)."""
    manager = auth_repo.get_user(session, venue.manager_user_id) if venue.manager_user_id else None
    if manager is None:
        return False
    return (
        outbox.enqueue(session, to=manager.email, subject=subject, body=body, dedupe_key=dedupe_key, now=now)
        is not None
    )
