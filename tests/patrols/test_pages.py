"""Coordinator and volunteer journeys in a real browser, axe-checked, keyboard usable."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from nte.db import utcnow
from nte.patrols import service as patrols
from tests.factories import PASSWORD, make_patrol_area, make_shift, make_user, make_volunteer
from tests.support.browser import axe_check, sign_in

pytestmark = pytest.mark.browser


def _email(role: str) -> str:
    return f"{role}-{uuid.uuid4().hex[:8]}@example.org"


def _success(page) -> str:
    return page.locator(".success").inner_text()


def test_coordinators_journey_with_mistakes_from_area_to_hotspot_map(page, live_server):
    """The coordinator's journey, unaided, with the mistakes people make: draw an area too small and
    without a name (both errors at once, the drawing comes back), fix it; make a series with the
    pickers but no weekday and no end time (both errors at once), fix it, check the rule, save; see
    the shifts on the board; on a roster take a volunteer off and, on a shift under way, mark a
    no-show; pause and resume the series; open the monthly report and the hotspot map from the menu.
    axe on every page reached."""
    tag = uuid.uuid4().hex[:6]
    email = _email("coordinator")
    with live_server.session_factory.begin() as s:
        make_user(s, role="coordinator", email=email)
        leaving = make_volunteer(s, email=_email("volunteer"), display_name=f"Leaving {tag}")
        absent = make_volunteer(s, email=_email("volunteer"), display_name=f"Absent {tag}")
        running = make_shift(s, start_at=utcnow().replace(microsecond=0) + timedelta(days=20))
        patrols.book_shift(s, volunteer=absent, shift_id=running.id, now=utcnow())
        running.start_at, running.end_at = utcnow() - timedelta(hours=1), utcnow() + timedelta(hours=5)
        running_id, leaving_id = running.id, leaving.id
    sign_in(page, live_server, email, PASSWORD)
    page.goto(live_server.url + "/coordinator")
    axe_check(page)

    # 1. The area: ward and borough lines and the council's edge are on the map.
    page.click("nav.sub-nav >> text=Patrol areas")
    page.wait_for_selector("#area-draw.leaflet-container[data-ready][data-wards-loaded]")
    assert int(page.get_attribute("#area-draw", "data-boroughs")) >= 1
    axe_check(page)
    # The list of areas above the map grows with the suite: bring the map on screen to click it.
    page.locator("#area-draw").scroll_into_view_if_needed()
    box = page.locator("#area-draw").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in ((0, 0), (4, 0), (2, 3)):  # a few metres across: too small, and no name
        page.mouse.click(cx + dx, cy + dy)
    assert '"Polygon"' in page.input_value("#geometry")
    with page.expect_navigation():
        page.click("form[action='/coordinator/areas'] button[type=submit]")
    summary = page.locator(".error-summary").inner_text()
    assert "Enter a name for the area." in summary and "too small" in summary
    assert page.locator("#name").get_attribute("aria-invalid") == "true"
    assert page.locator("#geometry").get_attribute("aria-invalid") == "true"
    # The drawing comes back: in the form and on the map, three corners.
    assert '"Polygon"' in page.input_value("#geometry")
    page.wait_for_selector("#area-draw[data-restored='3'][data-ready]")
    axe_check(page)
    page.click("#draw-clear")
    assert page.input_value("#geometry") == ""
    page.locator("#area-draw").scroll_into_view_if_needed()
    box = page.locator("#area-draw").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in ((-80, -60), (90, -50), (70, 70), (-70, 60)):
        page.mouse.click(cx + dx, cy + dy)
    name = f"Drawn {tag}"
    page.fill("#name", name)
    with page.expect_navigation():
        page.click("form[action='/coordinator/areas'] button[type=submit]")
    assert f"Patrol area {name} saved." in _success(page), page.content()[:3000]

    # 2. The series, with the pickers: no weekday and no end time are both reported at once.
    page.click("nav.sub-nav >> text=Shift series")
    axe_check(page)
    page.select_option("#area_id", label=name)
    series_name = f"Weekend nights {tag}"
    page.fill("#name", series_name)
    page.uncheck("#weekdays-fr")  # the form starts with Friday ticked
    page.fill("#start_time", "22:00")
    page.fill("#end_time", "")
    page.fill("#meeting_point", "Soho Square")
    with page.expect_navigation():
        page.click("#create-series")
    summary = page.locator(".error-summary").inner_text()
    assert "Tick at least one weekday" in summary and "Enter an end time" in summary
    assert page.locator("#weekdays-error").is_visible() and page.locator("#end_time-error").is_visible()
    assert page.input_value("#name") == series_name and page.input_value("#meeting_point") == "Soho Square"
    axe_check(page)
    page.check("#weekdays-fr")
    page.check("#weekdays-sa")
    page.fill("#end_time", "03:00")
    with page.expect_navigation():
        page.click("#check-rule")
    preview = page.locator("#rule-preview").inner_text()
    assert "Every Friday and Saturday, 22:00 to 03:00, from " in preview and "FREQ=WEEKLY;BYDAY=FR,SA" in preview
    axe_check(page)
    with page.expect_navigation():
        page.click("#create-series")
    assert "Series saved: Every Friday and Saturday, 22:00 to 03:00" in _success(page)
    series_url = page.url.split("?")[0]
    axe_check(page)

    # 3. The board shows its shifts; a volunteer signs up (elsewhere) to the first one.
    with live_server.session_factory.begin() as s:
        from nte.patrols.models import ShiftSeries

        series = s.scalars(sa.select(ShiftSeries).where(ShiftSeries.name == series_name)).one()
        first = patrols.repo.shifts_of_series(s, series.id)[0]
        volunteer = s.get(type(leaving), leaving_id)
        patrols.book_shift(s, volunteer=volunteer, shift_id=first.id, now=utcnow())
        first_id = first.id
    page.click("nav.sub-nav >> text=Staffing board")
    link = page.locator(f"a[href='/coordinator/shifts/{first_id}']")
    assert link.count() == 1 and name in page.locator("tr", has=link).inner_text()
    axe_check(page)

    # 4. The roster: take the volunteer off; on the shift under way, mark the absent one a no-show.
    with page.expect_navigation():
        link.click()
    axe_check(page)
    with page.expect_navigation():
        page.click(f"button:has-text('Take off'):has-text('Leaving {tag}')")
    assert "Volunteer taken off the shift." in _success(page)
    page.goto(f"{live_server.url}/coordinator/shifts/{running_id}")
    with page.expect_navigation():
        page.click(f"button:has-text('Mark no-show'):has-text('Absent {tag}')")
    assert "No-show recorded." in _success(page)
    assert page.locator("#shift_id .tag.red").count() == 1
    axe_check(page)

    # 5. Pause and resume the series.
    page.goto(series_url)
    with page.expect_navigation():
        page.click("#pause-series")
    assert "Series paused" in _success(page) and "Paused" in page.locator("#series-state").inner_text()
    axe_check(page)
    with page.expect_navigation():
        page.click("#resume-series")
    assert "Series resumed" in _success(page) and "Running" in page.locator("#series-state").inner_text()

    # On a 375 px phone neither series page is wider than the screen.
    page.set_viewport_size({"width": 375, "height": 800})
    for url in (series_url, live_server.url + "/coordinator/series"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, url
    page.set_viewport_size({"width": 1280, "height": 900})

    # 6. The monthly report and the hotspot map, from the menu.
    page.click("nav.sub-nav >> text=Monthly report")
    page.wait_for_selector("h1")
    assert "/coordinator/reports/monthly" in page.url
    axe_check(page)
    with page.expect_navigation():
        page.click("nav.sub-nav >> text=Hotspot map")
    assert page.locator("h1").inner_text() == "Hotspots for patrol planning"
    assert page.locator("#coverage").count() == 1
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
    page.wait_for_selector("#people-0-gender")
    axe_check(page)
    page.select_option("#people-0-gender", "woman")
    page.check("#people-0-kinds-escorted")
    page.select_option("#people-1-gender", "man")
    page.check("#people-1-kinds-first_aid")
    page.fill("#summary", "Call Sam on 07700 900777")  # personal data: refused
    with page.expect_navigation():
        page.click("form button[value=file]")
    page.wait_for_selector(".error-summary")
    assert page.is_checked("#people-1-kinds-first_aid")  # the rows are kept
    axe_check(page)
    page.fill("#summary", "Busy but calm night")
    with page.expect_navigation():
        page.click("form button[value=file]")
    assert "Debrief filed" in page.locator(".success").inner_text()
