"""Mail to the coordinators and to the team of one shift, once per dedupe key."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from nte.notifications import service as outbox
from nte.patrols import repository as repo
from nte.patrols.messages import greeted
from nte.patrols.models import (
    Shift,
)


def coordinator_mail(session: Session, *, subject: str, body: str, key: str, now: datetime) -> int:
    """Mail every coordinator, once per ``key``; returns the mails queued."""
    sent = 0
    for coordinator in repo.coordinators(session):
        if (
            outbox.enqueue(
                session, to=coordinator.email, subject=subject, body=body, now=now, dedupe_key=f"{key}:{coordinator.id}"
            )
            is not None
        ):
            sent += 1
    return sent


def team_mail(
    session: Session,
    shift: Shift,
    *,
    subject: str,
    body: str,
    key: str,
    now: datetime,
    statuses: Iterable[str] = repo.ACTIVE,
) -> int:
    """Mail everyone still on the shift (by default confirmed, offered or waitlisted), once per ``key``."""
    wanted = frozenset(statuses)
    sent = 0
    for signup, volunteer, user in repo.signups_for_shift(session, shift.id):
        if signup.status not in wanted:
            continue
        if outbox.enqueue(
            session,
            to=user.email,
            now=now,
            subject=subject,
            body=greeted(user.display_name, body),
            # ":volunteer:": the coordinators' copies are keyed "{key}:{user id}", which a volunteer id may equal.
            dedupe_key=f"{key}:volunteer:{volunteer.id}",
        ):
            sent += 1
    return sent
