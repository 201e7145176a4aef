"""Scheduled patrol jobs (registered in ``nte/scheduler.py``). Each is idempotent: shifts are keyed by
(series, night) and every message carries an outbox dedupe key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from nte.auth import service as auth_service
from nte.config import get_settings
from nte.patrols import application_repository, service


def materialise_shifts(session: Session, *, now: datetime) -> int:
    """Create/update shifts over the rolling window (default 8 weeks) for every series."""
    return service.materialise_all(session, now=now)


def waitlist_expiry(session: Session, *, now: datetime) -> int:
    """Offers not confirmed in time pass to the next person on the waitlist."""
    return service.expire_offers(session, now=now)


def shift_reminders(session: Session, *, now: datetime) -> int:
    """T-24 h and T-2 h reminders to confirmed volunteers."""
    return service.send_shift_reminders(session, now=now)


def staffing_alerts(session: Session, *, now: datetime) -> int:
    """T-48 h: shifts below their minimum alert the coordinators and invite free volunteers."""
    return service.staffing_alerts(session, now=now)


def stand_down_shifts(session: Session, *, now: datetime) -> int:
    """T-2 h (NTE_PATROL_STAND_DOWN_HOURS): shifts below their minimum and not confirmed by a
    coordinator are stood down; everyone on them and the coordinators are told either way."""
    return service.stand_down_shifts(session, now=now)


def lone_worker_alerts(session: Session, *, now: datetime) -> int:
    """Alert the coordinators about volunteers not home safe 30 minutes after the end."""
    return service.lone_worker_alerts(session, now=now)


def record_expiry_reminders(session: Session, *, now: datetime) -> int:
    """Reminders 30 and 7 days before a vetting or training record expires."""
    return service.record_expiry_reminders(session, now=now)


def remove_unused_accounts(session: Session, *, now: datetime) -> int:
    """Accounts that never set a password, whose invitations all ended more than
    NTE_UNUSED_ACCOUNT_DAYS ago, are deleted (audited; idempotent), except a volunteer's whose profile
    holds sign-ups or vetting records (a coordinator may record a DBS check before the volunteer
    accepts): those are kept for the coordinator to decide. The accounts are auth's; what hangs on
    them is the patrols domain's, so the job lives here, where both can be seen."""
    return auth_service.remove_stale_invitees(
        session,
        now=now,
        days=get_settings().unused_account_days,
        holds_anything=application_repository.account_holds_anything,
    )
