"""Find help now and the officer/owner pages in a real browser, with axe-core checks."""

from __future__ import annotations

import pytest

from nte.auth import service as auth_service
from nte.db import utcnow
from nte.safespaces import service
from tests.support.browser import axe_check, sign_in

pytestmark = pytest.mark.browser

OFFICER = "safespaces-officer@example.org"
OWNER = "safespaces-owner@example.org"
PASSWORD = "a browser password"


def _seed(live_server) -> dict[str, int]:
    with live_server.session_factory.begin() as s:
        for email, role in ((OFFICER, "officer"), (OWNER, "venue_manager")):
            if not s.query(auth_service.User).filter_by(email=email).first():
                auth_service.create_user(
                    s,
                    email=email,
                    display_name=email.split("@")[0],
                    role=role,
                    password=PASSWORD,
                    confirmed_at=utcnow(),
                )
        existing = {sp.name: sp.id for sp, _ in service.list_spaces(s)}
        ids = {}
        for name, hours, lon in (("Browser haven (24/7)", "24/7", -0.1337), ("Browser daytime space", "", -0.1340)):
            if name in existing:
                ids[name] = existing[name]
                continue
            owner = s.query(auth_service.User).filter_by(email=OWNER).one()
            space = service.create_space(
                s,
                data={
                    "name": name,
                    "kind": "safe_haven",
                    "lon": lon,
                    "lat": 51.5136,
                    "phone": "020 7946 0000",
                    "opening_hours": hours,
                    "help_offered": ["water", "phone_charging"],
                    "codewords": ["ask_for_angela"],
                    "owner_user_id": owner.id,
                },
                actor=None,
                settings=live_server.settings,
                now=utcnow(),
            )
            ids[name] = space.id
    return ids


def test_help_now_with_a_map_click_on_a_phone_screen(browser, live_server):
    _seed(live_server)
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="en-GB", timezone_id="Europe/London")
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda req: requests.append(req.url))
    try:
        page.goto(f"{live_server.url}/help-now")
        assert page.locator("#quick-exit").is_visible()
        page.wait_for_selector("#help-map .leaflet-container, #help-map.leaflet-container")
        axe_check(page)
        # Click the map (the search point becomes the click): the list of nearest spaces appears.
        page.locator("#show-open").check()
        with page.expect_navigation():
            page.locator("#help-map").click(position={"x": 150, "y": 120})
        assert "lon=" in page.url and "lat=" in page.url
        page.goto(f"{live_server.url}/help-now?lon=-0.1336&lat=51.5136&show=all")
        items = page.locator("#safe-space-list .safe-space")
        assert items.count() >= 2
        first = items.first
        assert "Browser haven" in first.inner_text() and "Open 24 hours" in first.inner_text()
        assert first.locator("a[href^='tel:']").get_attribute("href") == "tel:02079460000"
        assert page.locator("#help-map .leaflet-interactive").count() >= 2  # markers drawn
        # Nothing wider than the phone screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        axe_check(page)
    finally:
        context.close()
    assert all(url.startswith(live_server.url) or url.startswith("data:") for url in requests), requests


def test_help_now_uses_the_browser_location(browser, live_server):
    _seed(live_server)
    context = browser.new_context(
        viewport={"width": 1024, "height": 800},
        locale="en-GB",
        geolocation={"longitude": -0.1336, "latitude": 51.5137},
        permissions=["geolocation"],
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/help-now")
        with page.expect_navigation():
            page.click("#locate-me")
        assert page.locator("#results-title").inner_text() == "Open now near you"
        # The answer comes first: focus and the top of the screen are on the results.
        assert page.evaluate("document.activeElement.id") == "results-title"
        assert page.evaluate("document.getElementById('results-title').getBoundingClientRect().top") < 100
        assert "Browser haven" in page.locator("#safe-space-list").inner_text()
        assert "Browser daytime space" not in page.locator("#safe-space-list").inner_text()  # closed: unknown hours
        axe_check(page)
    finally:
        context.close()


def test_help_now_without_javascript_by_ward(browser, live_server):
    _seed(live_server)
    context = browser.new_context(viewport={"width": 375, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/help-now")
        assert not page.locator("#locate-me").is_visible() and not page.locator("#help-map").is_visible()
        page.select_option("#ward", "E05013806")  # St James's
        page.check("#show-all")
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert "ward=E05013806" in page.url
        text = page.locator("#safe-space-list").inner_text()
        assert "Browser haven" in text
        daytime = page.locator(".safe-space", has_text="Browser daytime space")
        # Unknown hours are said as such, never "Closed".
        assert "Hours not known" in daytime.inner_text() and "Closed" not in daytime.inner_text()
        assert page.url.endswith("#results-title")  # the browser lands on the answer
    finally:
        context.close()
    js_page = browser.new_context().new_page()  # axe needs JavaScript to run; same page, same markup
    js_page.goto(f"{live_server.url}/help-now?ward=E05013806&show=all")
    axe_check(js_page)
    js_page.context.close()


def test_officer_pages_add_verify_and_decide(page, live_server):
    ids = _seed(live_server)
    sign_in(page, live_server, OFFICER, PASSWORD)
    page.goto(f"{live_server.url}/officer/safe-spaces")
    axe_check(page)
    page.goto(f"{live_server.url}/officer/safe-spaces/new")
    axe_check(page)
    page.fill("#name", "")
    page.select_option("#kind", "pharmacy")
    page.fill("#lon", "-0.1337")
    page.fill("#lat", "51.5136")
    page.fill("#opening_hours", "Fr 25:00-04:00")
    with page.expect_navigation():
        page.click("form[novalidate] button[type=submit]")
    page.wait_for_selector(".error-summary")
    assert page.locator("#name-error").is_visible() and page.locator("#opening_hours-error").is_visible()
    axe_check(page)
    page.fill("#name", "Browser pharmacy")
    page.fill("#opening_hours", "Mo-Sa 08:00-23:00")
    with page.expect_navigation():
        page.click("form[novalidate] button[type=submit]")
    assert "Saved." in page.content() and "Browser pharmacy" in page.locator("h1").inner_text()
    with page.expect_navigation():
        page.click("button[value=verify]")
    assert "verified" in page.locator(".summary").inner_text()
    axe_check(page)
    # A proposal from the owner, decided by the officer.
    with live_server.session_factory.begin() as s:
        owner = s.query(auth_service.User).filter_by(email=OWNER).one()
        service.propose_change(
            s,
            space_id=ids["Browser haven (24/7)"],
            user=owner,
            data={"phone": "020 7946 5555"},
            confirms_hours=True,
            message="new number",
            settings=live_server.settings,
            now=utcnow(),
        )
    page.goto(f"{live_server.url}/officer/safe-spaces/proposals")
    axe_check(page)
    section = page.locator("section.proposal").filter(has_text="new number").first
    with page.expect_navigation():
        section.locator("button[value=approve]").click()
    assert "new number" not in page.content()


def test_owner_pages(page, live_server):
    ids = _seed(live_server)
    sign_in(page, live_server, OWNER, PASSWORD)
    page.goto(f"{live_server.url}/safe-spaces/mine")
    axe_check(page)
    page.goto(f"{live_server.url}/safe-spaces/mine/{ids['Browser daytime space']}")
    axe_check(page)
    page.fill("#opening_hours", "Mo-Fr 09:00-17:00")
    with page.expect_navigation():
        page.click("form[novalidate] button[type=submit]")
    assert "An officer will check your change" in page.content()
