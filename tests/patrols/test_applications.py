"""Applying to volunteer: the public form, the same answer for every address, the rate limit; a
coordinator approves (a one-time link is mailed to a real SMTP server on loopback) or declines (the
applicant is told and the password-less account is deleted); every refusal is a 4xx with its reason.
Also withdrawing invitations (coordinator and admin) and the clean-up job for accounts never used."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from nte.audit.models import AuditEvent
from nte.auth import service as auth_service
from nte.auth.models import Invitation, User
from nte.db import utcnow
from nte.notifications.jobs import deliver_outbox
from nte.patrols import applications
from nte.patrols import service as patrols
from nte.patrols.jobs import remove_unused_accounts
from nte.patrols.models import Volunteer, VolunteerApplication
from nte.patrols.pages.volunteer import APPLICATIONS_PER_CLIENT_PER_HOUR, APPLICATIONS_PER_EMAIL_PER_HOUR
from tests.factories import login, make_user, make_volunteer

PASSWORD = "an applicant's long password"  # noqa: S105


def _form(email: str, **overrides) -> dict[str, str]:
    form = {
        "display_name": "Ada Applicant",
        "email": email,
        "phone": "07700 900456",
        "about": "I walk home through Soho most Fridays; free Friday and Saturday nights from 10 pm.",
        "consent": "yes",
    }
    form.update(overrides)
    return form


def _apply(client, anon_csrf, email: str, **overrides):
    return client.post("/volunteer/apply", data={**_form(email, **overrides), "csrf_token": anon_csrf})


def _deliver(db, settings, smtp_server) -> None:
    smtp = settings.model_copy(update={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port})
    deliver_outbox(db, now=utcnow(), settings=smtp)


def _count(db, model, *where) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def _application_for(db, email: str) -> VolunteerApplication:
    return db.scalars(
        sa.select(VolunteerApplication)
        .join(Volunteer, Volunteer.id == VolunteerApplication.volunteer_id)
        .join(User, User.id == Volunteer.user_id)
        .where(User.email == email)
    ).one()


def test_the_sign_in_page_links_to_the_public_application_form(client):
    login_page = client.get("/login")
    assert 'href="/volunteer/apply"' in login_page.text
    form = client.get("/volunteer/apply")
    assert form.status_code == 200 and 'name="consent"' in form.text and 'id="quick-exit"' in form.text


def test_an_application_makes_a_password_less_applicant(client, db, anon_csrf):
    r = _apply(client, anon_csrf, "Ada.New@example.org")
    assert r.status_code == 200 and "a volunteer coordinator will contact you" in r.text.lower()
    user = db.scalars(sa.select(User).where(User.email == "ada.new@example.org")).one()
    assert user.role == "volunteer" and user.password_hash is None and user.email_confirmed_at is None
    volunteer = db.scalars(sa.select(Volunteer).where(Volunteer.user_id == user.id)).one()
    assert volunteer.status == "applicant" and volunteer.phone == "07700 900456"
    application = _application_for(db, user.email)
    assert "Fridays" in application.about and application.dbs_consent_at is not None
    assert application.approved_at is None


def test_an_address_with_an_account_gets_the_same_page_and_nothing_changes(client, db, anon_csrf):
    existing = make_user(db, role="officer", email="officer-applies@example.org", display_name="Olu")
    known = _apply(client, anon_csrf, "officer-applies@example.org")
    unknown = _apply(client, anon_csrf, "nobody-yet@example.org")
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text  # byte for byte
    db.expire_all()
    assert existing.role == "officer" and existing.display_name == "Olu"
    assert _count(db, Volunteer, Volunteer.user_id == existing.id) == 0


def test_every_mistake_is_named_at_once_and_what_was_typed_is_kept(client, db, anon_csrf):
    r = _apply(client, anon_csrf, "not an address", display_name="", phone="call me", about="", consent="")
    assert r.status_code == 422
    for field in ("display_name", "email", "phone", "about", "consent"):
        assert f'id="{field}-error"' in r.text, field
        assert f'href="#{field}"' in r.text, field  # the error summary links to the box
    assert 'value="call me"' in r.text
    assert _count(db, User, User.email == "not an address") == 0


def test_a_missing_consent_alone_is_refused(client, db, anon_csrf):
    r = _apply(client, anon_csrf, "no-consent@example.org", consent="")
    assert r.status_code == 422 and "DBS check" in r.text and 'id="consent-error"' in r.text
    assert _count(db, User, User.email == "no-consent@example.org") == 0


def test_applications_are_limited_per_address_and_per_connection(client, db, anon_csrf):
    for _ in range(APPLICATIONS_PER_EMAIL_PER_HOUR):
        assert _apply(client, anon_csrf, "eager@example.org").status_code == 200
    r = _apply(client, anon_csrf, "Eager@Example.org")
    assert r.status_code == 429 and "Too many applications" in r.text and int(r.headers["retry-after"]) > 0
    # the refused one counted for the connection too
    for n in range(APPLICATIONS_PER_CLIENT_PER_HOUR - APPLICATIONS_PER_EMAIL_PER_HOUR - 1):
        assert _apply(client, anon_csrf, f"other{n}@example.org").status_code == 200
    r = _apply(client, anon_csrf, "one-more@example.org")
    assert r.status_code == 429
    assert _count(db, User, User.email == "one-more@example.org") == 0


def test_a_coordinator_sees_applications_oldest_first_and_approves_one(client, db, anon_csrf, settings, smtp_server):
    _apply(client, anon_csrf, "first-applicant@example.org", display_name="First Applicant")
    _apply(client, anon_csrf, "second-applicant@example.org", display_name="Second Applicant")
    coordinator = make_user(db, role="coordinator")
    csrf = login(client, db, coordinator)
    page = client.get("/coordinator/volunteers")
    assert page.status_code == 200
    first, second = page.text.index("First Applicant"), page.text.index("Second Applicant")
    assert first < second and "Fridays" in page.text

    application = _application_for(db, "first-applicant@example.org")
    r = client.post(
        f"/coordinator/volunteers/applications/{application.id}/approve",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    db.expire_all()
    assert application.approved_at is not None and application.approved_by_id == coordinator.id
    after = client.get("/coordinator/volunteers").text
    assert "First Applicant" in after.split('id="invitation_id"')[1]  # now an invitation waiting
    assert "First Applicant" not in after.split('id="invitation_id"')[0].split('id="application_id"')[1]

    _deliver(db, settings, smtp_server)
    [mail] = smtp_server.to("first-applicant@example.org")
    token = re.search(r"/invite/([\w-]+)", mail.get_payload(decode=True).decode()).group(1)
    record = db.scalars(
        sa.select(Invitation)
        .join(User, User.id == Invitation.user_id)
        .where(User.email == "first-applicant@example.org")
    ).one()
    assert record.expires_at - record.created_at == timedelta(days=7) and record.token_hash != token
    user = auth_service.accept_invitation(db, token=token, display_name="First A.", password=PASSWORD, now=utcnow())
    assert user.role == "volunteer" and user.password_hash is not None

    again = client.post(f"/coordinator/volunteers/applications/{application.id}/approve", data={"csrf_token": csrf})
    assert again.status_code == 409 and "already approved" in again.text
    declined_after = client.post(
        f"/coordinator/volunteers/applications/{application.id}/decline", data={"csrf_token": csrf}
    )
    assert declined_after.status_code == 409 and "already approved" in declined_after.text


def test_declining_tells_the_applicant_and_deletes_what_they_sent(client, db, anon_csrf, settings, smtp_server):
    _apply(client, anon_csrf, "declined@example.org", display_name="Dee Clined")
    application = _application_for(db, "declined@example.org")
    application_id, volunteer_id = application.id, application.volunteer_id
    coordinator = make_user(db, role="coordinator")
    csrf = login(client, db, coordinator)
    r = client.post(
        f"/coordinator/volunteers/applications/{application.id}/decline",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    db.expire_all()
    assert _count(db, User, User.email == "declined@example.org") == 0
    assert _count(db, Volunteer, Volunteer.id == volunteer_id) == 0
    assert _count(db, VolunteerApplication, VolunteerApplication.id == application_id) == 0
    actions = set(db.scalars(sa.select(AuditEvent.action).where(AuditEvent.actor_user_id == coordinator.id)))
    assert {"patrols.application.decline", "user.remove_unused"} <= actions
    _deliver(db, settings, smtp_server)
    [mail] = smtp_server.to("declined@example.org")
    assert "not able to take it further" in mail.get_payload(decode=True).decode()

    twice = client.post(f"/coordinator/volunteers/applications/{application_id}/decline", data={"csrf_token": csrf})
    assert twice.status_code == 404 and "declined already" in twice.text


def test_application_decisions_refuse_a_wrong_id_other_roles_and_a_missing_csrf_token(client, db):
    coordinator = make_user(db, role="coordinator")
    csrf = login(client, db, coordinator)
    for action in ("approve", "decline"):
        r = client.post(f"/coordinator/volunteers/applications/987654/{action}", data={"csrf_token": csrf})
        assert r.status_code == 404 and "no such application" in r.text.lower(), action
        r = client.post(f"/coordinator/volunteers/applications/not-a-number/{action}", data={"csrf_token": csrf})
        assert 400 <= r.status_code < 500, action
        r = client.post(f"/coordinator/volunteers/applications/987654/{action}", data={})
        assert r.status_code == 403, action
    client.cookies.clear()
    volunteer = make_volunteer(db)
    csrf = login(client, db, db.get(User, volunteer.user_id))
    r = client.post("/coordinator/volunteers/applications/1/approve", data={"csrf_token": csrf})
    assert r.status_code == 403


# --- withdrawing invitations ----------------------------------------------------------------------


def test_a_coordinator_withdraws_an_invitation_and_its_link_stops_working(client, db, settings):
    from nte.patrols import service as patrols

    coordinator = make_user(db, role="coordinator", display_name="Cora Ordinator")
    csrf = login(client, db, coordinator)

    def invite(email: str):
        patrols.invite_volunteer(
            db, actor=coordinator, email=email, display_name="Wyn", now=utcnow(), settings=settings
        )
        [record] = db.scalars(
            sa.select(Invitation).join(User, User.id == Invitation.user_id).where(User.email == email)
        ).all()
        token = auth_service.new_token()  # the mailed token is not stored; give the record a known one
        record.token_hash = auth_service.token_hash(token)
        db.flush()
        return record, token

    record, token = invite("withdrawn-vol@example.org")
    record_id, user_id = record.id, record.user_id
    assert client.get(f"/invite/{token}").status_code == 200
    assert "withdrawn-vol@example.org" in client.get("/coordinator/volunteers").text

    r = client.post(
        f"/coordinator/volunteers/invitations/{record_id}/withdraw", data={"csrf_token": csrf}, follow_redirects=False
    )
    # The message travels signed (not as text in the link): follow the redirect to read it.
    assert r.status_code == 303 and "withdrawn" in client.get(r.headers["location"]).text
    db.expire_all()
    assert _count(db, User, User.email == "withdrawn-vol@example.org") == 0  # never used: removed
    assert _count(db, Volunteer, Volunteer.user_id == user_id) == 0  # the profile went with it
    page = client.get(f"/invite/{token}")
    assert page.status_code == 410 and "no longer valid" in page.text and "Ask whoever invited you" in page.text

    kept_record, kept_token = invite("kept-vol@example.org")
    kept_user_id = kept_record.user_id
    # an invitation whose profile already holds vetting records keeps its account
    volunteer = db.scalars(sa.select(Volunteer).where(Volunteer.user_id == kept_user_id)).one()
    patrols.add_record(
        db,
        actor=coordinator,
        volunteer_id=volunteer.id,
        kind="dbs",
        completed_date=utcnow().date(),
        expires_date=None,
        now=utcnow(),
    )
    done = applications.withdraw_volunteer_invitation(db, actor=coordinator, invitation_id=kept_record.id, now=utcnow())
    assert not done.account_removed and db.get(User, kept_user_id) is not None
    opened = client.get(f"/invite/{kept_token}")
    assert opened.status_code == 410 and "withdrawn" in opened.text and "Cora Ordinator" in opened.text

    twice = client.post(f"/coordinator/volunteers/invitations/{kept_record.id}/withdraw", data={"csrf_token": csrf})
    assert twice.status_code == 409 and "already withdrawn" in twice.text
    wrong = client.post("/coordinator/volunteers/invitations/987654/withdraw", data={"csrf_token": csrf})
    assert wrong.status_code == 404 and "no such invitation" in wrong.text.lower()


def test_a_coordinator_cannot_withdraw_a_staff_invitation(client, db, settings):
    admin = make_user(db, role="admin")
    staff = auth_service.invite(
        db,
        actor=admin,
        email="staff-inv@example.org",
        role="officer",
        display_name="Sam",
        now=utcnow(),
        settings=settings,
    )
    coordinator = make_user(db, role="coordinator")
    csrf = login(client, db, coordinator)
    r = client.post(f"/coordinator/volunteers/invitations/{staff.record.id}/withdraw", data={"csrf_token": csrf})
    assert r.status_code == 404
    db.expire_all()
    assert staff.record.withdrawn_at is None


def test_an_admin_withdraws_a_staff_invitation_but_not_an_accepted_one(client, db, settings):
    admin = make_user(db, role="admin")
    csrf = login(client, db, admin)
    waiting = auth_service.invite(
        db,
        actor=admin,
        email="to-withdraw@example.org",
        role="officer",
        display_name="Tom",
        now=utcnow(),
        settings=settings,
    )
    accepted = auth_service.invite(
        db,
        actor=admin,
        email="accepted@example.org",
        role="coordinator",
        display_name="Acc",
        now=utcnow(),
        settings=settings,
    )
    auth_service.accept_invitation(db, token=accepted.token, display_name="Acc", password=PASSWORD, now=utcnow())
    db.flush()
    listing = client.get("/admin/invitations").text
    assert listing.count(">Withdraw</button>") >= 1 and "Accepted" in listing

    r = client.post(
        f"/admin/invitations/{waiting.record.id}/withdraw", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/invitations?done=")
    # the message is signed into the link (a crafted ?done= shows nothing): read it on the page
    assert "Invitation withdrawn: its link no longer works" in client.get(r.headers["location"]).text
    db.expire_all()
    assert _count(db, User, User.email == "to-withdraw@example.org") == 0
    assert client.get(f"/invite/{waiting.token}").status_code == 410

    r = client.post(f"/admin/invitations/{accepted.record.id}/withdraw", data={"csrf_token": csrf})
    assert r.status_code == 409 and "already accepted" in r.text
    assert db.get(User, accepted.user.id) is not None
    assert client.post("/admin/invitations/987654/withdraw", data={"csrf_token": csrf}).status_code == 404


def test_an_expired_invitation_cannot_be_withdrawn(db, settings):
    admin = make_user(db, role="admin")
    old = auth_service.invite(
        db,
        actor=admin,
        email="expired-inv@example.org",
        role="officer",
        display_name="Old",
        now=utcnow() - timedelta(days=8),
        settings=settings,
    )
    with pytest.raises(auth_service.InvitationNotWaiting) as refused:
        auth_service.withdraw_invitation(db, actor=admin, invitation_id=old.record.id, now=utcnow())
    assert refused.value.status_code == 409 and "expired" in refused.value.detail


# --- the clean-up job -----------------------------------------------------------------------------


def test_the_clean_up_job_removes_only_stale_password_less_accounts(db, settings, client, anon_csrf):
    admin = make_user(db, role="admin")
    now = utcnow()
    long_ago = now - timedelta(days=7 + settings.unused_account_days + 1)
    recently = now - timedelta(days=7 + settings.unused_account_days - 1)

    def invite(email: str, at):
        return auth_service.invite(
            db, actor=admin, email=email, role="officer", display_name="X", now=at, settings=settings
        )

    stale = invite("stale@example.org", long_ago)
    recent = invite("recent@example.org", recently)
    waiting = invite("waiting@example.org", now)
    accepted = invite("accepted-long-ago@example.org", long_ago)
    auth_service.accept_invitation(
        db, token=accepted.token, display_name="A", password=PASSWORD, now=long_ago + timedelta(days=1)
    )
    with_password = make_user(db, email="has-password@example.org")
    # invited long ago and never accepted, but a password was set since (a reset link): kept
    reset_since = invite("reset-since@example.org", long_ago)
    reset_token = auth_service.create_email_token(
        db, user=reset_since.user, purpose=auth_service.RESET_PURPOSE, now=now, hours=1
    )
    auth_service.reset_password(db, token=reset_token, new=PASSWORD, now=now)
    withdrawn_long_ago = invite("withdrawn-long-ago@example.org", long_ago)
    withdrawn_long_ago.record.withdrawn_at = long_ago
    _apply(client, anon_csrf, "applicant-waits@example.org")  # no invitation: waits for a coordinator
    # a volunteer invited long ago who never accepted, but whose DBS check the coordinator recorded
    # meanwhile: the vetting record is not thrown away with the account
    coordinator = make_user(db, role="coordinator")
    vetted = patrols.invite_volunteer(
        db,
        actor=coordinator,
        email="vetted-never-accepted@example.org",
        display_name="V",
        now=long_ago,
        settings=settings,
    )
    patrols.add_record(
        db,
        actor=coordinator,
        volunteer_id=vetted.id,
        kind="dbs",
        completed_date=long_ago.date(),
        expires_date=None,
        now=long_ago,
    )
    db.flush()

    removed = remove_unused_accounts(db, now=now)
    assert removed == 2
    db.expire_all()
    gone = {"stale@example.org", "withdrawn-long-ago@example.org"}
    kept = {
        recent.user.email,
        waiting.user.email,
        accepted.user.email,
        with_password.email,
        reset_since.user.email,
        "applicant-waits@example.org",
        "vetted-never-accepted@example.org",
    }
    emails = set(db.scalars(sa.select(User.email).where(User.email.in_(gone | kept))))
    assert emails == kept
    assert stale.user.id not in set(db.scalars(sa.select(User.id)))
    audited = db.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.action == "user.remove_unused", AuditEvent.target_id == str(stale.user.id)
        )
    ).all()
    assert len(audited) == 1
    assert remove_unused_accounts(db, now=now) == 0  # idempotent
