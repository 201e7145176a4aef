"""Invitations: an administrator invites staff, a coordinator invites volunteers; the invitee opens
a one-time link (mailed through the outbox to a real SMTP server on loopback), chooses a name and a
password and is signed in with the role they were invited to."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from nte.auth import service
from nte.auth.deps import SESSION_COOKIE
from nte.auth.exceptions import InvitationNotAllowed
from nte.auth.models import Invitation, User
from nte.auth.security import verify_password
from nte.db import utcnow
from nte.notifications.jobs import deliver_outbox
from nte.patrols.models import Volunteer
from tests.factories import login, make_user

PASSWORD = "an invited person's password"  # noqa: S105


def _deliver(db, settings, smtp_server) -> None:
    smtp = settings.model_copy(update={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port})
    deliver_outbox(db, now=utcnow(), settings=smtp)


def _mailed_token(smtp_server, address: str) -> str:
    [mail] = smtp_server.to(address)
    found = re.search(r"/invite/([\w-]+)", mail.get_payload(decode=True).decode())
    assert found, "the mail carries no invitation link"
    return found.group(1)


def _form_token(client, token: str) -> str:
    page = client.get(f"/invite/{token}")
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def _accept(client, token: str, *, name: str = "New Person", password: str = PASSWORD, confirm: str | None = None):
    csrf = _form_token(client, token)
    return client.post(
        f"/invite/{token}",
        data={
            "display_name": name,
            "password": password,
            "confirm_password": password if confirm is None else confirm,
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )


def test_an_admin_invites_an_officer_who_accepts_and_is_signed_in(client, db, settings, smtp_server):
    admin = make_user(db, role="admin")
    csrf = login(client, db, admin)
    r = client.post(
        "/admin/invitations",
        data={"email": "New.Officer@example.org", "display_name": "Nia", "role": "officer", "csrf_token": csrf},
        follow_redirects=False,
    )
    # The success message travels signed (nte.web.flash), not as ?done=1 that any link could carry.
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/invitations?done=")
    assert "Invitation sent. The link works for 7 days." in client.get(r.headers["location"]).text
    listing = client.get("/admin/invitations")
    assert "new.officer@example.org" in listing.text and "Waiting" in listing.text
    _deliver(db, settings, smtp_server)
    token = _mailed_token(smtp_server, "new.officer@example.org")
    record = db.scalars(sa.select(Invitation)).one()
    assert record.token_hash != token and record.expires_at - record.created_at == timedelta(days=7)

    client.cookies.clear()  # the invitee's own browser
    r = _accept(client, token, name="Nia Okafor")
    assert r.status_code == 303 and r.headers["location"] == "/officer"
    assert client.cookies.get(SESSION_COOKIE)
    assert client.get("/officer", follow_redirects=False).status_code == 200
    db.expire_all()
    user = db.scalars(sa.select(User).where(User.email == "new.officer@example.org")).one()
    assert user.role == "officer" and user.display_name == "Nia Okafor" and user.email_confirmed_at is not None
    assert verify_password(user.password_hash, PASSWORD)
    assert db.get(Invitation, record.id).accepted_at is not None


def test_a_used_invitation_is_refused(client, db, settings):
    admin = make_user(db, role="admin")
    invited = service.invite(
        db, actor=admin, email="once@example.org", role="coordinator", display_name="C", now=utcnow(), settings=settings
    )
    assert _accept(client, invited.token).status_code == 303
    client.cookies.clear()
    again = client.get(f"/invite/{invited.token}")
    assert again.status_code == 410 and "already accepted" in again.text and "<form" not in again.text


def test_an_expired_invitation_is_refused_with_a_clear_page(client, db, settings):
    admin = make_user(db, role="admin")
    invited = service.invite(
        db,
        actor=admin,
        email="late@example.org",
        role="officer",
        display_name="Late",
        now=utcnow() - timedelta(days=8),
        settings=settings,
    )
    r = client.get(f"/invite/{invited.token}")
    assert r.status_code == 410 and "has expired" in r.text
    assert client.get("/invite/no-such-token").status_code == 410


def test_mistakes_are_named_and_the_link_still_works(client, db, settings):
    admin = make_user(db, role="admin")
    invited = service.invite(
        db, actor=admin, email="typo@example.org", role="officer", display_name="T", now=utcnow(), settings=settings
    )
    differ = _accept(client, invited.token, confirm=PASSWORD + "!")
    assert differ.status_code == 422 and 'id="confirm_password-error"' in differ.text
    short = _accept(client, invited.token, password="short")
    assert short.status_code == 422 and 'id="password-error"' in short.text
    no_name = _accept(client, invited.token, name=" ")
    assert no_name.status_code == 422 and 'id="display_name-error"' in no_name.text
    db.expire_all()
    assert invited.user.password_hash is None and invited.record.accepted_at is None
    assert _accept(client, invited.token).status_code == 303


def test_the_accept_form_is_bound_to_the_browser(client, db, settings):
    admin = make_user(db, role="admin")
    invited = service.invite(
        db, actor=admin, email="bound@example.org", role="officer", display_name="B", now=utcnow(), settings=settings
    )
    csrf = _form_token(client, invited.token)
    client.cookies.clear()  # another browser replaying the form's token
    r = client.post(
        f"/invite/{invited.token}",
        data={"display_name": "B", "password": PASSWORD, "confirm_password": PASSWORD, "csrf_token": csrf},
    )
    assert r.status_code == 403


def test_a_coordinator_cannot_invite_an_officer(client, db, settings):
    coordinator = make_user(db, role="coordinator")
    with pytest.raises(InvitationNotAllowed) as caught:
        service.invite(
            db,
            actor=coordinator,
            email="x@example.org",
            role="officer",
            display_name="X",
            now=utcnow(),
            settings=settings,
        )
    assert caught.value.status_code == 403
    csrf = login(client, db, coordinator)
    r = client.post(
        "/admin/invitations",
        data={"email": "x@example.org", "display_name": "X", "role": "officer", "csrf_token": csrf},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 403
    assert db.scalar(sa.select(User).where(User.email == "x@example.org")) is None


def test_a_coordinator_invites_a_volunteer_with_a_profile(client, db, settings, smtp_server):
    coordinator = make_user(db, role="coordinator")
    csrf = login(client, db, coordinator)
    page = client.get("/coordinator/volunteers")
    assert 'action="/coordinator/volunteers/invite"' in page.text
    r = client.post(
        "/coordinator/volunteers/invite",
        data={"email": "walker@example.org", "display_name": "Wren", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    user = db.scalars(sa.select(User).where(User.email == "walker@example.org")).one()
    profile = db.scalars(sa.select(Volunteer).where(Volunteer.user_id == user.id)).one()
    assert user.role == "volunteer" and profile.status == "applicant"
    _deliver(db, settings, smtp_server)
    token = _mailed_token(smtp_server, "walker@example.org")
    client.cookies.clear()
    r = _accept(client, token, name="Wren Walker")
    assert r.status_code == 303 and r.headers["location"] == "/volunteer"
    assert client.get("/volunteer", follow_redirects=False).status_code == 200


def test_an_address_with_an_account_is_told_plainly_to_the_inviter(client, db):
    admin = make_user(db, role="admin")
    existing = make_user(db, role="venue_manager")
    csrf = login(client, db, admin)
    r = client.post(
        "/admin/invitations",
        data={"email": existing.email, "display_name": "Someone", "role": "officer", "csrf_token": csrf},
    )
    assert r.status_code == 409 and "already has an account" in r.text
    assert db.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0
    db.expire_all()
    assert db.get(User, existing.id).role == "venue_manager"


def test_inviting_again_before_acceptance_sends_a_new_link_and_ends_the_old(db, settings):
    admin = make_user(db, role="admin")
    first = service.invite(
        db, actor=admin, email="again@example.org", role="officer", display_name="A", now=utcnow(), settings=settings
    )
    second = service.invite(
        db, actor=admin, email="again@example.org", role="officer", display_name="A", now=utcnow(), settings=settings
    )
    assert second.user.id == first.user.id
    with pytest.raises(service.LinkNotValid):
        service.open_invitation(db, token=first.token, now=utcnow())
    assert service.open_invitation(db, token=second.token, now=utcnow())[1].id == first.user.id
