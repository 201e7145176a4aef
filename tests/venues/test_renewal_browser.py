"""The venue manager's renewal as a person meets it on a phone (375 px), in English and in Arabic
(right to left), axe-checked at every step: too early, the refusal says when renewal opens; in the
window, it renews; a second time, it is refused (once a cycle). Then a failed spot check shows in
the portal: what to put right, by when."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from nte.auth import service as auth_service
from nte.auth.models import User
from nte.db import utcnow
from nte.venues import service as venue_service
from nte.venues.models import Venue
from tests.factories import PASSWORD, make_venue
from tests.support.browser import axe_check, sign_in

pytestmark = pytest.mark.browser

#: What each step says, per language (the Arabic is charter.po's).
WORDS = {
    "en": {
        "too_early": "You can renew from",
        "renewed": "Renewed: the charter record now runs until",
        "again": "You already renewed on",
        "fix_by": "Put this right by",
    },
    "ar": {
        "too_early": "يمكنك التجديد اعتبارًا من",
        "renewed": "تم التجديد: أصبح سجل الميثاق ساريًا حتى",
        "again": "لقد جدّدت بالفعل في",
        "fix_by": "صحِّح ما يلي بحلول",
    },
}
FINDINGS = "Staff on the door did not know the Ask for Angela procedure."


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "horizontal overflow"


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_renewal_too_early_then_renewed_then_refused_and_a_failed_check_in_the_portal(page, live_server, lang):
    words = WORDS[lang]
    tag = uuid.uuid4().hex[:6]
    with live_server.session_factory.begin() as s:
        venue = make_venue(s, status="verified", name=f"Renewal Arms {tag}")
        manager = s.get(User, venue.manager_user_id)
        manager.email_confirmed_at = utcnow()
        venue_id, email = venue.id, manager.email
        officer = auth_service.create_user(
            s,
            email=f"renewal-officer-{tag}@example.org",
            display_name="Officer",
            role="officer",
            password="a browser password",  # noqa: S106
            confirmed_at=utcnow(),
        )
        officer_id = officer.id
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(page, live_server, email, PASSWORD)
    portal = f"{live_server.url}/venue-portal/{venue_id}?lang={lang}"
    page.goto(portal)
    assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
    assert words["too_early"] in page.text_content("#renewal-not-yet")
    axe_check(page)
    _fits(page)

    # The mistake: renewing a year early. Refused in words, nothing changed.
    page.fill("#new_starters", "0")
    with page.expect_navigation():
        page.click("#renew")
    assert words["too_early"] in page.text_content("#error-summary")
    axe_check(page)
    _fits(page)

    # Eleven months on (the expiry brought near): in the window, it renews.
    with live_server.session_factory.begin() as s:
        expiry = venue_service.london_today(utcnow()) + timedelta(days=20)
        s.get(Venue, venue_id).renewal_date = expiry
    page.goto(portal)
    page.fill("#new_starters", "2")
    with page.expect_navigation():
        page.click("#renew")
    assert words["renewed"] in page.text_content("#renewed")
    assert lang == "en" or page.url.endswith(f"lang={lang}")  # the page goes on in its language
    axe_check(page)
    _fits(page)

    # A second time in the same cycle: refused.
    page.fill("#new_starters", "0")
    with page.expect_navigation():
        page.click("#renew")
    assert words["again"] in page.text_content("#error-summary")
    with live_server.session_factory() as s:
        assert s.get(Venue, venue_id).renewal_date == venue_service.add_year(expiry)  # once
    axe_check(page)
    _fits(page)

    # An officer's spot check fails: the portal says what to put right, by when.
    with live_server.session_factory.begin() as s:
        today = venue_service.london_today(utcnow())
        venue_service.add_spot_check(
            s,
            actor=s.get(User, officer_id),
            venue_id=venue_id,
            raw={"check_date": today.isoformat(), "outcome": "fail", "findings": FINDINGS},
            now=utcnow(),
        )
        due = today + timedelta(days=28)
    page.goto(portal)
    box = page.locator("#spot-check-actions")
    assert box.is_visible()
    assert words["fix_by"] in box.text_content() and venue_service.long_date(due) in box.text_content()
    assert page.locator("#spot-check-actions .action-findings li").all_text_contents() == [FINDINGS]
    axe_check(page)
    _fits(page)
