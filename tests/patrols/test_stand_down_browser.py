"""A stood-down night as people meet it, in a real browser (issue 18): the volunteer on a 375 px phone
reads that the patrol will not run and why, has no check-in button, and an old tab's check-in is
refused with the reason; the coordinator first forgets the reason when reinstating (the error names
the field), then reinstates it, and the volunteer can check in. axe-core on every page reached, no
sideways scrolling on the phone."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from nte.db import utcnow
from nte.patrols import service as patrols
from nte.patrols.config import PatrolSettings
from nte.patrols.models import Shift
from tests.factories import PASSWORD, make_patrol_area, make_shift, make_user, make_volunteer
from tests.support.browser import axe_check, sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 375, "height": 812}


def _fits(page, what: str, screen: int = 375) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= screen, f"{what} is {width}px wide on a {screen}px phone"


def _submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_a_stood_down_night_on_the_phone_and_its_reinstatement(browser, live_server):
    tag = uuid.uuid4().hex[:6]
    coordinator_email, volunteer_email = f"coord-sd-{tag}@example.org", f"vol-sd-{tag}@example.org"
    now = utcnow().replace(microsecond=0)
    with live_server.session_factory.begin() as s:
        make_user(s, role="coordinator", email=coordinator_email, display_name=f"Coordinator {tag}")
        shift = make_shift(s, area=make_patrol_area(s, name=f"Stand-down area {tag}"), min_volunteers=4)
        me = make_volunteer(s, email=volunteer_email, display_name="Dee Volunteer")
        mate = make_volunteer(s)
        for v in (me, mate):
            patrols.book_shift(s, volunteer=v, shift_id=shift.id, now=now)
        shift.start_at = now + timedelta(minutes=40)  # check-in is open, and it is past T-2 h
        shift.end_at = shift.start_at + timedelta(hours=4)
        shift_id = shift.id
    with live_server.session_factory.begin() as s:  # the job, over a window holding only this shift
        patrols.stand_down_shifts(s, now=now, settings=PatrolSettings(stand_down_hours=1))
    with live_server.session_factory() as s:
        reason = s.get(Shift, shift_id).stand_down_reason
    assert reason and reason.startswith("2 of the 4 volunteers needed")

    staff = browser.new_context(viewport={"width": 1024, "height": 900}, locale="en-GB")
    phone = browser.new_context(viewport=PHONE, locale="en-GB")
    try:
        volunteer = phone.new_page()
        sign_in(volunteer, live_server, volunteer_email, PASSWORD)
        volunteer.goto(f"{live_server.url}/volunteer")
        row = volunteer.locator("table#shift_id tbody tr", has=volunteer.locator(f"[href='#shift-{shift_id}']"))
        assert "Stood down" in row.inner_text()
        assert reason in row.locator("[data-refused=check_in]").inner_text()
        assert volunteer.locator(f"form[action='/volunteer/shifts/{shift_id}/check-in']").count() == 0
        assert reason in volunteer.locator(f"#shift-{shift_id} [data-stood-down]").inner_text()
        axe_check(volunteer)
        _fits(volunteer, "My shifts with a stood-down night")

        # An old tab still has the button: the check-in is refused with the reason.
        with volunteer.expect_navigation():
            volunteer.evaluate(
                """(id) => {
                    const form = document.createElement("form");
                    form.method = "post";
                    form.action = `/volunteer/shifts/${id}/check-in`;
                    form.appendChild(document.querySelector("input[name=csrf_token]").cloneNode());
                    document.body.appendChild(form);
                    form.submit();
                }""",
                shift_id,
            )
        summary = volunteer.locator("#error-summary").inner_text()
        assert "stood down" in summary and reason in summary
        axe_check(volunteer)
        _fits(volunteer, "My shifts with the refusal")

        # The coordinator sees it on the board, forgets the reason, then reinstates it.
        coordinator = staff.new_page()
        sign_in(coordinator, live_server, coordinator_email, PASSWORD)
        coordinator.goto(f"{live_server.url}/coordinator")
        assert "Stood down" in coordinator.locator("main table").inner_text()
        axe_check(coordinator)
        coordinator.goto(f"{live_server.url}/coordinator/shifts/{shift_id}")
        assert reason in coordinator.locator("#stood-down").inner_text()
        axe_check(coordinator)
        _submit(coordinator, f"form[action='/coordinator/shifts/{shift_id}/reinstate'] button[type=submit]")
        assert "Give a reason" in coordinator.locator("#reason-error").inner_text()
        assert coordinator.locator("#error-summary a[href='#reason']").count() == 1
        axe_check(coordinator)
        coordinator.fill("#reason", "Two more volunteers from the Westminster team are coming")
        _submit(coordinator, f"form[action='/coordinator/shifts/{shift_id}/reinstate'] button[type=submit]")
        assert "reinstated" in coordinator.locator("[role=status]").inner_text()
        assert "Two more volunteers" in coordinator.locator("#below-minimum-confirmed").inner_text()
        axe_check(coordinator)

        # Back on the phone: the check-in is offered and works.
        volunteer.goto(f"{live_server.url}/volunteer")
        _submit(volunteer, f"form[action='/volunteer/shifts/{shift_id}/check-in'] button")
        assert "Checked in" in volunteer.locator("[role=status]").inner_text()
        axe_check(volunteer)
        _fits(volunteer, "My shifts after check-in")
    finally:
        staff.close()
        phone.close()
