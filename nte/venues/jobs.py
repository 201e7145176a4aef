"""Renewal jobs: reminders at 60, 30 and 7 days before the renewal date, lapsing expired venues,
and lapsing venues whose failed spot check was not put right in time. All are idempotent: each
reminder carries an outbox dedupe key (venue, renewal date,
threshold), so a second run or a restart queues nothing new; a lapsed venue is not selected again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth import repository as auth_repo
from nte.config import get_settings
from nte.notifications import service as outbox
from nte.venues import repository as repo
from nte.venues import service
from nte.venues.exceptions import long_date
from nte.venues.service import REMINDER_DAYS, london_today


def renewal_reminders(session: Session, *, now: datetime) -> int:
    """Queue one reminder per venue and threshold: the tightest threshold reached (a venue first seen
    5 days before its date gets the 7-day reminder, not three mails at once)."""
    today = london_today(now)
    base_url = get_settings().base_url.rstrip("/")
    queued = 0
    for venue in repo.venues_due_for_renewal(
        session, on_or_before=today.fromordinal(today.toordinal() + max(REMINDER_DAYS))
    ):
        assert venue.renewal_date is not None
        days_left = (venue.renewal_date - today).days
        if days_left < 0 or venue.manager_user_id is None:
            continue
        threshold = min(d for d in REMINDER_DAYS if d >= days_left)
        manager = auth_repo.get_user(session, venue.manager_user_id)
        if manager is None:
            continue
        message = outbox.enqueue(
            session,
            to=manager.email,
            subject=f"Renew {venue.name}'s Women's Night Safety Charter by {venue.renewal_date:%d %B %Y}",
            body=(
                f"The charter record for {venue.name} is due for renewal on {venue.renewal_date:%d %B %Y} "
                f"({days_left} days from now).\n\nReview your pledges and training, then renew in the venue "
                f"portal: {base_url}/venue-portal\n\nIf it is not renewed it will lapse and leave the public map."
            ),
            dedupe_key=f"venue-renewal:{venue.id}:{venue.renewal_date.isoformat()}:{threshold}",
            now=now,
        )
        queued += message is not None
    return queued


def lapse_expired(session: Session, *, now: datetime) -> int:
    """Lapse verified venues past their renewal date (the state machine's job row: verified -> lapsed)."""
    today = london_today(now)
    count = 0
    for venue in repo.lock_expired(session, today=today):
        service.change_status(
            session, actor=None, venue=venue, action="lapse", reason="Not renewed by the renewal date.", now=now
        )
        manager = auth_repo.get_user(session, venue.manager_user_id) if venue.manager_user_id else None
        if manager is not None and venue.renewal_date is not None:
            outbox.enqueue(
                session,
                to=manager.email,
                subject=f"{venue.name}'s charter record has lapsed",
                body=(
                    f"The charter record for {venue.name} was not renewed by "
                    f"{venue.renewal_date:%d %B %Y} and has lapsed. Ask to renew it in the venue portal: "
                    "a community safety officer will check it, and it returns to the public map when verified."
                ),
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
    base_url = get_settings().base_url.rstrip("/")
    lapsed = 0
    for action in repo.lock_overdue_actions(session, today=today):
        venue = repo.get_venue(session, action.venue_id)
        action.lapsed_at = now
        if venue is None:
            continue
        changed = venue.status == "verified"
        if changed:
            service.change_status(
                session,
                actor=None,
                venue=venue,
                action="lapse",
                reason=f"A failed spot check was not put right by {long_date(action.due_date)}: {action.findings}"[
                    : service.REASON_MAX
                ],
                now=now,
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
        manager = auth_repo.get_user(session, venue.manager_user_id) if venue.manager_user_id else None
        if manager is not None and changed:
            outbox.enqueue(
                session,
                to=manager.email,
                subject=f"{venue.name}'s charter record has lapsed after a failed spot check",
                body=(
                    f"A spot check of {venue.name} found things to put right by {long_date(action.due_date)}:\n\n"
                    f"{action.findings}\n\nNo re-check has passed since, so the charter record has lapsed and the "
                    f"venue has left the public map. Put the findings right, then ask to renew in the venue "
                    f"portal: {base_url}/venue-portal/{venue.id}"
                ),
                dedupe_key=f"venue-action-lapsed:{action.id}",
                now=now,
            )
    session.flush()
    return lapsed
