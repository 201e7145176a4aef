"""Where a verified venue stands with its yearly renewal: the window before expiry in which its
manager may renew (``NTE_VENUE_RENEWAL_WINDOW_DAYS``), once per cycle, and the reminders' days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from nte.errors import NTEError
from nte.london import london_today
from nte.venues import repository as repo
from nte.venues.config import VenueSettings, get_venue_settings
from nte.venues.exceptions import AlreadyRenewed, RenewalNotOpen
from nte.venues.models import Venue

#: The reminders before a renewal date with the default 60-day window: the first when the window
#: opens, then 30 and 7 days before.
REMINDER_DAYS = (60, 30, 7)
LATER_REMINDERS = (30, 7)


def reminder_days(window_days: int) -> tuple[int, ...]:
    """The days before the renewal date a reminder goes out: the first when renewal opens (the
    configured window), then the later ones that fall inside it."""
    return (window_days, *(d for d in LATER_REMINDERS if d < window_days))


@dataclass(frozen=True)
class Renewal:
    """Where a venue stands with its yearly renewal, for the manager's portal."""

    renewal_date: date | None
    days_left: int | None
    opens_on: date | None
    #: The manager may renew now (a verified venue within its window, not yet renewed this cycle).
    open: bool
    #: Why not, in words the page translates (None when open, or when renewal does not apply).
    refusal: NTEError | None = None
    #: A lapsed or withdrawn venue: the manager may ask to renew (an officer then checks it).
    can_request: bool = False
    window_days: int = 60


def renewal_refusal(session: Session, venue: Venue, *, today: date, window_days: int) -> NTEError | None:
    """Why a verified venue cannot be renewed today: too early (the window opens ``window_days``
    before expiry), or already renewed this cycle (the renewal moved the expiry on, so the window
    for the new expiry has not opened). None: it may be renewed."""
    if venue.renewal_date is None:
        return None
    opens_on = venue.renewal_date - timedelta(days=window_days)
    if today >= opens_on:
        return None
    last = repo.last_renewal(session, venue.id, kind="renew")
    if last is not None and last.renewal_date_after == venue.renewal_date:
        return AlreadyRenewed(venue.renewal_date, last.renewed_on, opens_on)
    return RenewalNotOpen(venue.renewal_date, opens_on, window_days)


def renewal(session: Session, venue: Venue, *, now: datetime, venue_settings: VenueSettings | None = None) -> Renewal:
    """Renewal opens ``renewal_window_days`` before the charter expires (when the first reminder goes
    out) and closes once renewed; a lapsed or withdrawn venue may ask an officer to renew it."""
    window = (venue_settings or get_venue_settings()).renewal_window_days
    if venue.status in ("lapsed", "withdrawn"):
        return Renewal(venue.renewal_date, None, None, open=False, can_request=True, window_days=window)
    if venue.status != "verified" or venue.renewal_date is None:
        return Renewal(venue.renewal_date, None, None, open=False, window_days=window)
    today = london_today(now)
    refusal = renewal_refusal(session, venue, today=today, window_days=window)
    return Renewal(
        venue.renewal_date,
        (venue.renewal_date - today).days,
        venue.renewal_date - timedelta(days=window),
        open=refusal is None,
        refusal=refusal,
        window_days=window,
    )
