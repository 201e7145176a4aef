"""The volunteer's and coordinator's patrol pages offer only what is allowed now, say why an action
is not offered where its button would be, and answer every refusal with the page, the reason and a
4xx (never a 500). Shifts are placed relative to the real clock (the pages read ``utcnow()``)."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest

from nte.db import utcnow
from nte.patrols import service as patrols
from tests.factories import PASSWORD, bearer, login, make_patrol_area, make_shift, make_user, make_volunteer
from tests.support.browser import axe_check, sign_in


def _post(client, url: str, csrf: str, **fields: str):
    return client.post(url, data={"csrf_token": csrf, **fields}, follow_redirects=False)


def _form(html: str, shift_id: int, action: str) -> bool:
    return f'action="/volunteer/shifts/{shift_id}/{action}"' in html


def _refused(html: str, action: str) -> list[str]:
    return [re.sub(r"\s+", " ", m).strip() for m in re.findall(rf'data-refused="{action}">([^<]*)<', html)]


def _row(html: str, shift) -> str:
    """The row of 'My upcoming shifts' for ``shift`` (its start in London time opens the row)."""
    label = patrols.fmt_local(shift.start_at)
    start = html.index(f"<td>{label}–")
    return html[start : html.index("</tr>", start)]


def _refusal_page(r, reason: str) -> None:
    """A refusal: a 4xx, the page itself with the reason in the error summary, still usable."""
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:500])
    summary = r.text[r.text.index('id="error-summary"') :]
    assert reason in summary[: summary.index("</div>")], summary[:600]
    assert "My upcoming shifts" in r.text or "Volunteers" in r.text


def _booked(db, volunteer, *, start_in: timedelta, hours: float = 6, **shift_args):
    """A shift ``volunteer`` booked while it was ahead, with a teammate (nobody patrols alone: a shift
    below a team of two cannot be checked into), then moved to start ``start_in`` from now."""
    now = utcnow().replace(microsecond=0)
    shift = make_shift(db, start_at=now + timedelta(days=20), hours=hours, **shift_args)
    patrols.book_shift(db, volunteer=volunteer, shift_id=shift.id, now=now)
    patrols.book_shift(db, volunteer=make_volunteer(db), shift_id=shift.id, now=now)
    shift.start_at = now + start_in
    shift.end_at = shift.start_at + timedelta(hours=hours)
    db.flush()
    return shift


def test_check_in_is_offered_only_from_its_window_and_says_when_it_opens(client, db):
    volunteer = make_volunteer(db)
    csrf = login(client, db, patrols.volunteer_user(db, volunteer))
    later = _booked(db, volunteer, start_in=timedelta(days=3))
    soon = _booked(db, volunteer, start_in=timedelta(minutes=30), hours=2)
    html = client.get("/volunteer").text
    opens = patrols.check_in_opens_at(later)
    assert not _form(_row(html, later), later.id, "check-in")
    assert f"Check in opens at {patrols.fmt_when(opens)}." in _refused(_row(html, later), "check_in")
    assert _form(_row(html, soon), soon.id, "check-in") and not _refused(_row(html, soon), "check_in")

    # The button is gone, but an old page (or a crafted post) is refused with the same reason.
    r = _post(client, f"/volunteer/shifts/{later.id}/check-in", csrf)
    _refusal_page(r, f"Check in opens at {patrols.fmt_when(opens)}.")
    assert r.status_code == 409
    assert patrols.repo.signup_for(db, later.id, volunteer.id).checked_in_at is None

    r = _post(client, f"/volunteer/shifts/{soon.id}/check-in", csrf)
    assert r.status_code == 303
    after = client.get("/volunteer").text
    assert not _form(_row(after, soon), soon.id, "check-in") and not _refused(_row(after, soon), "check_in")


def test_cancel_is_not_offered_after_the_deadline_and_is_refused_with_the_reason(client, db):
    volunteer = make_volunteer(db)
    csrf = login(client, db, patrols.volunteer_user(db, volunteer))
    tonight = _booked(db, volunteer, start_in=timedelta(hours=10))
    next_week = _booked(db, volunteer, start_in=timedelta(days=7))
    html = client.get("/volunteer").text
    assert _form(_row(html, next_week), next_week.id, "cancel")
    assert not _form(_row(html, tonight), tonight.id, "cancel")
    [reason] = _refused(_row(html, tonight), "cancel")
    assert reason.startswith("Too late to cancel online") and "contact your coordinator" in reason
    assert patrols.fmt_when(patrols.cancellation_deadline(tonight)) in reason

    r = _post(client, f"/volunteer/shifts/{tonight.id}/cancel", csrf)
    _refusal_page(r, "Too late to cancel online")
    assert r.status_code == 403
    assert patrols.repo.signup_for(db, tonight.id, volunteer.id).status == "confirmed"


def test_cancel_is_refused_after_check_in(db):
    volunteer = make_volunteer(db)
    shift = _booked(db, volunteer, start_in=timedelta(minutes=30))
    patrols.check_in(db, volunteer=volunteer, shift_id=shift.id, now=utcnow())
    signup = patrols.repo.signup_for(db, shift.id, volunteer.id)
    settings = patrols.get_patrol_settings().model_copy(update={"cancellation_deadline_hours": 0})
    refusal = patrols.cancel_refusal(shift, signup, now=utcnow(), settings=settings)
    assert refusal is not None and "checked in" in refusal.detail
    with pytest.raises(patrols.ActionNotAllowedNow):
        patrols.cancel_signup(db, volunteer=volunteer, shift_id=shift.id, now=utcnow(), settings=settings)
    assert "cancel" not in patrols.volunteer_choices(shift, signup, now=utcnow(), settings=settings)


def test_home_safe_only_near_the_end_on_the_page_the_form_and_the_api(client, db):
    volunteer = make_volunteer(db)
    user = patrols.volunteer_user(db, volunteer)
    csrf = login(client, db, user)
    started = _booked(db, volunteer, start_in=-timedelta(hours=1), hours=6)
    ending = _booked(db, volunteer, start_in=-timedelta(hours=5, minutes=30), hours=6)
    assert _post(client, f"/volunteer/shifts/{started.id}/check-in", csrf).status_code == 303
    html = client.get("/volunteer").text
    opens = patrols.home_safe_opens_at(started)
    assert opens == started.end_at - timedelta(minutes=60)
    reason = f"You can confirm you are home safe from {patrols.fmt_when(opens)}."
    assert not _form(_row(html, started), started.id, "home-safe")
    assert any(r.startswith(reason) for r in _refused(_row(html, started), "home_safe"))
    assert _form(_row(html, ending), ending.id, "home-safe")

    r = _post(client, f"/volunteer/shifts/{started.id}/home-safe", csrf)
    _refusal_page(r, reason)
    assert r.status_code == 409
    api = client.post(f"/api/patrols/shifts/{started.id}/home-safe", headers=bearer(db, user))
    assert api.status_code == 409 and api.json()["error"] == "not_allowed_now", api.text
    assert reason in api.text
    assert patrols.repo.signup_for(db, started.id, volunteer.id).home_safe_at is None

    assert _post(client, f"/volunteer/shifts/{ending.id}/home-safe", csrf).status_code == 303
    assert patrols.repo.signup_for(db, ending.id, volunteer.id).home_safe_at is not None


def test_coordinator_cannot_mark_a_checked_in_or_home_safe_volunteer_as_no_show(client, db):
    area = make_patrol_area(db)
    here, safe, absent = make_volunteer(db), make_volunteer(db), make_volunteer(db)
    now = utcnow().replace(microsecond=0)
    shift = make_shift(db, area=area, start_at=now + timedelta(days=20), hours=6)
    for v in (here, safe, absent):
        patrols.book_shift(db, volunteer=v, shift_id=shift.id, now=now)
    shift.start_at, shift.end_at = now - timedelta(hours=5, minutes=30), now + timedelta(minutes=30)
    db.flush()
    patrols.check_in(db, volunteer=here, shift_id=shift.id, now=now)
    patrols.home_safe(db, volunteer=safe, shift_id=shift.id, now=now)
    signup = {v.id: patrols.repo.signup_for(db, shift.id, v.id) for v in (here, safe, absent)}
    csrf = login(client, db, make_user(db, role="coordinator"))

    html = client.get(f"/coordinator/shifts/{shift.id}").text
    assert f'action="/coordinator/signups/{signup[absent.id].id}/no-show"' in html
    for v in (here, safe):
        assert f'action="/coordinator/signups/{signup[v.id].id}/no-show"' not in html
    refused = _refused(html, "no_show")
    assert sorted(r.split(":")[1].strip().split(" at ")[0] for r in refused) == [
        "checked in",
        "confirmed home safe",
    ]

    r = _post(client, f"/coordinator/signups/{signup[here.id].id}/no-show", csrf, value="yes")
    _refusal_page(r, "Not a no-show: checked in at")
    assert r.status_code == 409 and 'id="shift_id"' in r.text
    api = client.post(
        f"/api/patrols/signups/{signup[safe.id].id}/no-show",
        headers=bearer(db, make_user(db, role="coordinator")),
        json={"no_show": True},
    )
    assert api.status_code == 409 and "home safe" in api.text, api.text
    db.expire_all()
    assert not signup[here.id].no_show and not signup[safe.id].no_show
    r = _post(client, f"/coordinator/signups/{signup[absent.id].id}/no-show", csrf, value="yes")
    assert r.status_code == 303


def test_sign_up_refusals_show_the_page_with_the_reason(client, db):
    area = make_patrol_area(db)
    volunteer = make_volunteer(db)
    csrf = login(client, db, patrols.volunteer_user(db, volunteer))
    start = utcnow().replace(microsecond=0) + timedelta(days=5)
    mine = make_shift(db, area=area, start_at=start)
    patrols.book_shift(db, volunteer=volunteer, shift_id=mine.id, now=utcnow())
    clash = make_shift(db, area=area, start_at=start + timedelta(hours=2))
    r = _post(client, f"/volunteer/shifts/{clash.id}/signup", csrf)
    _refusal_page(r, "You are already on a shift at that time")
    assert r.status_code == 409

    # A full shift puts the volunteer on its waitlist, and the page says so.
    full = make_shift(db, area=area, start_at=start + timedelta(days=2), min_volunteers=2, max_volunteers=2)
    for _ in range(2):
        patrols.book_shift(db, volunteer=make_volunteer(db), shift_id=full.id, now=utcnow())
    html = client.get("/volunteer").text
    assert "Join the waitlist" in html[html.index(f'action="/volunteer/shifts/{full.id}/signup"') :][:400]
    r = _post(client, f"/volunteer/shifts/{full.id}/signup", csrf)
    assert r.status_code == 303
    html = client.get(r.headers["location"]).text
    assert "You are on the waitlist" in html  # the message, signed in the link, shown on the page
    assert "On the waitlist" in _row(html, full) and _form(_row(html, full), full.id, "cancel")

    # An expired DBS record: refused with the date it ran out.
    lapsed = make_volunteer(db, expires=date.today() - timedelta(days=1))
    csrf = login(client, db, patrols.volunteer_user(db, lapsed))
    r = _post(client, f"/volunteer/shifts/{mine.id}/signup", csrf)
    _refusal_page(r, "expired on")
    assert r.status_code == 409


@pytest.mark.browser
def test_volunteer_at_375px_sees_why_actions_are_not_offered_and_meets_a_refusal(page, live_server):
    email = f"volunteer-{uuid.uuid4().hex[:8]}@example.org"
    now = utcnow().replace(microsecond=0)
    lapsed_email = f"lapsed-{uuid.uuid4().hex[:8]}@example.org"
    with live_server.session_factory.begin() as s:
        area = make_patrol_area(s)
        volunteer = make_volunteer(s, email=email)
        tonight = make_shift(s, area=area, start_at=now + timedelta(days=20))
        patrols.book_shift(s, volunteer=volunteer, shift_id=tonight.id, now=now)
        tonight.start_at, tonight.end_at = now + timedelta(hours=10), now + timedelta(hours=16)
        clash = make_shift(s, area=area, start_at=now + timedelta(hours=12))
        # A shift already full (two places, two volunteers), and a volunteer whose DBS check ran out.
        full = make_shift(s, area=area, start_at=now + timedelta(days=9), min_volunteers=2, max_volunteers=2)
        for _ in range(2):
            patrols.book_shift(s, volunteer=make_volunteer(s), shift_id=full.id, now=now)
        expired_on = date.today() - timedelta(days=1)
        make_volunteer(s, email=lapsed_email, expires=expired_on)
        ids = (tonight.id, clash.id, full.id)
        opens = patrols.fmt_when(patrols.check_in_opens_at(tonight))
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(page, live_server, email, PASSWORD)
    page.goto(live_server.url + "/volunteer")
    row = page.locator("table#shift_id tbody tr").first
    assert row.locator(f"form[action='/volunteer/shifts/{ids[0]}/check-in']").count() == 0
    assert row.locator("[data-refused=check_in]").inner_text() == f"Check in opens at {opens}."
    assert row.locator(f"form[action='/volunteer/shifts/{ids[0]}/cancel']").count() == 0
    assert row.locator("[data-refused=cancel]").inner_text().startswith("Too late to cancel online")
    axe_check(page)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375

    # Signing up for a shift that overlaps tonight's is refused: the page comes back, the summary
    # holds the reason and has the focus.
    with page.expect_navigation():
        page.click(f"form[action='/volunteer/shifts/{ids[1]}/signup'] button")
    summary = page.locator("#error-summary")
    assert "You are already on a shift at that time" in summary.inner_text()
    assert page.evaluate("() => document.activeElement && document.activeElement.id") == "error-summary"
    assert page.locator("table#shift_id").is_visible()
    axe_check(page)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375

    # A full shift: the button says "Join the waitlist", and joining says so on the page.
    button = page.locator(f"form[action='/volunteer/shifts/{ids[2]}/signup'] button")
    assert button.inner_text().startswith("Join the waitlist")
    with page.expect_navigation():
        button.click()
    assert "You are on the waitlist" in page.locator("[role=status]").first.inner_text()
    assert (
        page.locator(f"form[action='/volunteer/shifts/{ids[2]}/cancel'] button")
        .inner_text()
        .startswith("Leave the waitlist")
    )
    axe_check(page)

    # A volunteer whose DBS check has expired is refused with the date, and told what to do.
    page.context.clear_cookies()
    sign_in(page, live_server, lapsed_email, PASSWORD)
    page.goto(live_server.url + "/volunteer")
    with page.expect_navigation():
        page.click(f"form[action='/volunteer/shifts/{ids[2]}/signup'] button")
    summary = page.locator("#error-summary").inner_text()
    assert f"expired on {expired_on:%d %B %Y}" in summary and "renew it with your coordinator" in summary, summary
    axe_check(page)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
