"""The venue manager's journey in a real browser, axe-checked on every page: sign up (a mistake on
the way: a postcode that is not one), confirm the address, record training, changes requested by the
officer and resubmitted, verified, found by the public, then renewal: not offered a year ahead, the
reminder mail caught by a real SMTP server on loopback, its link followed and the record renewed.

The officer's side of "changes requested" (with the officer's own mistake) is
tests/venues/test_lifecycle_browser.py."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from nte.auth import service as auth_service
from nte.db import utcnow
from nte.notifications.jobs import deliver_outbox
from nte.notifications.models import OutboxMessage
from nte.venues import jobs as venue_jobs
from nte.venues import service as venue_service
from nte.venues.models import Venue
from tests.support.browser import axe_check, sign_in

pytestmark = pytest.mark.browser


def test_sign_up_changes_verified_listed_and_renewed(page, live_server, smtp_server):
    tag = uuid.uuid4().hex[:6]
    email = f"browser-venue-{tag}@example.org"
    page.goto(f"{live_server.url}/venues/sign-up")
    axe_check(page)
    page.fill("#name", f"Browser Arms {tag}")
    page.select_option("#venue_type", "bar")
    page.fill("#address", "1 Frith Street, London")
    page.fill("#postcode", "ZZ1 ZZZZ")
    page.click("#pin-map", position={"x": 300, "y": 200})  # JS fills lon/lat from the pin
    assert page.input_value("#lon") != "" and page.input_value("#lat") != ""
    assert "Pin placed at" in page.text_content("#pin-readout")
    page.fill("#lon", "-0.1317")
    page.fill("#lat", "51.5136")
    page.fill("#contact_email", email)
    page.fill("#contact_phone", "020 7946 0000")
    page.fill("#champion_name", "Browser Champion")
    page.fill("#champion_role", "Manager")
    for n in range(1, 8):
        page.check(f"#pledge_{n}_met")
        page.fill(f"#pledge_{n}_how", f"We do pledge {n}")
    page.fill("#manager_name", "Browser Manager")
    page.fill("#password", "a long browser password")
    page.fill("#password_confirm", "a long browser password")
    page.click("button[type=submit]")
    assert "Enter a real UK postcode" in page.text_content("#error-summary")
    assert page.input_value("#name") == f"Browser Arms {tag}"  # kept
    axe_check(page)
    page.fill("#postcode", "W1D 3JW")
    page.fill("#password", "a long browser password")
    page.fill("#password_confirm", "a long browser password")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "Thank you for signing" in page.text_content("h1")
    axe_check(page)

    # Signing in before confirming the address is refused with the reason ...
    sign_in(page, live_server, email, "a long browser password")
    assert "Confirm your e-mail address first" in page.text_content("#error-summary")
    # ... so the manager opens the link from the confirmation mail and confirms.
    with live_server.session_factory() as s:
        venue = s.scalars(sa.select(Venue).where(Venue.contact_email == email)).one()
        venue_id = venue.id
        mail = s.scalars(sa.select(OutboxMessage).where(OutboxMessage.to_address == email)).one()
    link = re.search(r"/confirm-email\?token=[\w-]+", mail.body)
    assert link, mail.body
    page.goto(live_server.url + link.group(0))
    page.click("button[type=submit]")
    assert "Your e-mail address is confirmed" in page.text_content("main")
    sign_in(page, live_server, email, "a long browser password")
    assert f"/venue-portal/{venue_id}" in page.url
    axe_check(page)
    page.select_option("#training_type", "wave")
    page.fill("#provider", "WAVE trainer")
    page.fill("#training_date", utcnow().date().isoformat())
    page.fill("#staff_trained", "6")
    page.focus("#staff_trained")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "WAVE trainer" in page.content()

    # The officer verifies it.
    with live_server.session_factory.begin() as s:
        officer_email = f"browser-officer-{tag}@example.org"
        auth_service.create_user(
            s,
            email=officer_email,
            display_name="Officer",
            role="officer",
            password="a browser password",  # noqa: S106
            confirmed_at=utcnow(),
        )
    page.context.clear_cookies()
    sign_in(page, live_server, officer_email, "a browser password")
    page.goto(f"{live_server.url}/officer/venues")
    axe_check(page)
    page.click(f"text=Browser Arms {tag}")
    axe_check(page)
    page.check("#action-request_changes")
    page.fill("#reason", "Say who your welfare champion is on a Saturday.")
    with page.expect_navigation():
        page.click("text=Record decision")
    assert page.text_content("#venue-status") == "Changes requested"

    # The manager reads the reason and resubmits; the officer verifies.
    page.context.clear_cookies()
    sign_in(page, live_server, email, "a long browser password")
    assert page.locator("#officer-reasons li").all_text_contents() == [
        "Say who your welfare champion is on a Saturday."
    ]
    page.fill("#note", "Our deputy manager, Sam, on Saturdays.")
    with page.expect_navigation():
        page.click("#resubmit")
    assert page.text_content("#venue-status") == "Submitted"
    axe_check(page)
    page.context.clear_cookies()
    sign_in(page, live_server, officer_email, "a browser password")
    page.goto(f"{live_server.url}/officer/venues/{venue_id}")
    page.check("#action-verify")
    with page.expect_navigation():
        page.click("text=Record decision")
    assert page.text_content("#venue-status") == "Verified"

    # The public finds it.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/venues")
    axe_check(page)
    page.click(f"text=Browser Arms {tag}")
    assert "Charter signatory, verified" in page.content() and "WAVE" in page.content()
    axe_check(page)

    # Renewal: a year ahead the portal says when it opens (the refusal journey is test_renewal_browser.py).
    sign_in(page, live_server, email, "a long browser password")
    assert "You can renew from" in page.text_content("#renewal-not-yet")
    # Eleven months on (the renewal date brought near), the scheduler's reminder job mails the manager.
    with live_server.session_factory.begin() as s:
        venue = s.get(Venue, venue_id)
        venue.renewal_date = venue_service.london_today(utcnow()) + timedelta(days=25)
        due = venue.renewal_date
    with live_server.session_factory.begin() as s:
        assert venue_jobs.renewal_reminders(s, now=utcnow()) >= 1
    smtp = live_server.settings.model_copy(update={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port})
    with live_server.session_factory() as s:
        deliver_outbox(s, now=utcnow(), settings=smtp)
    [mail] = [m for m in smtp_server.to(email) if "Renew" in m["Subject"]]
    link = re.search(r"https?://[^/\s]+(/venue-portal)\b", mail.get_payload(decode=True).decode())
    assert link, mail
    page.goto(live_server.url + link.group(1))
    assert f"/venue-portal/{venue_id}" in page.url
    assert "Renewal is due in 25 days" in page.text_content("#renewal")
    axe_check(page)
    page.fill("#new_starters", "0")
    with page.expect_navigation():
        page.click("#renew")
    renewed = venue_service.add_year(due)
    assert f"runs until {venue_service.long_date(renewed)}" in page.text_content("#renewed")
    assert "You already renewed" in page.text_content("#renewal-not-yet")  # renewed: not again this cycle
    axe_check(page)
