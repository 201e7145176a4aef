"""Public journeys as a person makes them: on a 375 px phone, in English and in Arabic (right to
left), each with one mistake a real person makes, axe-core on every page reached.

- Find help now by postcode (the mistake: a postcode typed short).
- Report with a pin placed from a postcode, then moved (the mistake: sending before saying when).
- Report by postcode without JavaScript (the mistake: a postcode that does not exist).
- Find help now by postcode without JavaScript (the mistake: a single letter typed).

The other journeys have their own files: help-now by location, by map and by ward without
JavaScript (tests/safespaces/test_pages.py), the report form with a pin and the ward fallback
(tests/reports/test_pages.py), venue sign-up (tests/places/), the public map (tests/maps/)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from nte.db import utcnow
from nte.places import service as places_service
from nte.reports import service as report_service
from nte.reports.models import Report
from nte.safespaces import service as spaces_service
from tests.factories import make_venue
from tests.support.browser import STEP_TIMEOUT_MS, axe_check

pytestmark = pytest.mark.browser

LANGUAGES = ["en", "ar"]
ARABIC = re.compile(r"[\u0600-\u06FF]")
#: Old Compton Street, Soho: in West End ward (E05013808) in the current (May 2022) boundaries.
POSTCODE, LON, LAT, WARD = "W1D 4EG", -0.13146, 51.51336, "E05013808"


@pytest.fixture(scope="module")
def places(live_server):
    with live_server.session_factory.begin() as s:
        places_service.fill_from_points(s, points=[(POSTCODE, LON, LAT)], now=utcnow())
        if not any(sp.name == "Journey haven" for sp, _ in spaces_service.list_spaces(s)):
            spaces_service.create_space(
                s,
                data={
                    "name": "Journey haven",
                    "kind": "safe_haven",
                    "lon": LON + 0.001,
                    "lat": LAT,
                    "phone": "020 7946 0101",
                    "opening_hours": "24/7",
                },
                actor=None,
                settings=live_server.settings,
                now=utcnow(),
            )


def _phone(browser, *, javascript: bool = True):
    context = browser.new_context(
        viewport={"width": 375, "height": 812},
        is_mobile=javascript,  # Chromium refuses is_mobile without JavaScript
        has_touch=True,
        locale="en-GB",
        java_script_enabled=javascript,
    )
    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    return context, page


def _fits(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375, f"{page.url} is {width} px wide on a 375 px screen"


def _in_view_and_on_top(page, selector: str) -> None:
    """The element is on screen and is what a tap at its centre reaches (nothing covers it)."""
    state = page.evaluate(
        """(sel) => { const el = document.querySelector(sel); const r = el.getBoundingClientRect();
        const under = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return {inView: r.top >= 0 && r.bottom <= innerHeight, onTop: !!under && el.contains(under),
                under: under ? under.outerHTML.slice(0, 100) : null}; }""",
        selector,
    )
    assert state["inView"] and state["onTop"], f"{selector} on {page.url}: {state}"


def _translated(page, selector: str, lang: str) -> None:
    if lang == "ar":
        assert ARABIC.search(page.inner_text(selector)), page.inner_text(selector)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_find_help_now_by_postcode(browser, live_server, places, lang):
    context, page = _phone(browser)
    try:
        page.goto(f"{live_server.url}/help-now?lang={lang}")
        axe_check(page)
        page.fill("#help-place-input", "W1D 4E")  # the mistake: one character short
        page.click("#help-place-find")
        page.wait_for_function("() => document.getElementById('help-place-status').textContent.length > 0")
        assert page.locator("#help-place-results li").count() == 0
        _translated(page, "#help-place-status", lang)
        page.fill("#help-place-input", POSTCODE)
        page.click("#help-place-find")
        choice = page.locator("#help-place-results button").first
        choice.wait_for()
        with page.expect_navigation():
            choice.click()
        # The answer first: the results heading has focus, at the top of the screen, and the first
        # place's call button can be tapped without scrolling.
        page.wait_for_function("() => document.activeElement && document.activeElement.id === 'results-title'")
        assert POSTCODE in page.inner_text("#results-title")
        _translated(page, "#results-title", lang)
        first = page.locator("#safe-space-list .safe-space").first
        assert "Journey haven" in first.inner_text()
        _in_view_and_on_top(page, "#safe-space-list .safe-space a[href^='tel:']")
        assert first.locator("a[href^='geo:']").count() == 1
        _fits(page)
        axe_check(page)
        # Changing "Show" keeps the place searched from.
        page.check("#show-all")
        with page.expect_navigation():
            page.click("#help-search button[type=submit]:not(#help-place-find)")
        assert POSTCODE in page.inner_text("#results-title") and "show=all" in page.url
    finally:
        context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_report_with_a_pin_from_a_postcode(browser, live_server, places, lang):
    context, page = _phone(browser)
    try:
        page.goto(f"{live_server.url}/report?lang={lang}")
        page.wait_for_selector("#report-map[data-wards-loaded]")
        axe_check(page)
        page.fill("#report-place-input", POSTCODE)
        page.click("#report-place-find")
        page.locator("#report-place-results button").first.click()
        page.wait_for_function("() => document.getElementById('lat').value !== ''")
        assert abs(float(page.input_value("#lat")) - LAT) < 1e-4
        # Ward names are on the map (zoomed in on the place), so the pin can be checked without tiles.
        page.wait_for_selector("#report-map .nte-ward-label")
        # Adjust: tap the map a little away from the postcode's point; the pin moves there.
        box = page.locator("#report-map").bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2 + 30, box["y"] + box["height"] / 2)
        assert abs(float(page.input_value("#lat")) - LAT) > 1e-6 or abs(float(page.input_value("#lon")) - LON) > 1e-5
        page.check("#cat-followed")
        page.click("#send-report")  # the mistake: nothing said about when it happened
        page.wait_for_selector("#error-summary")
        _translated(page, "#error-summary", lang)
        assert page.input_value("#lat") != ""  # the pin is kept
        when = utcnow() - timedelta(hours=2)
        page.fill("#date", when.date().isoformat())
        page.fill("#time", when.strftime("%H:%M"))
        page.evaluate("() => document.getElementById('send-report').scrollIntoView({block: 'center'})")
        _in_view_and_on_top(page, "#send-report")  # nothing (map, bar, control) covers "Send report"
        page.click("#send-report")
        page.wait_for_selector("#receipt-code")
        _fits(page)
        axe_check(page)
        code = page.inner_text("#receipt-code")
        with live_server.session_factory() as s:
            report = s.scalar(sa.select(Report).where(Report.receipt_hash == report_service.receipt_hash(code)))
            assert report.location_precision == "exact" and report.ward_code == WARD
    finally:
        context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_report_by_postcode_without_javascript(browser, live_server, places, lang):
    context, page = _phone(browser, javascript=False)
    try:
        page.goto(f"{live_server.url}/report?lang={lang}")
        page.fill("#report-place-input", "ZZ9 9ZZ")  # the mistake: a postcode that does not exist
        with page.expect_navigation():
            page.click("#report-place-find")
        assert page.locator("#report-place-error").is_visible()
        _translated(page, "#report-place-error", lang)
        page.fill("#report-place-input", POSTCODE.lower())
        with page.expect_navigation():
            page.click("#report-place-find")
        assert page.locator("#error-summary").count() == 0
        assert POSTCODE in page.inner_text("#report-place-status")
        assert abs(float(page.input_value("#lat")) - LAT) < 1e-4
        when = utcnow() - timedelta(hours=2)
        page.fill("#date", when.date().isoformat())
        page.fill("#time", when.strftime("%H:%M"))
        page.check("#cat-followed")
        with page.expect_navigation():
            page.click("#send-report")
        code = page.inner_text("#receipt-code")
        _fits(page)
        with live_server.session_factory() as s:
            report = s.scalar(sa.select(Report).where(Report.receipt_hash == report_service.receipt_hash(code)))
            assert report.location_precision == "exact" and report.ward_code == WARD
    finally:
        context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_find_help_now_by_postcode_without_javascript(browser, live_server, places, lang):
    context, page = _phone(browser, javascript=False)
    try:
        page.goto(f"{live_server.url}/help-now?lang={lang}")
        page.fill("#help-place-input", "W")  # the mistake: one letter
        with page.expect_navigation():
            page.click("#help-place-find")
        assert page.locator("#help-place-error").is_visible() and page.locator("#error-summary").is_visible()
        _translated(page, "#help-place-error", lang)
        assert lang == "en" or f"lang={lang}" in page.url  # the language is kept
        page.fill("#help-place-input", POSTCODE)
        with page.expect_navigation():
            page.click("#help-place-find")
        assert page.url.endswith("#results-title")  # the browser lands on the answer
        assert POSTCODE in page.inner_text("#results-title")
        assert "Journey haven" in page.locator("#safe-space-list").inner_text()
        _in_view_and_on_top(page, "#safe-space-list .safe-space a[href^='tel:']")
        _fits(page)
    finally:
        context.close()


#: Every public map on which a person picks or reads a point, by page and map element.
MAPS = {
    "/report": "#report-map",
    "/help-now": "#help-map",
    "/venues": "#venue-map",
    "/venues/sign-up": "#pin-map",
    "/map": "#map",
}


@pytest.mark.parametrize("path", list(MAPS))
def test_every_public_map_shows_the_wards_without_tiles(browser, live_server, path):
    """With no base tiles (the default), each map still draws the served wards, whose names show
    once zoomed in: a person can tell where a point is."""
    context, page = _phone(browser)
    try:
        page.goto(f"{live_server.url}{path}?lang=ar")
        selector = MAPS[path]
        page.wait_for_selector(f"{selector}[data-wards-loaded]", state="attached")
        assert int(page.get_attribute(selector, "data-wards-loaded")) >= 100
        assert page.locator(f"{selector} .leaflet-tile").count() == 0  # no tiles: nothing else to go by
        page.locator(f"{selector} .leaflet-control-zoom-in").click()
        for _ in range(8):  # zoom in far enough for the names
            if page.get_attribute(selector, "data-ward-labels") == "shown":
                break
            page.locator(f"{selector} .leaflet-control-zoom-in").click()
            page.wait_for_timeout(300)  # Leaflet's zoom animation; not a wait on the server
        assert page.get_attribute(selector, "data-ward-labels") == "shown"
        _fits(page)
    finally:
        context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_find_help_now_by_location_after_it_was_refused(browser, live_server, places, lang):
    """The mistake: the location was refused at first (the permission prompt dismissed); the page
    says so in the page's language, and once allowed the results come first."""
    context, page = _phone(browser)
    try:
        page.goto(f"{live_server.url}/help-now?lang={lang}")
        page.click("#locate-me")
        page.wait_for_function("() => document.getElementById('locate-status').textContent.length > 0")
        page.wait_for_function("() => !/…$/.test(document.getElementById('locate-status').textContent)")
        _translated(page, "#locate-status", lang)
        assert "/help-now" in page.url and "lon=" not in page.url  # nothing searched yet
        context.grant_permissions(["geolocation"], origin=live_server.url)
        context.set_geolocation({"longitude": LON, "latitude": LAT})
        with page.expect_navigation():
            page.click("#locate-me")
        page.wait_for_function("() => document.activeElement && document.activeElement.id === 'results-title'")
        _translated(page, "#results-title", lang)
        assert "Journey haven" in page.locator("#safe-space-list .safe-space").first.inner_text()
        _in_view_and_on_top(page, "#safe-space-list .safe-space a[href^='tel:']")
        _fits(page)
        axe_check(page)
    finally:
        context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_venue_directory_from_no_match_to_a_venue(browser, live_server, lang):
    """The mistake: filters that match nothing; the page says so and offers every venue again."""
    with live_server.session_factory.begin() as s:
        make_venue(s, status="verified", name="Directory journey bar")
    context, page = _phone(browser)
    try:
        page.goto(f"{live_server.url}/venues?lang={lang}")
        axe_check(page)
        page.select_option("#venue_type", "hotel")
        page.select_option("#scheme", index=1)
        with page.expect_navigation():
            page.click("form.filters button[type=submit]")
        assert page.locator("#no-venues").is_visible()
        _translated(page, "#no-venues", lang)
        axe_check(page)
        with page.expect_navigation():
            page.click("#no-venues a")
        assert lang == "en" or f"lang={lang}" in page.url
        link = page.locator(".cards a", has_text="Directory journey bar").first
        with page.expect_navigation():
            link.click()
        assert "Directory journey bar" in page.inner_text("h1")
        assert lang == "en" or f"lang={lang}" in page.url
        _fits(page)
        axe_check(page)
    finally:
        context.close()
