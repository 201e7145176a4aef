"""The volunteer's phone view: each upcoming shift says where to go (area, map, meeting point and a
``geo:`` link), who with (first names only, the team lead marked), how it is staffed (the board's
own rule and reasons) and who the coordinator is; the area's outline comes from an endpoint that
answers only for shifts the volunteer is on."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from urllib.parse import quote

import pytest

from nte.db import utcnow
from nte.patrols import service as patrols
from tests.factories import PASSWORD, login, make_patrol_area, make_shift, make_user, make_volunteer
from tests.support.browser import axe_check, sign_in

MEETING_POINT = "Outside Leicester Square station, exit 4"


def _card(html: str, shift) -> str:
    """The briefing for ``shift`` on /volunteer (its <section>)."""
    start = html.index(f'<section class="briefing" id="shift-{shift.id}"')
    return html[start : html.index("</section>", start)]


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", fragment)).strip()


def _book(db, shift, *volunteers) -> None:
    for volunteer in volunteers:
        patrols.book_shift(db, volunteer=volunteer, shift_id=shift.id, now=utcnow())


def _team(db, area, **shift_args):
    """A shift in ``area`` with me (Amira), a team lead (Bartholomew) and Chidi confirmed."""
    me = make_volunteer(db, display_name="Amira Haddad")
    lead = make_volunteer(db, display_name="Bartholomew Quigley-Smythe", team_lead=True)
    mate = make_volunteer(db, display_name="Chidi Okonkwo", email=f"chidi-{uuid.uuid4().hex[:6]}@example.org")
    shift = make_shift(db, area=area, meeting_point=MEETING_POINT, **shift_args)
    _book(db, shift, me, lead, mate)
    return me, lead, mate, shift


def test_each_shift_says_where_to_go_who_with_and_who_to_call(client, db):
    area = make_patrol_area(db, name=f"Soho West {uuid.uuid4().hex[:4]}")
    coordinator = make_user(db, role="coordinator", display_name="Priya Raman", email="priya.raman@example.org")
    me, lead, mate, shift = _team(db, area, min_volunteers=4, max_volunteers=4, min_team_leads=1)
    login(client, db, patrols.volunteer_user(db, me))
    html = client.get("/volunteer").text
    card = _card(html, shift)
    words = _text(card)

    assert area.name in words
    assert f"Meeting point {MEETING_POINT}" in words
    assert 'href="geo:' in card and f"?q={quote(MEETING_POINT, safe='')}" in card
    [geo] = re.findall(r'href="(geo:[^"]+)"', card)
    lat, lon = map(float, geo[4:].split("?")[0].split(","))
    assert 51.4 < lat < 51.6 and -0.3 < lon < 0.1, geo  # a point in London, latitude first
    assert f'data-area-url="/api/patrols/me/shifts/{shift.id}/area.geojson"' in card

    # The team: first names only, the team lead marked, me not listed as my own teammate.
    team = card[card.index('<ul class="team">') : card.index("</ul>", card.index('<ul class="team">'))]
    assert re.findall(r"<li>(.*?)</li>", team) == [
        '<bdi>Bartholomew</bdi> <span class="tag" data-team-lead>Team lead</span>',
        "<bdi>Chidi</bdi>",
    ]
    for private in ("Quigley-Smythe", "Okonkwo", "07700 900123", "chidi-", "Amira</bdi>"):
        assert private not in html, private

    # Staffing by the board's rule: 3 of 4 confirmed with a lead is "At risk", one short of its team.
    [board] = patrols.staffing_for(db, [shift])
    assert board.state == "at_risk" and board.reasons == ["3 of the 4 volunteers needed"]
    assert "At risk 3 of 4 places taken; needs 1 more for its team of 4." in words
    assert "At risk: 3 of the 4 volunteers needed" in words

    # The coordinator, with the contact the data holds (an e-mail address).
    assert "Your coordinator: Priya Raman, priya.raman@example.org" in words
    assert f'href="mailto:{coordinator.email}"' in card

    # The shift list links each of my shifts to its briefing.
    assert f'href="#shift-{shift.id}"' in html


def test_a_shift_that_cannot_run_says_how_many_more_it_needs_and_why(client, db):
    me = make_volunteer(db, display_name="Dana Whitfield")
    lonely = make_shift(db, min_volunteers=4, max_volunteers=6)
    _book(db, lonely, me)
    login(client, db, patrols.volunteer_user(db, me))
    words = _text(_card(client.get("/volunteer").text, lonely))
    [board] = patrols.staffing_for(db, [lonely])
    assert board.state == "cannot_run" and board.needed_to_run == 1
    assert "Cannot run 1 of 6 places taken; needs 1 more to run." in words
    assert f"Cannot run yet: {board.reasons[0]}" in words
    assert board.reasons[0] == "1 confirmed: a team needs at least 2 (nobody patrols alone)"
    assert "Nobody else is confirmed yet." in words
    assert "Not set yet: your coordinator will tell you." in words  # no meeting point on this shift


def test_only_shifts_i_am_on_get_a_briefing(client, db):
    me = make_volunteer(db)
    kept = make_shift(db)
    left = make_shift(db, start_at=utcnow().replace(microsecond=0) + timedelta(days=9))
    _book(db, kept, me)
    _book(db, left, me)
    patrols.cancel_signup(db, volunteer=me, shift_id=left.id, now=utcnow())
    login(client, db, patrols.volunteer_user(db, me))
    html = client.get("/volunteer").text
    assert f'id="shift-{kept.id}"' in html
    assert f'id="shift-{left.id}"' not in html


def test_a_volunteer_reads_the_area_of_a_shift_they_are_on_and_of_no_other(client, db):
    mine_area = make_patrol_area(db, name=f"Mine {uuid.uuid4().hex[:4]}")
    other_area = make_patrol_area(db, name=f"Elsewhere {uuid.uuid4().hex[:4]}")
    me = make_volunteer(db)
    mine = make_shift(db, area=mine_area)
    waiting = make_shift(db, area=mine_area, start_at=utcnow().replace(microsecond=0) + timedelta(days=9))
    other = make_shift(db, area=other_area)
    gone = make_shift(db, area=other_area, start_at=utcnow().replace(microsecond=0) + timedelta(days=12))
    _book(db, mine, me)
    _book(db, gone, me)
    patrols.cancel_signup(db, volunteer=me, shift_id=gone.id, now=utcnow())
    waiting.max_volunteers = 2
    _book(db, waiting, make_volunteer(db), make_volunteer(db), me)
    assert patrols.repo.signup_for(db, waiting.id, me.id).status == "waitlisted"
    login(client, db, patrols.volunteer_user(db, me))

    for shift in (mine, waiting):
        r = client.get(f"/api/patrols/me/shifts/{shift.id}/area.geojson")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/geo+json")
        feature = r.json()
        assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Polygon"
        assert feature["properties"]["name"] == mine_area.name
        assert len(feature["geometry"]["coordinates"][0]) >= 4

    # A shift I am not on, one I left, and one that does not exist read the same: no such shift.
    bodies = []
    for shift_id in (other.id, gone.id, 999_999):
        r = client.get(f"/api/patrols/me/shifts/{shift_id}/area.geojson")
        assert r.status_code == 404, (shift_id, r.status_code, r.text)
        assert other_area.name not in r.text
        bodies.append(r.json())
    assert (
        bodies[0]
        == bodies[1]
        == bodies[2]
        == {
            "error": "not_found",
            "detail": "There is no such shift.",
            "field": "shift_id",
        }
    )

    # Other roles are refused outright; nobody signed out reads it.
    login(client, db, make_user(db, role="coordinator"))
    assert client.get(f"/api/patrols/me/shifts/{mine.id}/area.geojson").status_code == 403
    client.cookies.clear()
    assert client.get(f"/api/patrols/me/shifts/{mine.id}/area.geojson").status_code == 401


@pytest.mark.browser
def test_volunteer_at_375px_sees_the_area_drawn_and_can_open_the_meeting_point(page, live_server):
    email = f"volunteer-{uuid.uuid4().hex[:8]}@example.org"
    with live_server.session_factory.begin() as s:
        area = make_patrol_area(s, name=f"Soho Briefing {uuid.uuid4().hex[:4]}")
        me = make_volunteer(s, email=email, display_name="Amira Haddad")
        lead = make_volunteer(s, display_name="Bartholomew Quigley-Smythe", team_lead=True)
        shift = make_shift(s, area=area, meeting_point=MEETING_POINT, min_volunteers=4, max_volunteers=4)
        for v in (me, lead):
            patrols.book_shift(s, volunteer=v, shift_id=shift.id, now=utcnow())
        shift_id = shift.id
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(page, live_server, email, PASSWORD)
    page.goto(live_server.url + "/volunteer")
    card = page.locator(f"#shift-{shift_id}")
    card.locator(".leaflet-container[data-area-loaded='1']").wait_for()
    card.locator(".leaflet-container path.briefing-area").wait_for()
    assert card.locator("path.briefing-area").get_attribute("d"), "the area's polygon has no outline"
    assert card.locator("a.geo-link").get_attribute("href").startswith("geo:")
    assert "Bartholomew" in card.inner_text() and "Quigley" not in page.content()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    axe_check(page)
