"""Coordinator and volunteer journeys in a real browser, axe-checked, keyboard usable."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from nte.db import utcnow
from nte.patrols import service as patrols
from tests.factories import PASSWORD, make_patrol_area, make_shift, make_user, make_volunteer
from tests.support.browser import axe_check, sign_in

pytestmark = pytest.mark.browser


def _email(role: str) -> str:
    return f"{role}-{uuid.uuid4().hex[:8]}@example.org"


def test_coordinator_draws_an_area_schedules_a_series_and_checks_staffing(page, live_server):
    email = _email("coordinator")
    with live_server.session_factory.begin() as s:
        make_user(s, role="coordinator", email=email)
        make_user(s, role="volunteer", email=_email("volunteer"))
    sign_in(page, live_server, email, PASSWORD)
    page.goto(live_server.url + "/coordinator")
    axe_check(page)

    page.goto(live_server.url + "/coordinator/areas")
    page.wait_for_selector("#area-draw.leaflet-container[data-ready]")  # areas shown, map still
    axe_check(page)
    # The list of areas above the map grows with every area the suite made: bring the map on screen
    # (mouse clicks at a point off the screen reach nothing).
    page.locator("#area-draw").scroll_into_view_if_needed()
    box = page.locator("#area-draw").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in ((-80, -60), (90, -50), (70, 70), (-70, 60)):
        page.mouse.click(cx + dx, cy + dy)
    assert '"Polygon"' in page.input_value("#geometry")
    name = f"Drawn {uuid.uuid4().hex[:6]}"
    page.fill("#name", name)
    with page.expect_navigation():
        page.click("form[action='/coordinator/areas'] button[type=submit]")
    assert "saved" in page.locator(".success").inner_text()
    assert name in page.content()

    # A bad area re-shows the form with an accessible error naming the field.
    page.fill("#name", name + " bad")
    page.fill("#geometry", '{"type": "Point", "coordinates": [-0.13, 51.51]}')
    with page.expect_navigation():
        page.click("form[action='/coordinator/areas'] button[type=submit]")
    page.wait_for_selector(".error-summary")
    assert page.locator("#geometry").get_attribute("aria-invalid") == "true"
    axe_check(page)

    page.goto(live_server.url + "/coordinator/series")
    axe_check(page)
    page.select_option("#area_id", label=name)
    page.fill("#name", "Friday nights " + name)
    with page.expect_navigation():
        page.focus("#meeting_point")
        page.keyboard.type("Soho Square")
        page.keyboard.press("Enter")
    assert page.locator(".success").count() == 1, page.content()[:1500]
    assert "Series saved" in page.locator(".success").inner_text()
    assert "Every Friday, 22:00-04:00 (Europe/London)" in page.content()
    axe_check(page)

    page.click("table a >> nth=0")
    page.wait_for_selector(".patrol-area-map.leaflet-container")
    assert "Cannot run" in page.content()
    axe_check(page)

    page.goto(live_server.url + "/coordinator/volunteers")
    axe_check(page)
    page.goto(live_server.url + "/coordinator/reports/monthly")
    axe_check(page)


def test_volunteer_signs_up_by_keyboard_gets_a_calendar_and_files_a_debrief(page, live_server):
    email = _email("volunteer")
    with live_server.session_factory.begin() as s:
        area = make_patrol_area(s)
        open_shift = make_shift(s, area=area, start_at=utcnow().replace(microsecond=0) + timedelta(days=9))
        volunteer = make_volunteer(s, team_lead=True, email=email)
        past = make_shift(s, area=area, start_at=utcnow() + timedelta(days=30))
        patrols.book_shift(s, volunteer=volunteer, shift_id=past.id, now=utcnow())
        past.start_at, past.end_at = utcnow() - timedelta(hours=7), utcnow() - timedelta(hours=1)
        open_id = open_shift.id
    sign_in(page, live_server, email, PASSWORD)
    page.goto(live_server.url + "/volunteer")
    axe_check(page)
    button = page.locator(f"form[action='/volunteer/shifts/{open_id}/signup'] button")
    button.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "You are signed up" in page.locator(".success").inner_text()
    assert page.locator(f"form[action='/volunteer/shifts/{open_id}/cancel'] button").is_visible()
    axe_check(page)

    with page.expect_navigation():
        page.click("form[action='/volunteer/feed'] button")
    url = page.locator("#feed-url").inner_text()
    assert "/api/patrols/feed/cal_" in url and url.endswith(".ics")
    feed = page.request.get(live_server.url + url[url.index("/api/") :])
    assert feed.ok and b"BEGIN:VCALENDAR" in feed.body()
    axe_check(page)

    page.click("text=File the debrief")
    page.wait_for_selector("#count-welfare-woman")
    axe_check(page)
    page.fill("#count-welfare-woman", "6")
    page.fill("#count-escorted-woman", "2")
    page.fill("#count-first_aid-man", "1")
    page.fill("#summary", "Call Sam on 07700 900777")  # personal data: refused
    with page.expect_navigation():
        page.click("form button[type=submit]")
    page.wait_for_selector(".error-summary")
    axe_check(page)
    page.fill("#summary", "Busy but calm night")
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert "Debrief filed" in page.locator(".success").inner_text()
