"""A team lead files a debrief on a 375 px phone, in a real browser, without any script doing the form's
work: two people, one row each; the first try leaves the second person with no kind of help, the
error is shown next to that row (and linked from the summary) with everything typed kept; "Add
another person" gives a third row and files nothing; fixed, it files two people and three actions.
axe-core clean on every state, no sideways scrolling at 375 px and at 320 px."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from nte.db import utcnow
from nte.patrols import service as patrols
from tests.factories import PASSWORD, make_patrol_area, make_shift, make_volunteer
from tests.support.browser import axe_check, sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 375, "height": 812}


def _fits(page, what: str, screen: int = 375) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= screen, f"{what} is {width}px wide on a {screen}px phone"


def _submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_a_team_lead_files_two_people_on_a_phone_after_one_mistake(browser, live_server):
    tag = uuid.uuid4().hex[:6]
    email = f"lead-{tag}@example.org"
    with live_server.session_factory.begin() as s:
        area = make_patrol_area(s, name=f"People area {tag}")
        lead = make_volunteer(s, team_lead=True, email=email)
        shift = make_shift(s, area=area, start_at=utcnow() + timedelta(days=10))
        patrols.book_shift(s, volunteer=lead, shift_id=shift.id, now=utcnow())
        shift.start_at, shift.end_at = utcnow() - timedelta(hours=6), utcnow() - timedelta(minutes=20)
        shift_id = shift.id
    phone = browser.new_context(viewport=PHONE, locale="en-GB")
    try:
        page = phone.new_page()
        sign_in(page, live_server, email, PASSWORD)
        page.goto(f"{live_server.url}/volunteer")
        _submit(page, f"a[href='/volunteer/shifts/{shift_id}/debrief']")
        assert page.locator("fieldset.debrief-person").count() == 3
        axe_check(page)
        _fits(page, "the debrief form")
        page.set_viewport_size({"width": 320, "height": 700})
        _fits(page, "the debrief form", screen=320)
        page.set_viewport_size(PHONE)

        # Person 1: a woman given water and a phone charge. Person 2: a man, taken to a taxi, but no
        # kind of help ticked (the mistake).
        page.select_option("#people-0-gender", "woman")
        page.select_option("#people-0-age_band", "18_24")
        page.check("#people-0-kinds-water_flipflops")
        page.check("#people-0-kinds-phone_charged")
        page.select_option("#people-1-gender", "man")
        page.select_option("#people-1-handover", "taxi_home")
        page.fill("#summary", "Busy, calm by 3am")
        _submit(page, "form[action$='/debrief'] button[value=file]")
        error = page.locator("#person-1 #people-1-kinds-error")
        assert error.inner_text() == "Person 2: choose at least one kind of help given."
        assert page.locator("#person-0 .error-message").count() == 0
        link = page.locator("#error-summary a[href='#people-1-kinds']")
        assert link.inner_text() == "Person 2: choose at least one kind of help given."
        # What was typed is kept.
        assert page.input_value("#people-0-gender") == "woman" and page.input_value("#people-0-age_band") == "18_24"
        assert page.is_checked("#people-0-kinds-water_flipflops") and page.is_checked("#people-0-kinds-phone_charged")
        assert page.input_value("#people-1-gender") == "man" and page.input_value("#people-1-handover") == "taxi_home"
        assert page.input_value("#summary") == "Busy, calm by 3am"
        axe_check(page)
        _fits(page, "the debrief form with an error")
        link.click()
        assert page.evaluate("() => location.hash") == "#people-1-kinds"
        assert page.locator("#people-1-kinds").is_visible()

        # Fix it, and ask for another row on the way: nothing is filed, a fourth row appears.
        page.check("#people-1-kinds-escorted")
        _submit(page, "form[action$='/debrief'] button[value=add_person]")
        assert page.locator("fieldset.debrief-person").count() == 4
        assert page.evaluate("() => location.hash") == "#person-3"
        assert page.is_checked("#people-1-kinds-escorted") and page.input_value("#people-0-gender") == "woman"
        assert page.locator("#error-summary").count() == 0
        axe_check(page)
        _fits(page, "the debrief form with a row added")

        _submit(page, "form[action$='/debrief'] button[value=file]")
        assert "Debrief filed" in page.locator("[role=status]").inner_text()
        axe_check(page)
        _fits(page, "My shifts after the debrief")
    finally:
        phone.close()
    with live_server.session_factory() as s:
        view = patrols.debrief_view(s, shift_id, restricted=True)
        assert view is not None and view.total == 2 and view.actions == 3
        assert [(p.gender, p.kinds, p.handover) for p in view.people] == [
            ("woman", ("phone_charged", "water_flipflops"), None),
            ("man", ("escorted",), "taxi_home"),
        ]
