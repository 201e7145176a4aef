"""A volunteer subscribes to their shifts on a 375 px phone: creates the calendar address, replaces it
by mistake (the first address stops working at once), reads the new one with a calendar library,
then revokes it. axe-core on every state, no sideways scrolling (the address is long)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, timedelta

import pytest
import recurring_ical_events
from icalendar import Calendar

from nte.config import get_settings
from nte.db import utcnow
from nte.patrols import service as patrols
from tests.factories import PASSWORD, make_shift, make_volunteer
from tests.support.browser import axe_check, sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 375, "height": 812}


def _fits(page, what: str) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375, f"{what} is {width}px wide on a 375px phone"


def _submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_a_volunteer_subscribes_replaces_and_revokes_the_calendar_on_a_phone(browser, live_server):
    tag = uuid.uuid4().hex[:6]
    email = f"feed-{tag}@example.org"
    with live_server.session_factory.begin() as s:
        volunteer = make_volunteer(s, email=email, display_name=f"Łucja {tag}")
        shift = make_shift(s, start_at=(utcnow() + timedelta(days=3)).replace(microsecond=0))
        patrols.book_shift(s, volunteer=volunteer, shift_id=shift.id, now=utcnow())
        shift_id, start_at, end_at = shift.id, shift.start_at, shift.end_at

    phone = browser.new_context(viewport=PHONE, locale="en-GB", timezone_id="Europe/London")
    try:
        page = phone.new_page()
        sign_in(page, live_server, email, PASSWORD)
        page.goto(f"{live_server.url}/volunteer")
        assert page.locator("#feed-url").count() == 0
        axe_check(page)
        _fits(page, "My shifts before a calendar address")

        _submit(page, "form[action='/volunteer/feed'] button")
        first = page.locator("#feed-url").inner_text().strip()
        base = get_settings().base_url
        assert re.fullmatch(re.escape(base) + r"/api/patrols/feed/cal_[\w-]+\.ics", first), first
        axe_check(page)
        _fits(page, "the page showing the calendar address")

        # The mistake: "Create a new calendar address" again. The first address stops working at once.
        _submit(page, "form[action='/volunteer/feed'] button")
        second = page.locator("#feed-url").inner_text().strip()
        assert second != first and second.startswith(base)
        assert page.request.get(live_server.url + first[len(base) :]).status == 404
        feed = page.request.get(live_server.url + second[len(base) :])
        assert feed.ok and feed.headers["content-type"] == "text/calendar; charset=utf-8"
        assert feed.headers["etag"].startswith('W/"')
        _fits(page, "the page showing the replaced address")

        # The calendar as a client reads it: the booked night at its instants, linking back here.
        calendar = Calendar.from_ical(feed.body())
        assert str(calendar["X-WR-CALNAME"]) == f"Patrol shifts – Łucja {tag}"
        nights = recurring_ical_events.of(calendar).between(date.today(), date.today() + timedelta(days=10))
        [night] = [e for e in nights if str(e["UID"]) == f"patrol-shift-{shift_id}@nte-safe"]
        assert night.decoded("DTSTART").astimezone(UTC) == start_at.replace(tzinfo=UTC)
        assert night.decoded("DTEND").astimezone(UTC) == end_at.replace(tzinfo=UTC)
        assert str(night["URL"]) == f"{base}/volunteer"

        _submit(page, "form[action='/volunteer/feed/revoke'] button")
        assert "no longer works" in page.locator("[role=status]").inner_text()
        assert page.locator("form[action='/volunteer/feed/revoke']").count() == 0
        assert page.request.get(live_server.url + second[len(base) :]).status == 404
        axe_check(page)
        _fits(page, "My shifts after revoking")
    finally:
        phone.close()
