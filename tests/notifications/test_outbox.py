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


def test_a_confirmation_link_leaves_the_outbox_once_sent(db, settings, smtp_server, client, anon_csrf):
    """The venue sign-up's link reaches the manager through real SMTP and works; the stored body
    keeps no working link once the mail is sent (the token is only stored hashed)."""
    import re

    from nte.venues import service as venues
    from tests.factories import venue_form

    form = venue_form(contact_email="new-manager@example.org")
    result = venues.sign_charter(db, raw=form, settings=settings, now=utcnow())
    smtp = settings.model_copy(update={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port})
    assert deliver_outbox(db, now=utcnow(), settings=smtp) >= 1
    [mail] = smtp_server.to("new-manager@example.org")
    text = mail.get_payload(decode=True).decode()
    link = re.search(r"/confirm-email\?token=([\w-]+)", text)
    assert link and link.group(1) == result.confirm_token and service.SECRET_OPEN not in text
    stored = db.scalars(sa.select(OutboxMessage).where(OutboxMessage.to_address == "new-manager@example.org")).one()
    assert result.confirm_token not in stored.body and service.SECRET_REMOVED in stored.body
    assert "Women's Night Safety Charter" in stored.body  # the rest of the mail is kept
    r = client.post("/confirm-email", data={"token": link.group(1), "csrf_token": anon_csrf})
    assert r.status_code == 200 and "confirmed" in r.text


def test_a_secret_is_forgotten_when_delivery_is_given_up(db, settings):
    from tests.support.postgres import free_port

    service.enqueue(
        db, to="x@example.org", subject="Confirm", body="Open https://h/c?token=abc.", secret="https://h/c?token=abc"
    )
    dead = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": free_port()})
    later = utcnow()
    for _ in range(MAX_ATTEMPTS):
        deliver_outbox(db, now=later, settings=dead)
        later += timedelta(days=1)
    message = db.scalars(sa.select(OutboxMessage).where(OutboxMessage.to_address == "x@example.org")).one()
    assert message.status == "failed" and "token=abc" not in message.body and service.SECRET_REMOVED in message.body
