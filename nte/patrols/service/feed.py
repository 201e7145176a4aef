"""The volunteer's secret calendar feed (iCalendar)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from nte.auth import repository as auth_repo
from nte.auth.security import new_token, token_hash
from nte.config import Settings
from nte.patrols import ical
from nte.patrols import repository as repo
from nte.patrols.exceptions import (
    PatrolNotFound,
)
from nte.patrols.models import (
    Volunteer,
)
from nte.patrols.service.areas import area_geometry
from nte.patrols.service.schedule import location_text


def issue_feed_token(session: Session, *, volunteer: Volunteer, now: datetime) -> str:
    """A new secret feed URL token (shown once); the previous URL stops working at once."""
    token = new_token("cal_")
    volunteer.feed_token_hash = token_hash(token)
    volunteer.feed_token_created_at = now
    session.flush()
    return token


def revoke_feed_token(session: Session, *, volunteer: Volunteer, now: datetime) -> None:
    volunteer.feed_token_hash = None
    volunteer.feed_token_created_at = None
    volunteer.updated_at = now
    session.flush()


def feed_url(token: str, *, settings: Settings) -> str:
    """The secret calendar address shown to the volunteer: the configured public base URL, never
    the request's Host header (a forged Host would otherwise put another site's address on the page)."""
    return f"{settings.base_url}/api/patrols/feed/{token}.ics"


def feed_for_token(session: Session, *, token: str, now: datetime, settings: Settings) -> tuple[bytes, str]:
    """The volunteer's calendar (bytes, weak ETag): DTSTAMP is ``now``, LAST-MODIFIED when the night
    or the sign-up last changed, each event links to the volunteer's shifts page."""
    volunteer = repo.volunteer_by_feed_hash(session, token_hash(token)) if token else None
    if volunteer is None:
        raise PatrolNotFound("calendar feed (the address may have been revoked)", field="token")
    user = auth_repo.get_user(session, volunteer.user_id)
    areas = {a.id: a for a in repo.list_areas(session)}
    shifts_page = f"{settings.base_url}/volunteer"
    events = []
    for signup, shift in repo.signups_of_volunteer(session, volunteer.id, from_at=now - timedelta(days=90)):
        if signup.confirmed_at is None:
            continue  # never held a place: not in the calendar
        area = areas[shift.area_id]
        cancelled = shift.status == "cancelled" or signup.status != "confirmed"
        centre = area_geometry(area).representative_point()
        events.append(
            ical.FeedEvent(
                uid=f"patrol-shift-{shift.id}@nte-safe",
                start_at=shift.start_at,
                end_at=shift.end_at,
                summary=f"Patrol: {area.name}",
                location=location_text(area, shift.meeting_point),
                description=(
                    "Check in when you arrive and confirm you are home safe afterwards."
                    if not cancelled
                    else "This shift is cancelled for you."
                ),
                sequence=shift.sequence + signup.feed_sequence,
                status=ical.EventStatus.CANCELLED if cancelled else ical.EventStatus.CONFIRMED,
                last_modified=max(shift.last_modified_at, signup.updated_at),
                geo=(centre.y, centre.x),
                url=shifts_page,
            )
        )
    name = f"Patrol shifts – {user.display_name}" if user else "Patrol shifts"
    body = ical.build_feed(name, events, generated_at=now)
    return body, ical.etag_for(body)
