"""Report pages in a real browser with axe-core: the form in English and Arabic (right to left),
the no-JavaScript ward fallback, the receipt and status pages, and the moderation queue."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from nte.auth import service as auth_service
from nte.db import utcnow
from nte.reports import service as report_service
from nte.reports.models import Report
from tests.support.browser import STEP_TIMEOUT_MS, axe_check, sign_in

pytestmark = pytest.mark.browser
PASSWORD = "a report browser password"  # noqa: S105


def _officer(live_server) -> str:
    email = "reports-officer@example.org"
    with live_server.session_factory.begin() as s:
        if not s.query(auth_service.User).filter_by(email=email).first():
            auth_service.create_user(
                s, email=email, display_name="Reports officer", role="officer", password=PASSWORD, confirmed_at=utcnow()
            )
    return email


def _fill_when_and_what(page) -> None:
    when = utcnow() - timedelta(hours=3)
    page.fill("#date", when.date().isoformat())
    page.fill("#time", when.strftime("%H:%M"))
    page.check("#cat-followed")
    page.check("#factor-poor_lighting")


def test_form_with_map_pin_receipt_and_status(page, live_server):
    page.goto(f"{live_server.url}/report")
    assert page.locator("#quick-exit").is_visible()
    page.wait_for_selector("#report-map.leaflet-container")
    page.wait_for_selector("#report-map path.leaflet-interactive, #report-map svg path", state="attached")
    axe_check(page)
    # Keyboard: focus the map and press Enter to put the pin at its centre (the centre is in Westminster).
    page.locator("#map-controls").wait_for(state="visible")
    page.click("#pin-centre")
    assert page.locator("#pin-status").inner_text()
    lat, lon = page.input_value("#lat"), page.input_value("#lon")
    assert lat and lon
    _fill_when_and_what(page)
    page.fill("#description", "Man followed me, text me on 07700 900123")
    page.select_option("#age_band", "25_34")
    page.click("#send-report")
    page.wait_for_selector("#receipt-code")
    code = page.inner_text("#receipt-code")
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code)
    axe_check(page)
    with live_server.session_factory() as s:
        report = s.scalar(sa.select(Report).where(Report.receipt_hash == report_service.receipt_hash(code)))
        assert report.location_precision == "exact" and "07700" not in report.description
    page.click("text=Check a report with a receipt code")
    page.fill("#receipt", code)
    page.click("button[type=submit]")
    page.wait_for_selector("#report-status")
    assert "waiting to be reviewed" in page.inner_text("#report-status")
    axe_check(page)


def test_form_in_arabic_is_right_to_left_and_shows_errors(page, live_server):
    page.goto(f"{live_server.url}/report?lang=ar")
    assert page.get_attribute("html", "dir") == "rtl" and page.get_attribute("html", "lang") == "ar"
    page.wait_for_selector("#report-map.leaflet-container")
    axe_check(page)
    heading = page.inner_text("h1")
    assert re.search(r"[\u0600-\u06FF]", heading), heading  # translated, not English
    page.click("#send-report")  # nothing filled in
    page.wait_for_selector("#error-summary")
    assert re.search(r"[\u0600-\u06FF]", page.inner_text("#error-summary"))
    # Focus is on the list of mistakes (read first), not left at the top of the page.
    assert page.evaluate("() => document.activeElement && document.activeElement.id") == "error-summary"
    assert page.get_attribute("html", "dir") == "rtl"
    axe_check(page)


def test_no_javascript_ward_fallback(browser, live_server):
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    try:
        page.goto(f"{live_server.url}/report")
        assert page.locator("#report-map .notice").is_visible()  # the map explains itself without JS
        assert page.locator("#map-controls").is_hidden()
        # axe-core cannot run with scripts off; the same markup is checked by the next test.
        assert page.locator("select#ward option").count() > 100
        page.select_option("#ward", label="St James's")
        _fill_when_and_what(page)
        page.fill("#date", (utcnow() - timedelta(days=1)).date().isoformat())  # the night before
        page.select_option("#time_band", "22-02")
        page.fill("#time", "")
        page.click("#send-report")
        page.wait_for_load_state()
        assert page.locator("#error-summary").count() == 0, page.inner_text("#error-summary")
        page.wait_for_selector("#receipt-code")
        code = page.inner_text("#receipt-code")
        with live_server.session_factory() as s:
            report = s.scalar(sa.select(Report).where(Report.receipt_hash == report_service.receipt_hash(code)))
            assert report.location_precision == "ward" and report.geom is None and report.time_band == "22:00-02:00"
    finally:
        context.close()


def test_no_javascript_page_markup_passes_axe(browser, live_server, page):
    """The form exactly as a browser without JavaScript receives it (Arabic, right to left), checked by
    axe-core, which itself needs scripts: the page is served with its own scripts emptied."""
    nojs = browser.new_context(java_script_enabled=False)
    try:
        html = nojs.new_page().goto(f"{live_server.url}/report?lang=ar").text()
    finally:
        nojs.close()
    page.route(f"{live_server.url}/nojs-report", lambda route: route.fulfill(body=html, content_type="text/html"))
    page.route("**/*.js", lambda route: route.fulfill(body="", content_type="text/javascript"))
    page.goto(f"{live_server.url}/nojs-report")
    assert page.locator("#map-controls").is_hidden() and page.get_attribute("html", "dir") == "rtl"
    assert page.locator("#report-map .notice").is_visible()
    axe_check(page)


def test_moderation_queue(page, live_server):
    email = _officer(live_server)
    with live_server.session_factory.begin() as s:
        when = utcnow() - timedelta(hours=5)
        data = report_service.ReportInput(
            lat=51.5138,
            lon=-0.1340,
            date=when.date().isoformat(),
            time=when.strftime("%H:%M"),
            categories=["intimidating_group"],
        )
        report = report_service.submit_report(s, data=data, settings=live_server.settings, now=utcnow()).report
        report_id = report.id
    sign_in(page, live_server, email, PASSWORD)
    page.goto(f"{live_server.url}/officer/reports?status=new&category=intimidating_group")
    page.wait_for_selector(f"#sel-{report_id}")
    axe_check(page)
    page.check(f"#sel-{report_id}")
    page.click("button[value=accepted]")
    page.wait_for_selector(".success")
    with live_server.session_factory() as s:
        assert s.get(Report, report_id).status == "accepted"
    page.goto(f"{live_server.url}/officer/reports/{report_id}")
    assert "report.accepted" in page.inner_text("table")
    axe_check(page)
    page.goto(f"{live_server.url}/officer/reports/map?category=intimidating_group")
    page.wait_for_selector("#report-map path.leaflet-interactive")
    axe_check(page)
    for path in ("/officer/reports/updates", "/officer/reports/import"):
        page.goto(f"{live_server.url}{path}")
        axe_check(page)


def test_back_and_reload_after_a_mistake_and_a_report_never_send_it_again(page, live_server):
    """Post/redirect/get in effect: the page that answered each POST (the mistakes, then the receipt)
    puts a plain address in the history, so Back and reload never ask to resend the form."""
    page.goto(f"{live_server.url}/report")
    page.wait_for_selector("#report-map.leaflet-container")
    page.select_option("#ward", label="St James's")
    page.click("#send-report")  # the mistake: nothing said about when or what
    page.wait_for_selector("#error-summary")
    assert page.url == f"{live_server.url}/report"  # the history now holds the form, not a POST
    _fill_when_and_what(page)
    page.click("#send-report")
    page.wait_for_selector("#receipt-code")
    with live_server.session_factory() as s:
        before = s.scalar(sa.select(sa.func.count()).select_from(Report))
    assert page.url == f"{live_server.url}/report?sent=1"
    page.reload()
    assert page.locator("#sent-notice").is_visible() and page.locator("#receipt-code").count() == 0
    page.go_back()
    page.wait_for_selector("#report-form")
    assert page.url == f"{live_server.url}/report" and page.locator("#error-summary").count() == 0
    with live_server.session_factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Report)) == before  # nothing sent twice
    axe_check(page)
