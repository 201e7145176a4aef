"""Browser: an administrator invites an officer; the mail is caught by a real SMTP server on
loopback; the invitee opens the link, makes a mistake, corrects it and lands signed in. Each page
passes axe-core."""

from __future__ import annotations

import re
import uuid

import pytest

from nte.auth import service as auth_service
from nte.db import utcnow
from nte.notifications.jobs import deliver_outbox
from tests.support.browser import axe_check, sign_in

pytestmark = pytest.mark.browser
ADMIN_PASSWORD = "an onboarding admin password"  # noqa: S105
NEW_PASSWORD = "the new officer's password"  # noqa: S105


def _admin(live_server) -> str:
    email = "onboarding-admin@example.org"
    with live_server.session_factory.begin() as s:
        if not s.query(auth_service.User).filter_by(email=email).first():
            auth_service.create_user(
                s,
                email=email,
                display_name="Onboarding admin",
                role="admin",
                password=ADMIN_PASSWORD,
                confirmed_at=utcnow(),
            )
    return email


def test_admin_invites_an_officer_who_signs_up_after_a_mistake(page, browser, live_server, smtp_server):
    sign_in(page, live_server, _admin(live_server), ADMIN_PASSWORD)
    page.goto(f"{live_server.url}/admin/invitations")
    axe_check(page)
    page.fill("#email", "invited-officer@example.org")
    page.fill("#display_name", "Bea")
    page.select_option("#role", "officer")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.locator("[role=status]").inner_text().startswith("Invitation sent")
    assert "invited-officer@example.org" in page.locator("table").inner_text()
    axe_check(page)

    smtp = live_server.settings.model_copy(update={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port})
    with live_server.session_factory() as s:
        deliver_outbox(s, now=utcnow(), settings=smtp)
    [mail] = smtp_server.to("invited-officer@example.org")
    token = re.search(r"/invite/([\w-]+)", mail.get_payload(decode=True).decode()).group(1)

    context = browser.new_context(viewport={"width": 375, "height": 800}, locale="en-GB")
    invitee = context.new_page()
    try:
        invitee.goto(f"{live_server.url}/invite/{token}")
        assert invitee.input_value("#display_name") == "Bea"
        axe_check(invitee)
        scroll = invitee.evaluate("document.documentElement.scrollWidth")
        assert scroll <= 375, f"the invitation page is {scroll}px wide at 375px"
        invitee.fill("#display_name", "Bea Adeyemi")
        invitee.fill("#password", NEW_PASSWORD)
        invitee.fill("#confirm_password", NEW_PASSWORD + " typo")
        with invitee.expect_navigation():
            invitee.click("main button[type=submit]")
        assert "do not match" in invitee.locator("#confirm_password-error").inner_text()
        assert invitee.input_value("#display_name") == "Bea Adeyemi"  # what was typed is kept
        axe_check(invitee)
        invitee.fill("#password", "too short")
        invitee.fill("#confirm_password", "too short")
        with invitee.expect_navigation():
            invitee.click("main button[type=submit]")
        assert "at least 12" in invitee.locator("#password-error").inner_text()
        invitee.fill("#password", NEW_PASSWORD)
        invitee.fill("#confirm_password", NEW_PASSWORD)
        with invitee.expect_navigation():
            invitee.click("main button[type=submit]")
        assert invitee.url == f"{live_server.url}/officer"
        axe_check(invitee)
        invitee.goto(f"{live_server.url}/account")
        assert "Bea Adeyemi" in invitee.locator("main").inner_text()
    finally:
        context.close()


def test_admin_withdraws_an_invitation_and_a_person_resets_a_forgotten_password(
    page, browser, live_server, smtp_server
):
    tag = uuid.uuid4().hex[:6]
    withdrawn, forgetful = f"withdrawn-{tag}@example.org", f"forgetful-{tag}@example.org"
    with live_server.session_factory.begin() as s:
        auth_service.create_user(
            s, email=forgetful, display_name="Forgetful", role="officer", password=ADMIN_PASSWORD, confirmed_at=utcnow()
        )
    sign_in(page, live_server, _admin(live_server), ADMIN_PASSWORD)
    page.goto(f"{live_server.url}/admin/invitations")
    page.fill("#email", withdrawn)
    page.fill("#display_name", "Will")
    page.select_option("#role", "coordinator")
    with page.expect_navigation():
        page.click("main form[action='/admin/invitations'] button[type=submit]")
    smtp = live_server.settings.model_copy(update={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port})
    with live_server.session_factory() as s:
        deliver_outbox(s, now=utcnow(), settings=smtp)
    [mail] = smtp_server.to(withdrawn)
    token = re.search(r"/invite/([\w-]+)", mail.get_payload(decode=True).decode()).group(1)

    row = page.locator("table tbody tr", has_text=withdrawn)
    with page.expect_navigation():
        row.locator("button", has_text="Withdraw").click()
    assert "Invitation withdrawn" in page.locator("[role=status]").inner_text()
    assert page.locator("table tbody tr", has_text=withdrawn).count() == 0  # its account was never used
    axe_check(page)

    context = browser.new_context(viewport={"width": 375, "height": 800}, locale="en-GB")
    person = context.new_page()
    try:
        response = person.goto(f"{live_server.url}/invite/{token}")
        assert response is not None and response.status == 410
        assert "no longer valid" in person.locator("[role=alert]").inner_text()
        assert person.locator("#password").count() == 0
        axe_check(person)

        # Forgot the password: the link comes by mail; a mistake first, then a new password.
        person.goto(f"{live_server.url}/login")
        with person.expect_navigation():
            person.click("a[href='/password-reset']")
        axe_check(person)
        person.fill("#email", forgetful)
        with person.expect_navigation():
            person.click("main button[type=submit]")
        assert "If an account uses that address" in person.locator("[role=status]").inner_text()
        with live_server.session_factory() as s:
            deliver_outbox(s, now=utcnow(), settings=smtp)
        [reset] = smtp_server.to(forgetful)
        link = re.search(r"/password-reset/([\w-]+)", reset.get_payload(decode=True).decode()).group(0)
        person.goto(f"{live_server.url}{link}")
        axe_check(person)
        person.fill("#password", NEW_PASSWORD)
        person.fill("#confirm_password", "not the same password")
        with person.expect_navigation():
            person.click("main button[type=submit]")
        assert "do not match" in person.locator("#confirm_password-error").inner_text()
        axe_check(person)
        assert person.evaluate("document.documentElement.scrollWidth") <= 375
        person.fill("#password", NEW_PASSWORD)
        person.fill("#confirm_password", NEW_PASSWORD)
        with person.expect_navigation():
            person.click("main button[type=submit]")
        assert "Your password has been changed" in person.locator("[role=status]").inner_text()
        sign_in(person, live_server, forgetful, NEW_PASSWORD)
        assert person.url == f"{live_server.url}/officer"
        axe_check(person)
    finally:
        context.close()
