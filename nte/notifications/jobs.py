from __future__ import annotations

import smtplib
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from nte.config import Settings, get_settings
from nte.notifications import repository as repo
from nte.notifications.mailer import send_mail
from nte.notifications.service import forget_secrets, text_to_send

MAX_ATTEMPTS = 8


def deliver_outbox(session: Session, *, now: datetime, batch: int = 50, settings: Settings | None = None) -> int:
    """Send pending mail, one message per transaction. The row is locked while it is sent (SKIP
    LOCKED on PostgreSQL; SQLite serialises writers), so two schedulers never send the same
    message, and each is marked sent in the same transaction right after the server accepted it:
    a crash (kill -9) can repeat at most the one message in flight, never lose one. A failure is
    retried with back-off and given up after MAX_ATTEMPTS."""
    settings = settings or get_settings()
    sent = 0
    for _ in range(batch):
        message = repo.next_due(session, now=now)
        if message is None:
            break
        message.attempts += 1
        try:
            send_mail(settings, to=message.to_address, subject=message.subject, body=text_to_send(message.body))
        except (OSError, smtplib.SMTPException) as exc:
            message.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = "failed"
                forget_secrets(message)
            else:
                message.next_attempt_at = now + timedelta(minutes=2**message.attempts)
            session.commit()
            continue
        message.status = "sent"
        message.sent_at = now
        forget_secrets(message)
        message.last_error = None
        sent += 1
        session.commit()  # jobs may commit per item (see nte.scheduler.run_job)
    return sent
