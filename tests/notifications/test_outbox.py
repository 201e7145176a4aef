from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from nte.db import utcnow
from nte.notifications import service
from nte.notifications.jobs import MAX_ATTEMPTS, deliver_outbox
from nte.notifications.models import OutboxMessage
from tests.factories import login, make_user


def test_enqueue_with_the_same_key_keeps_one_message(db):
    first = service.enqueue(db, to="a@example.org", subject="Renew", body="b", dedupe_key="venue:1:renew:60")
    second = service.enqueue(db, to="a@example.org", subject="Renew", body="b", dedupe_key="venue:1:renew:60")
    assert first is not None and second is None
    assert (
        db.scalar(
            sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.dedupe_key == "venue:1:renew:60")
        )
        == 1
    )


def test_deliver_sends_through_a_real_smtp_server(db, settings, smtp_server):
    service.enqueue(db, to="champion@example.org", subject="Your charter renewal", body="Hello\nRenew soon.")
    smtp = settings.model_copy(update={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port})
    now = utcnow()
    assert deliver_outbox(db, now=now, settings=smtp) == 1
    [message] = smtp_server.to("champion@example.org")
    assert message["Subject"] == "Your charter renewal" and "Renew soon." in message.get_payload()
    # Delivered messages are not sent again.
    assert deliver_outbox(db, now=now, settings=smtp) == 0
    assert len(smtp_server.messages) == 1


def test_unreachable_server_is_retried_with_backoff_then_given_up(db, settings):
    from tests.support.postgres import free_port

    message = service.enqueue(db, to="x@example.org", subject="s", body="b")
    dead = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": free_port(), "smtp_timeout_seconds": 2})
    now = utcnow()
    assert deliver_outbox(db, now=now, settings=dead) == 0
    assert message.status == "pending" and message.attempts == 1 and message.next_attempt_at > now
    assert "Error" in message.last_error or "refused" in message.last_error.lower()
    for i in range(MAX_ATTEMPTS):
        deliver_outbox(db, now=now + timedelta(days=i + 1), settings=dead)
    assert message.status == "failed"


def test_admins_read_the_outbox_page(client, db):
    service.enqueue(db, to="reader@example.org", subject="Shift reminder", body="See you Friday")
    login(client, db, make_user(db, role="admin"))
    r = client.get("/admin/outbox")
    assert r.status_code == 200 and "Shift reminder" in r.text and "See you Friday" in r.text
