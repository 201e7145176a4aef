"""Forgot your password: the same answer for every address, a one-hour one-time link mailed through
the outbox and a real SMTP server on loopback, limits per connection and per address."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from nte.auth import service
from nte.auth.deps import RESETS_PER_CLIENT_PER_HOUR, RESETS_PER_EMAIL_PER_HOUR
from nte.auth.models import ApiToken, EmailToken
from nte.auth.security import verify_password
from nte.db import utcnow
from nte.notifications.jobs import deliver_outbox
from tests.factories import PASSWORD, bearer, make_user

NEW_PASSWORD = "a brand new long password"  # noqa: S105


def _deliver(db, settings, smtp_server) -> None:
    smtp = settings.model_copy(update={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port})
    deliver_outbox(db, now=utcnow(), settings=smtp)


def _link_token(smtp_server, address: str) -> str:
    [mail] = smtp_server.to(address)
    found = re.search(r"/password-reset/([\w-]+)", mail.get_payload(decode=True).decode())
    assert found, "the mail carries no reset link"
    return found.group(1)


def _ask(client, anon_csrf, email: str):
    return client.post("/password-reset", data={"email": email, "csrf_token": anon_csrf})


def test_the_sign_in_page_offers_a_reset(client):
    r = client.get("/login")
    assert r.status_code == 200 and 'href="/password-reset"' in r.text and "Forgot your password?" in r.text


def test_known_and_unknown_addresses_get_identical_answers(client, db, anon_csrf, settings, smtp_server):
    make_user(db, email="known@example.org")
    known = _ask(client, anon_csrf, "known@example.org")
    unknown = _ask(client, anon_csrf, "nobody-here@example.org")
    assert known.status_code == unknown.status_code == 200
    assert "If an account uses that address, we have sent a link" in known.text
    assert known.text == unknown.text  # the same page, byte for byte
    assert sorted(known.headers.keys()) == sorted(unknown.headers.keys())
    _deliver(db, settings, smtp_server)
    assert len(smtp_server.to("known@example.org")) == 1
    assert smtp_server.to("nobody-here@example.org") == []


def test_a_malformed_address_is_named(client, anon_csrf):
    r = _ask(client, anon_csrf, "not an address")
    assert r.status_code == 422 and 'id="email-error"' in r.text


def test_the_mailed_link_sets_a_password_once(client, db, anon_csrf, settings, smtp_server):
    user = make_user(db, email="forgetful@example.org")
    assert _ask(client, anon_csrf, user.email).status_code == 200
    _deliver(db, settings, smtp_server)
    token = _link_token(smtp_server, user.email)
    stored = db.scalars(sa.select(EmailToken).where(EmailToken.user_id == user.id)).one()
    assert stored.token_hash != token and stored.expires_at - stored.created_at == timedelta(hours=1)

    form = client.get(f"/password-reset/{token}")
    assert form.status_code == 200 and 'name="password"' in form.text
    r = client.post(
        f"/password-reset/{token}",
        data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD, "csrf_token": anon_csrf},
        follow_redirects=False,
    )
    # The success message travels signed (nte.web.flash), not as ?reset=done that any link could carry.
    assert r.status_code == 303 and r.headers["location"].startswith("/login?done=")
    db.expire_all()
    assert verify_password(user.password_hash, NEW_PASSWORD) and not verify_password(user.password_hash, PASSWORD)
    assert "Your password has been changed" in client.get(r.headers["location"]).text

    again = client.post(
        f"/password-reset/{token}",
        data={
            "password": "yet another long password",
            "confirm_password": "yet another long password",
            "csrf_token": anon_csrf,
        },
    )
    assert again.status_code == 410 and "was already used" in again.text
    db.expire_all()
    assert verify_password(user.password_hash, NEW_PASSWORD)


def test_an_expired_link_is_refused_with_a_clear_page(client, db):
    user = make_user(db)
    token = service.create_email_token(
        db, user=user, purpose=service.RESET_PURPOSE, now=utcnow() - timedelta(hours=2), hours=service.RESET_HOURS
    )
    r = client.get(f"/password-reset/{token}")
    assert r.status_code == 410 and "has expired" in r.text and 'href="/password-reset"' in r.text
    assert client.get("/password-reset/not-a-token").status_code == 410


def test_mistakes_are_named_and_change_nothing(client, db, anon_csrf):
    user = make_user(db)
    token = service.create_email_token(db, user=user, purpose=service.RESET_PURPOSE, now=utcnow(), hours=1)
    differ = client.post(
        f"/password-reset/{token}",
        data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD + "x", "csrf_token": anon_csrf},
    )
    assert differ.status_code == 422 and 'id="confirm_password-error"' in differ.text
    short = client.post(
        f"/password-reset/{token}", data={"password": "short", "confirm_password": "short", "csrf_token": anon_csrf}
    )
    assert short.status_code == 422 and 'id="password-error"' in short.text and "at least 12" in short.text
    db.expire_all()
    assert verify_password(user.password_hash, PASSWORD)
    assert client.get(f"/password-reset/{token}").status_code == 200  # still usable after mistakes


def test_a_new_password_ends_every_session_and_api_token(client, db, anon_csrf, settings):
    user = make_user(db)
    elsewhere = service.start_session(db, user=user, now=utcnow(), settings=settings)
    headers = bearer(db, user)
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    token = service.create_email_token(db, user=user, purpose=service.RESET_PURPOSE, now=utcnow(), hours=1)
    r = client.post(
        f"/password-reset/{token}",
        data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD, "csrf_token": anon_csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    db.expire_all()
    assert service.resolve_session(db, token=elsewhere.token, now=utcnow()) is None
    assert db.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)).one().revoked_at is not None
    client.cookies.clear()
    assert client.get("/api/auth/me", headers=headers).status_code == 401


def test_requests_are_limited_per_address_with_a_429_page(client, db, anon_csrf):
    user = make_user(db, email="target@example.org")
    for _ in range(RESETS_PER_EMAIL_PER_HOUR):
        assert _ask(client, anon_csrf, "target@example.org").status_code == 200
    r = _ask(client, anon_csrf, "Target@Example.org")  # the same address, however it is typed
    assert r.status_code == 429 and "Too many password reset requests" in r.text
    assert int(r.headers["retry-after"]) > 0 and "<form" in r.text
    sent = db.scalar(sa.select(sa.func.count()).select_from(EmailToken).where(EmailToken.user_id == user.id))
    assert sent == RESETS_PER_EMAIL_PER_HOUR


def test_requests_are_limited_per_connection(client, anon_csrf):
    for n in range(RESETS_PER_CLIENT_PER_HOUR):
        assert _ask(client, anon_csrf, f"someone{n}@example.org").status_code == 200
    r = _ask(client, anon_csrf, "one-more@example.org")
    assert r.status_code == 429 and "Too many password reset requests" in r.text
