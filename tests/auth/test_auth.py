from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from nte.auth import service
from nte.auth.deps import SESSION_COOKIE
from nte.auth.exceptions import BadCredentials, LoginThrottled
from nte.auth.models import AuthSession, User
from nte.auth.throttle import SignInThrottle
from nte.db import utcnow
from tests.factories import PASSWORD, bearer, login, make_user


def test_passwords_are_argon2_hashed(db):
    user = make_user(db, role="officer")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_login_page_sets_a_secure_session_cookie(client, db, login_csrf):
    user = make_user(db, role="officer")
    r = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": login_csrf}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/officer"
    cookie = r.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    stored = db.scalars(sa.select(AuthSession).where(AuthSession.user_id == user.id)).one()
    assert client.cookies.get(SESSION_COOKIE) not in (stored.token_hash, None)  # only the hash is stored


def test_login_without_csrf_token_is_refused(client, db):
    user = make_user(db, role="officer")
    r = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 403 and r.json()["error"] == "csrf_failed" and r.json()["field"] == "csrf_token"


def test_wrong_password_re_shows_the_form(client, db, login_csrf):
    user = make_user(db)
    r = client.post(
        "/login",
        data={"email": user.email, "password": "nope", "csrf_token": login_csrf},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 401 and "not right" in r.text
    db.expire_all()
    assert db.get(User, user.id).failed_login_count == 1


@pytest.mark.parametrize(
    ("email", "password", "field"), [("", "", "email"), ("   ", "x", "email"), ("someone@example.org", "", "password")]
)
def test_a_missing_field_is_named_and_counts_no_failure(client, db, login_csrf, email, password, field):
    user = make_user(db, email="someone@example.org")
    r = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": login_csrf}, headers={"accept": "text/html"}
    )
    assert r.status_code == 422
    assert (
        'aria-invalid="true"' in r.text
        and ("Enter your e-mail address." if field == "email" else "Enter your password.") in r.text
    )
    db.expire_all()
    assert db.get(User, user.id).failed_login_count == 0
    api = client.post("/api/auth/token", json={"email": email, "password": password, "name": "t"})
    assert api.status_code == 422 and api.json()["field"] == field, api.json()


def _throttle(settings) -> SignInThrottle:
    return SignInThrottle(
        free_attempts=settings.login_free_attempts, max_delay_seconds=settings.login_max_delay_seconds
    )


def test_guessing_slows_the_guesser_and_never_locks_the_owner_out(db, settings):
    user = make_user(db)
    throttle = _throttle(settings)
    now = utcnow()

    def attempt(password: str, client: str, at=now):
        return service.authenticate(db, email=user.email, password=password, now=at, throttle=throttle, client=client)

    for _ in range(settings.login_free_attempts + 3):
        with pytest.raises((BadCredentials, LoginThrottled)):
            attempt("wrong", "203.0.113.66")
    # The guessing address waits before its next try, whatever it sends ...
    with pytest.raises(LoginThrottled) as info:
        attempt(PASSWORD, "203.0.113.66")
    assert info.value.retry_after >= 1
    # ... while the owner, from her own address, signs in with the right password at once.
    assert attempt(PASSWORD, "198.51.100.10") == user
    # After the wait the guesser is answered again (and the right password works there too).
    later = now + timedelta(seconds=settings.login_max_delay_seconds + 1)
    assert attempt(PASSWORD, "203.0.113.66", later) == user


def test_unknown_and_known_addresses_get_the_same_answers(db, settings):
    user = make_user(db)
    throttle = _throttle(settings)
    now = utcnow()
    answers = {}
    for email in (user.email, "nobody-here@example.org"):
        seen = []
        for _ in range(settings.login_free_attempts + 1):
            try:
                service.authenticate(db, email=email, password="wrong", now=now, throttle=throttle, client="192.0.2.1")
            except (BadCredentials, LoginThrottled) as exc:
                seen.append((type(exc).__name__, exc.status_code, exc.detail, exc.field))
        answers[email] = seen
    assert answers[user.email] == answers["nobody-here@example.org"]
    assert answers[user.email][-1][0] == "LoginThrottled"  # unknown e-mails are slowed down too


def test_throttled_api_login_says_429(client, db, settings):
    user = make_user(db)
    for _ in range(settings.login_free_attempts):
        assert client.post("/api/auth/token", json={"email": user.email, "password": "wrong"}).status_code == 401
    # The first wait after the free attempts is 1 s, which a loaded machine can spend between two
    # requests (password hashing is slow by design). Four more failures of the same pair, recorded on
    # the app's own throttle, make the wait 16 s, so the answer below does not depend on speed; four
    # are fewer than the free attempts, so without the five failures above it would not be throttled.
    throttle = client.app.state.sign_in_throttle
    assert settings.login_free_attempts > 4
    for _ in range(4):
        throttle.failed(email=user.email, client="testclient", now=utcnow())
    r = client.post("/api/auth/token", json={"email": user.email, "password": PASSWORD})
    assert r.status_code == 429 and "Retry-After" in r.headers
    # The same account from another address is not slowed: nobody can lock an officer out.
    from fastapi.testclient import TestClient

    with TestClient(client.app, client=("198.51.100.10", 50000)) as elsewhere:
        ok = elsewhere.post("/api/auth/token", json={"email": user.email, "password": PASSWORD})
    assert ok.status_code == 201, ok.text


def test_bearer_tokens_are_hashed_and_revoke_at_once(client, db):
    user = make_user(db, role="coordinator")
    headers = bearer(db, user)
    assert client.get("/api/auth/me", headers=headers).json()["role"] == "coordinator"
    created = client.post("/api/auth/tokens", json={"name": "partner"}, headers=headers)
    assert created.status_code == 201
    token, token_id = created.json()["token"], created.json()["id"]
    listed = client.get("/api/auth/tokens", headers=headers).json()
    assert all(token not in str(t) for t in listed)
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.delete(f"/api/auth/tokens/{token_id}", headers=headers).status_code == 200
    r = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json()["field"] == "authorization"


def test_token_for_password_exchange(client, db):
    user = make_user(db, role="volunteer")
    r = client.post("/api/auth/token", json={"email": user.email, "password": PASSWORD, "name": "phone"})
    assert r.status_code == 201
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {r.json()['token']}"}).status_code == 200


def test_sessions_expire(client, db):
    user = make_user(db)
    login(client, db, user)
    assert client.get("/api/auth/me").status_code == 200
    db.execute(
        sa.update(AuthSession).where(AuthSession.user_id == user.id).values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.flush()
    assert client.get("/api/auth/me").status_code == 401


def test_cookie_auth_on_unsafe_api_calls_needs_csrf_header(client, db):
    user = make_user(db)
    csrf = login(client, db, user)
    assert client.post("/api/auth/tokens", json={"name": "x"}).status_code == 403
    assert client.post("/api/auth/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf}).status_code == 201


def test_password_change_signs_out_other_sessions(client, db):
    user = make_user(db)
    other = service.start_session(db, user=user, now=utcnow(), settings=client.app.state.settings)
    csrf = login(client, db, user)
    r = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a new long passphrase",
            "confirm_password": "a new long passphrase",
            "csrf_token": csrf,
        },
    )
    assert r.status_code == 200 and "has been changed" in r.text
    db.expire_all()
    assert db.get(AuthSession, other.record.id).revoked_at is not None
    assert client.get("/api/auth/me").status_code == 200  # this session stays


@pytest.mark.parametrize(
    "new,confirm,field",
    [("short", "short", "new_password"), ("a long enough one", "different one!!", "confirm_password")],
)
def test_password_change_errors_name_the_field(client, db, new, confirm, field):
    user = make_user(db)
    csrf = login(client, db, user)
    r = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": new, "confirm_password": confirm, "csrf_token": csrf},
    )
    assert r.status_code == 422 and f'id="{field}-error"' in r.text


def test_logout_revokes_the_session(client, db):
    user = make_user(db)
    csrf = login(client, db, user)
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert client.get("/api/auth/me").status_code == 401


def test_email_confirmation_link(client, db, anon_csrf):
    user = make_user(db, role="venue_manager", confirmed_at=None)
    token = service.create_email_token(db, user=user, purpose="confirm_email", now=utcnow())
    assert client.get(f"/confirm-email?token={token}").status_code == 200
    r = client.post("/confirm-email", data={"token": token, "csrf_token": anon_csrf})
    assert r.status_code == 200 and "confirmed" in r.text
    db.expire_all()
    assert db.get(User, user.id).email_confirmed_at is not None
    again = client.post("/confirm-email", data={"token": token, "csrf_token": anon_csrf})
    assert again.status_code == 422


def test_cli_creates_users_and_tokens(engine, monkeypatch):
    from typer.testing import CliRunner

    from nte import cli
    from nte.config import get_settings

    monkeypatch.setenv("NTE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    email = f"cli-{engine.dialect.name}@example.org"
    try:
        runner = CliRunner()
        r = runner.invoke(
            cli.app,
            [
                "users",
                "create",
                "--email",
                email,
                "--role",
                "officer",
                "--name",
                "CLI Officer",
                "--password",
                "a long cli password",
            ],
        )
        assert r.exit_code == 0, r.output
        r = runner.invoke(
            cli.app,
            [
                "users",
                "create",
                "--email",
                email,
                "--role",
                "officer",
                "--name",
                "Again",
                "--password",
                "a long cli password",
            ],
        )
        assert r.exit_code == 2 and "already exists" in r.output
        r = runner.invoke(
            cli.app,
            [
                "users",
                "create",
                "--email",
                "x@example.org",
                "--role",
                "wizard",
                "--name",
                "X",
                "--password",
                "a long cli password",
            ],
        )
        assert r.exit_code == 2
        r = runner.invoke(cli.app, ["tokens", "create", "--email", email, "--name", "script"])
        assert r.exit_code == 0 and "nte_" in r.output
    finally:
        from sqlalchemy.orm import Session

        with Session(engine) as s, s.begin():
            s.execute(sa.delete(User).where(User.email == email))
        get_settings.cache_clear()


def test_admins_read_the_audit_log(client, db):
    admin = make_user(db, role="admin")
    make_user(db, role="officer", actor=admin)
    login(client, db, admin)
    r = client.get("/admin/audit", params={"action": "user."})
    assert r.status_code == 200 and "user.create" in r.text and admin.email in r.text


def test_an_unconfirmed_account_cannot_sign_in_until_confirmed(client, db, anon_csrf, login_csrf):
    user = make_user(db, role="venue_manager", confirmed_at=None)
    wrong = client.post("/login", data={"email": user.email, "password": "not it at all", "csrf_token": login_csrf})
    assert wrong.status_code == 401  # a wrong password says nothing about the account
    r = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": login_csrf}, follow_redirects=False
    )
    assert r.status_code == 403 and "Confirm your e-mail address first" in r.text
    assert SESSION_COOKIE not in r.headers.get("set-cookie", "")
    api = client.post("/api/auth/token", json={"email": user.email, "password": PASSWORD})
    assert api.status_code == 403 and api.json()["error"] == "email_not_confirmed"
    token = service.create_email_token(db, user=user, purpose="confirm_email", now=utcnow())
    assert client.post("/confirm-email", data={"token": token, "csrf_token": anon_csrf}).status_code == 200
    r = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": login_csrf}, follow_redirects=False
    )
    assert r.status_code == 303


def test_a_sign_in_token_works_only_in_the_browser_it_was_given_to(client, db, login_csrf, anon_csrf):
    from fastapi.testclient import TestClient

    user = make_user(db)
    body = {"email": user.email, "password": PASSWORD, "csrf_token": login_csrf}
    with TestClient(client.app) as other_browser:  # no nonce cookie: a replayed or planted token
        r = other_browser.post("/login", data=body, follow_redirects=False)
        assert r.status_code == 403 and r.json()["error"] == "csrf_failed"
        other_browser.get("/login")  # its own nonce, but the token belongs to another browser
        assert other_browser.post("/login", data=body, follow_redirects=False).status_code == 403
    # The generic anonymous form token is not accepted for signing in either.
    r = client.post("/login", data={**body, "csrf_token": anon_csrf}, follow_redirects=False)
    assert r.status_code == 403
    assert client.post("/login", data=body, follow_redirects=False).status_code == 303


def test_a_new_password_revokes_every_api_token(client, db, settings):
    user = make_user(db)
    headers = bearer(db, user)
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    service.change_password(
        db, user=user, current=PASSWORD, new="a brand new password", keep_session_id=None, now=utcnow()
    )
    db.flush()
    r = client.get("/api/auth/me", headers=headers)
    assert r.status_code == 401 and r.json()["field"] == "authorization"
