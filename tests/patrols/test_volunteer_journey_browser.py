"""The volunteer's journey in a real browser on a 375 px phone, end to end, with mistakes: a
coordinator invites a new volunteer, the mail arrives at a real SMTP server on loopback, the
volunteer sets a password (two mistakes first), the coordinator records their DBS check and
induction on the volunteer's page, the volunteer signs up for two shifts, tries to check in days
early and reads why not, checks in on the one that starts now, says they are home safe and files a
debrief with one wrong row (a person with no kind of help), then fixes it. Also the public application form at 375 px in English
and Arabic, approved by a coordinator. axe-core on every page reached, no sideways scrolling."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest

from nte.auth.models import User
from nte.db import utcnow
from nte.notifications.jobs import deliver_outbox
from nte.patrols import service as patrols
from nte.patrols.models import Shift, Volunteer
from tests.factories import PASSWORD, make_patrol_area, make_shift, make_user, make_volunteer
from tests.support.browser import axe_check, sign_in

pytestmark = pytest.mark.browser
VOLUNTEER_PASSWORD = "a new volunteer's password"  # noqa: S105
PHONE = {"width": 375, "height": 812}


def _fits(page, what: str, screen: int = 375) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= screen, f"{what} is {width}px wide on a {screen}px phone"


def _deliver(live_server, smtp_server) -> None:
    smtp = live_server.settings.model_copy(update={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port})
    with live_server.session_factory() as s:
        deliver_outbox(s, now=utcnow(), settings=smtp)


def _invite_link(smtp_server, address: str) -> str:
    [mail] = [m for m in smtp_server.to(address) if "invite" in (m.get("Subject") or "").lower()]
    found = re.search(r"/invite/([\w-]+)", mail.get_payload(decode=True).decode())
    assert found, "the mail carries no invitation link"
    return found.group(1)


def _submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_a_new_volunteer_goes_from_invitation_to_debrief_on_a_phone(browser, live_server, smtp_server):
    tag = uuid.uuid4().hex[:6]
    coordinator_email, volunteer_email = f"coord-{tag}@example.org", f"new-volunteer-{tag}@example.org"
    with live_server.session_factory.begin() as s:
        make_user(s, role="coordinator", email=coordinator_email, display_name=f"Coordinator {tag}")
        area = make_patrol_area(s, name=f"Journey area {tag}")
        later = make_shift(s, area=area, start_at=(utcnow() + timedelta(days=3)).replace(microsecond=0))
        tonight = make_shift(s, area=area, start_at=(utcnow() + timedelta(days=2)).replace(microsecond=0), hours=1)
        later_id, tonight_id = later.id, tonight.id
        # A teammate on tonight's shift: nobody patrols alone, so a lone volunteer could not check in.
        patrols.book_shift(s, volunteer=make_volunteer(s), shift_id=tonight_id, now=utcnow())

    staff = browser.new_context(viewport={"width": 1024, "height": 900}, locale="en-GB")
    phone = browser.new_context(viewport=PHONE, locale="en-GB")
    try:
        # 1. The coordinator invites the volunteer from the volunteers page.
        coordinator = staff.new_page()
        sign_in(coordinator, live_server, coordinator_email, PASSWORD)
        coordinator.goto(f"{live_server.url}/coordinator/volunteers")
        axe_check(coordinator)
        coordinator.fill("form[action='/coordinator/volunteers/invite'] #email", volunteer_email)
        coordinator.fill("form[action='/coordinator/volunteers/invite'] #display_name", "Vee")
        _submit(coordinator, "form[action='/coordinator/volunteers/invite'] button[type=submit]")
        assert "Invitation sent" in coordinator.locator("[role=status]").inner_text()
        assert volunteer_email in coordinator.locator("#invitation_id ~ ul").first.inner_text()
        axe_check(coordinator)

        # 2. The mail arrives; the volunteer opens the link on their phone and makes two mistakes.
        _deliver(live_server, smtp_server)
        token = _invite_link(smtp_server, volunteer_email)
        volunteer = phone.new_page()
        volunteer.goto(f"{live_server.url}/invite/{token}")
        axe_check(volunteer)
        _fits(volunteer, "the invitation page")
        volunteer.fill("#display_name", "Vee Volunteer")
        volunteer.fill("#password", VOLUNTEER_PASSWORD)
        volunteer.fill("#confirm_password", VOLUNTEER_PASSWORD + "!")
        _submit(volunteer, "main button[type=submit]")
        assert "do not match" in volunteer.locator("#confirm_password-error").inner_text()
        assert volunteer.input_value("#display_name") == "Vee Volunteer"
        axe_check(volunteer)
        _fits(volunteer, "the invitation page with an error")
        volunteer.fill("#password", "short")
        volunteer.fill("#confirm_password", "short")
        _submit(volunteer, "main button[type=submit]")
        assert "at least 12" in volunteer.locator("#password-error").inner_text()
        volunteer.fill("#password", VOLUNTEER_PASSWORD)
        volunteer.fill("#confirm_password", VOLUNTEER_PASSWORD)
        _submit(volunteer, "main button[type=submit]")
        assert volunteer.url == f"{live_server.url}/volunteer"
        assert volunteer.locator("#eligibility").is_visible()  # no DBS check or induction yet
        axe_check(volunteer)
        _fits(volunteer, "My shifts before vetting")

        # 3. The coordinator records the DBS check and induction and makes them an active team lead,
        #    on the volunteer's own page (through the browser, not the service).
        with live_server.session_factory() as s:
            user = s.query(User).filter_by(email=volunteer_email).one()
            volunteer_id = s.query(Volunteer).filter_by(user_id=user.id).one().id
        coordinator.goto(f"{live_server.url}/coordinator/volunteers/{volunteer_id}")
        axe_check(coordinator)
        last_year = (date.today() - timedelta(days=200)).isoformat()
        for kind in ("dbs", "induction"):
            coordinator.select_option("#kind", kind)
            coordinator.fill("#completed_date", last_year)
            _submit(coordinator, "form[action$='/records'] button[type=submit]")
            assert "Record added" in coordinator.locator("[role=status]").inner_text()
        coordinator.select_option("#status", "active")
        coordinator.check("#is_team_lead")
        _submit(coordinator, f"form[action='/coordinator/volunteers/{volunteer_id}'] button[type=submit]")
        assert "Profile saved" in coordinator.locator("[role=status]").inner_text()
        axe_check(coordinator)

        # 4. The volunteer signs up for both shifts.
        volunteer.goto(f"{live_server.url}/volunteer")
        assert volunteer.locator("#eligibility").count() == 0
        for shift_id in (later_id, tonight_id):
            _submit(volunteer, f"form[action='/volunteer/shifts/{shift_id}/signup'] button")
            assert "You are signed up" in volunteer.locator("[role=status]").inner_text()
        axe_check(volunteer)
        _fits(volunteer, "My shifts")

        # 5. Check in days early: not offered, the reason is where the button would be; sent anyway
        #    (as an old tab would), it is refused with the same reason in the error summary.
        row = volunteer.locator("table#shift_id tbody tr", has=volunteer.locator(f"[href='#shift-{later_id}']"))
        assert row.locator("[data-refused=check_in]").inner_text().startswith("Check in opens at")
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
                later_id,
            )
        assert "Check in opens at" in volunteer.locator("#error-summary").inner_text()
        axe_check(volunteer)
        _fits(volunteer, "My shifts with a refusal")

        # 6. Tonight's shift starts now (the clock is moved by moving the shift): check in, home safe.
        with live_server.session_factory.begin() as s:
            shift = s.get(Shift, tonight_id)
            shift.start_at = utcnow().replace(microsecond=0) - timedelta(minutes=10)
            shift.end_at = shift.start_at + timedelta(minutes=50)
        volunteer.goto(f"{live_server.url}/volunteer")
        _submit(volunteer, f"form[action='/volunteer/shifts/{tonight_id}/check-in'] button")
        assert "Checked in" in volunteer.locator("[role=status]").inner_text()
        axe_check(volunteer)
        _submit(volunteer, f"form[action='/volunteer/shifts/{tonight_id}/home-safe'] button")
        assert "home safe" in volunteer.locator("[role=status]").inner_text()
        axe_check(volunteer)
        _fits(volunteer, "My shifts after home safe")

        # 7. The debrief, one row per person, with one wrong row; the error names it and links to it;
        #    then fixed.
        _submit(volunteer, f"a[href='/volunteer/shifts/{tonight_id}/debrief']")
        volunteer.wait_for_selector(".patrol-area-map.leaflet-container")
        axe_check(volunteer)
        _fits(volunteer, "the debrief form")
        volunteer.set_viewport_size({"width": 320, "height": 700})  # the smallest phones still in use
        _fits(volunteer, "the debrief form", screen=320)
        fields = volunteer.evaluate(
            """() => [...document.querySelectorAll("select[name^='people.']")].map((box) => ({
                id: box.id,
                width: box.getBoundingClientRect().width,
                labelled: !!document.querySelector(`label[for="${box.id}"]`),
            }))"""
        )
        assert len(fields) == 9  # three rows: gender, age band, hand-over
        cramped = [b["id"] for b in fields if b["width"] < 80 or not b["labelled"]]
        assert not cramped, f"fields narrower than 80px or without a visible label at 320px: {cramped}"
        volunteer.set_viewport_size(PHONE)
        volunteer.select_option("#people-0-gender", "woman")
        volunteer.check("#people-0-kinds")  # the first kind: welfare
        volunteer.select_option("#people-1-gender", "man")  # no kind of help: the mistake
        volunteer.fill("#summary", "Quiet night, one fall outside the station")
        _submit(volunteer, "form[action$='/debrief'] button[value=file]")
        link = volunteer.locator("#error-summary a[href='#people-1-kinds']")
        assert link.inner_text() == "Person 2: choose at least one kind of help given."
        assert volunteer.input_value("#people-0-gender") == "woman"  # what was typed is kept
        assert volunteer.is_checked("#people-0-kinds") and volunteer.input_value("#people-1-gender") == "man"
        axe_check(volunteer)
        _fits(volunteer, "the debrief form with an error")
        link.click()
        assert volunteer.evaluate("() => location.hash") == "#people-1-kinds"
        assert volunteer.locator("#people-1-kinds").is_visible()
        volunteer.check("#people-1-kinds-first_aid")
        _submit(volunteer, "form[action$='/debrief'] button[value=file]")
        assert "Debrief filed" in volunteer.locator("[role=status]").inner_text()
        axe_check(volunteer)
    finally:
        staff.close()
        phone.close()


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_person_applies_on_a_phone_and_a_coordinator_approves(browser, live_server, smtp_server, lang):
    tag = uuid.uuid4().hex[:6]
    applicant_email, coordinator_email = f"applicant-{tag}@example.org", f"coord-apply-{tag}@example.org"
    with live_server.session_factory.begin() as s:
        make_user(s, role="coordinator", email=coordinator_email)
    phone = browser.new_context(viewport=PHONE, locale="ar" if lang == "ar" else "en-GB")
    staff = browser.new_context(viewport={"width": 1024, "height": 900}, locale="en-GB")
    try:
        applicant = phone.new_page()
        applicant.goto(f"{live_server.url}/login?lang={lang}")
        _submit(applicant, "a[href^='/volunteer/apply']")
        assert applicant.locator("html").get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
        assert applicant.locator("#quick-exit").is_visible()
        axe_check(applicant)
        _fits(applicant, f"the application form ({lang})")
        applicant.fill("#display_name", f"Applicant {tag}")
        applicant.fill("#email", applicant_email)
        applicant.fill("#phone", "07700 900321")
        applicant.fill("#about", "Free on Friday nights after 10 pm; I used to be a first aider.")
        _submit(applicant, "main button[type=submit]")  # the DBS consent is not ticked
        assert applicant.locator("#consent-error").is_visible()
        assert applicant.locator("#error-summary a[href='#consent']").count() == 1
        assert applicant.input_value("#about").startswith("Free on Friday nights")
        axe_check(applicant)
        _fits(applicant, f"the application form with an error ({lang})")
        applicant.check("#consent")
        _submit(applicant, "main button[type=submit]")
        assert applicant.locator("[role=status]").is_visible()
        if lang == "en":
            assert "A volunteer coordinator will contact you" in applicant.locator("[role=status]").inner_text()
        axe_check(applicant)
        _fits(applicant, f"the thank-you page ({lang})")

        coordinator = staff.new_page()
        sign_in(coordinator, live_server, coordinator_email, PASSWORD)
        coordinator.goto(f"{live_server.url}/coordinator/volunteers")
        card = coordinator.locator("article.application", has_text=f"Applicant {tag}")
        assert "Free on Friday nights" in card.inner_text()
        axe_check(coordinator)
        _submit(coordinator, f"article.application:has-text('Applicant {tag}') form[action$='/approve'] button")
        assert f"Approved: Applicant {tag}" in coordinator.locator("[role=status]").inner_text()
        assert coordinator.locator("article.application", has_text=f"Applicant {tag}").count() == 0
        axe_check(coordinator)
        _deliver(live_server, smtp_server)
        token = _invite_link(smtp_server, applicant_email)
        applicant.goto(f"{live_server.url}/invite/{token}")
        assert applicant.input_value("#display_name") == f"Applicant {tag}"
        _fits(applicant, "the invitation page")
    finally:
        phone.close()
        staff.close()
