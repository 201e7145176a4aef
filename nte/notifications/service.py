"""The outbox: services enqueue mail inside their transaction; a job delivers it after commit.

A mail may carry one secret (a confirmation link): it is marked in the stored body, sent as it is,
and removed from the body as soon as the message is sent or given up, so the outbox keeps no
working link for longer than delivery takes (the token itself is only ever stored hashed)."""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nte.db import utcnow
from nte.notifications import repository as repo
from nte.notifications.models import OutboxMessage

SECRET_OPEN, SECRET_CLOSE = "\u27e6secret\u27e7", "\u27e6/secret\u27e7"
SECRET_REMOVED = "[link removed once the mail was sent]"  # noqa: S105 - a placeholder, not a password
_SECRET = re.compile(re.escape(SECRET_OPEN) + "(.*?)" + re.escape(SECRET_CLOSE), re.DOTALL)


def text_to_send(body: str) -> str:
    """The body as the recipient gets it (secrets in place, marks removed)."""
    return _SECRET.sub(r"\1", body)


def forget_secrets(message: OutboxMessage) -> None:
    """After delivery (or giving up): the stored body keeps everything but the secret."""
    message.body = _SECRET.sub(SECRET_REMOVED, message.body)


def enqueue(
    session: Session,
    *,
    to: str,
    subject: str,
    body: str,
    dedupe_key: str | None = None,
    now: datetime | None = None,
    secret: str | None = None,
) -> OutboxMessage | None:
    """Queue one e-mail. With a ``dedupe_key`` the same message is queued at most once, ever:
    returns None when it already was (so reminder jobs are idempotent). ``secret`` (a link with a
    token, as it appears in ``body``) is removed from the stored body once the mail is sent."""
    if secret:
        if secret not in body:
            raise ValueError("the secret is not in the body")
        body = body.replace(secret, f"{SECRET_OPEN}{secret}{SECRET_CLOSE}")
    if dedupe_key is not None:
        if repo.dedupe_key_used(session, dedupe_key):
            return None
    message = OutboxMessage(
        to_address=to,
        subject=subject[:200],
        body=body,
        dedupe_key=dedupe_key,
        created_at=now or utcnow(),
        next_attempt_at=now or utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(message)
            session.flush()
    except sa.exc.IntegrityError:
        return None  # a concurrent run queued the same key first
    return message


def list_messages(session: Session, *, status: str | None = None, limit: int = 200) -> list[OutboxMessage]:
    return repo.list_messages(session, status=status, limit=limit)
