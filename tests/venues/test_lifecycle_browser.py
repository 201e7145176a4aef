"""In a real browser, axe-checked on every page: an officer asks for changes (first without saying
which: the error summary is shown and focused), the manager reads the reasons on the portal and
resubmits, and the officer finds the venue back in the queue and its pin on the venue page's map."""

from __future__ import annotations

import uuid

import pytest

from nte.auth import service as auth_service
from nte.auth.models import User
from nte.db import utcnow
from tests.factories import PASSWORD, make_venue
from tests.support.browser import axe_check, sign_in

pytestmark = pytest.mark.browser

REASONS = "Add your WAVE training with its date.\nSay how you meet pledge 5."


def test_request_changes_resubmit_and_back_in_the_queue(page, live_server):
    tag = uuid.uuid4().hex[:6]
    officer_email = f"lifecycle-officer-{tag}@example.org"
    with live_server.session_factory.begin() as s:
        venue = make_venue(s, name=f"Lifecycle Arms {tag}")
        venue.pin_postcode_distance_m = 480.0
        manager = s.get(User, venue.manager_user_id)
        manager.email_confirmed_at = utcnow()
        venue_id, manager_email = venue.id, manager.email
        auth_service.create_user(
            s,
            email=officer_email,
            display_name="Officer",
            role="officer",
            password="a browser password",  # noqa: S106
            confirmed_at=utcnow(),
        )

    sign_in(page, live_server, officer_email, "a browser password")
    page.goto(f"{live_server.url}/officer/venues/{venue_id}")
    page.wait_for_selector("#venue-pin-map[data-pin]")
    assert page.is_visible("#pin-postcode-flag") and "480 m" in page.text_content("#pin-postcode-flag")
    axe_check(page)

    # The mistake: "Request changes" without saying what to change.
    page.check("#action-request_changes")
    with page.expect_navigation():
        page.click("text=Record decision")
    assert "Say what the venue manager should change" in page.text_content("#error-summary")
    assert page.evaluate("document.activeElement && document.activeElement.id") == "error-summary"
    assert page.is_checked("#action-request_changes")  # the choice is kept
    axe_check(page)
    page.fill("#reason", REASONS)
    with page.expect_navigation():
        page.click("text=Record decision")
    assert page.text_content("#venue-status") == "Changes requested"
    assert "Add your WAVE training with its date." in page.text_content("#status-reason")
    axe_check(page)

    # The manager reads the reasons on the portal and resubmits.
    page.context.clear_cookies()
    sign_in(page, live_server, manager_email, PASSWORD)
    assert f"/venue-portal/{venue_id}" in page.url
    reasons = page.locator("#officer-reasons li").all_text_contents()
    assert reasons == ["Add your WAVE training with its date.", "Say how you meet pledge 5."]
    axe_check(page)
    page.fill("#note", "Training and pledge 5 added.")
    with page.expect_navigation():
        page.click("#resubmit")
    assert page.is_visible("#resubmitted") and page.text_content("#venue-status") == "Submitted"
    assert "Training and pledge 5 added." in page.text_content("#status-history")
    axe_check(page)

    # Back in the officer's queue, with its pin on the venue page's map.
    page.context.clear_cookies()
    sign_in(page, live_server, officer_email, "a browser password")
    page.goto(f"{live_server.url}/officer/venues")
    row = page.locator("tr", has_text=f"Lifecycle Arms {tag}")
    assert row.count() == 1 and "resubmitted after changes" in row.text_content()
    axe_check(page)
    with page.expect_navigation():
        row.locator("a").click()
    page.wait_for_selector("#venue-pin-map[data-pin]")
    assert page.locator("#venue-pin-map .leaflet-marker-icon").count() == 1
    assert page.locator("#venue-pin-map .leaflet-tile").count() == 0  # no tiles needed
    page.wait_for_selector("#venue-pin-map[data-wards-loaded]")
    assert int(page.get_attribute("#venue-pin-map", "data-wards-loaded")) > 0
    lat, lon = (float(x) for x in page.get_attribute("#venue-pin-map", "data-pin").split(","))
    assert abs(lat - 51.5133) < 1e-6 and abs(lon - -0.1337) < 1e-6
    box = page.locator("#venue-pin-map").bounding_box()
    marker = page.locator("#venue-pin-map .leaflet-marker-icon").bounding_box()
    assert box and marker and box["x"] < marker["x"] < box["x"] + box["width"]  # the pin is on the map
    assert page.is_visible("#pin-postcode-flag") and "Training and pledge 5 added." in page.text_content(
        "#status-history"
    )
    axe_check(page)
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
