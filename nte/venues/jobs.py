"""Renewal jobs: reminders before the renewal date (the first when the renewal window opens,
``NTE_VENUE_RENEWAL_WINDOW_DAYS``, then 30 and 7 days before), lapsing expired venues, and lapsing
venues whose failed spot check was not put right in time. All are idempotent: each reminder carries
an outbox dedupe key (venue, renewal date, threshold), so a second run or a restart queues nothing
new; a lapsed venue is not selected again."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.i18n import Formatted
from nte.london import london_today
from nte.venues import messages, service
from nte.venues import repository as repo
from nte.venues.config import VenueSettings, get_venue_settings
from nte.venues.exceptions import long_date
from nte.venues.service.records import mail_manager, site_url


def renewal_reminders(session: Session, *, now: datetime, venue_settings: VenueSettings | None = None) -> int:
    """Queue one reminder per venue and threshold: the tightest threshold reached (a venue first seen
    5 days before its date gets the 7-day reminder, not three mails at once)."""
    today = london_today(now)
    days = service.reminder_days((venue_settings or get_venue_settings()).renewal_window_days)
    queued = 0
    for venue in repo.venues_due_for_renewal(session, on_or_before=today + timedelta(days=max(days))):
        assert venue.renewal_date is not None
        days_left = (venue.renewal_date - today).days
        if days_left < 0:
            continue
        threshold = min(d for d in days if d >= days_left)
        subject, body = messages.RENEWAL_REMINDER.render(
            venue=venue.name,
            date=messages.day_month_year(venue.renewal_date),
            days=days_left,
            link=site_url("/venue-portal"),
        )
        queued += mail_manager(
            session,
            venue,
            subject=subject,
            body=body,
            dedupe_key=f"venue-renewal:{venue.id}:{venue.renewal_date.isoformat()}:{threshold}",
            now=now,
        )
    return queued


def lapse_expired(session: Session, *, now: datetime) -> int:
    """Lapse verified venues past their renewal date (the state machine's job row: verified -> lapsed)."""
    today = london_today(now)
    count = 0
    for venue in repo.lock_expired(session, today=today):
        service.change_status(
            session, actor=None, venue=venue, action="lapse", reason=messages.NOT_RENEWED_REASON, now=now
        )
        if venue.renewal_date is not None:
            subject, body = messages.LAPSED.render(venue=venue.name, date=messages.day_month_year(venue.renewal_date))
            mail_manager(
                session,
                venue,
                subject=subject,
                body=body,
                dedupe_key=f"venue-lapsed:{venue.id}:{venue.renewal_date.isoformat()}",
                now=now,
            )
        count += 1
    session.flush()
    return count


def lapse_overdue_actions(session: Session, *, now: datetime) -> int:
    """A failed spot check's action past its due date without a passing re-check: the venue lapses
    (verified -> lapsed, by the job, audited) and its manager is mailed. The action is closed either
    way (``lapsed_at``), so it is acted on once; a venue no longer verified keeps its status.
    Returns the number of venues lapsed."""
    today = london_today(now)
    lapsed = 0
    for action in repo.lock_overdue_actions(session, today=today):
        venue = repo.get_venue(session, action.venue_id)
        action.lapsed_at = now
        if venue is None:
            continue
        changed = venue.status == "verified"
        due = long_date(action.due_date)
        if changed:
            reason = str(Formatted(messages.ACTION_OVERDUE_REASON, due=due, findings=action.findings))
            service.change_status(
                session, actor=None, venue=venue, action="lapse", reason=reason[: service.REASON_MAX], now=now
            )
            lapsed += 1
        audit.record(
            session,
            actor=None,
            action="venue.action_overdue",
            target_type="venue",
            target_id=venue.id,
            detail={"action_id": action.id, "due_date": action.due_date.isoformat(), "lapsed": changed},
            at=now,
        )
        if changed:
            subject, body = messages.ACTION_OVERDUE_LAPSED.render(
                venue=venue.name, due=due, findings=action.findings, link=site_url(f"/venue-portal/{venue.id}")
            )
            mail_manager(
                session, venue, subject=subject, body=body, dedupe_key=f"venue-action-lapsed:{action.id}", now=now
            )
    session.flush()
    return lapsed
