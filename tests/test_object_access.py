"""Object-level access across domains: a role is not enough, the object must be yours.

The route x role matrix (tests/test_access_matrix.py) proves who reaches which route; this file
proves what they see there."""

from __future__ import annotations

import json
from datetime import timedelta

from icalendar import Calendar

from nte.auth.models import User
from nte.db import utcnow
from nte.patrols import service as patrols
from tests.factories import PASSWORD, bearer, login, make_report, make_shift, make_user, make_venue, make_volunteer


def _manager(db, venue) -> User:
    return db.get(User, venue.manager_user_id)


def test_a_venue_manager_cannot_read_or_change_another_venue(client, db):
    mine = make_venue(db, name="Mine Arms")
    theirs = make_venue(db, name="Their Tavern", lon=-0.1300, lat=51.5140)
    csrf = login(client, db, _manager(db, mine))
    assert client.get(f"/venue-portal/{mine.id}").status_code == 200
    assert client.get(f"/venue-portal/{theirs.id}").status_code == 404
    r = client.post(
        f"/venue-portal/{theirs.id}/details", data={"csrf_token": csrf, "name": "Hijacked"}, follow_redirects=False
    )
    assert r.status_code in (403, 404)
    db.expire_all()
    assert theirs.name == "Their Tavern"
    # and no officer-only API for them
    assert client.get("/api/venues/register", headers={"accept": "application/json"}).status_code == 403


def test_a_volunteer_sees_only_their_own_shifts_and_feed(client, db):
    alice = make_volunteer(db, display_name="Alice")
    bob = make_volunteer(db, display_name="Bob")
    shift_a = make_shift(db)
    shift_b = make_shift(db, start_at=utcnow().replace(microsecond=0) + timedelta(days=5))
    patrols.book_shift(db, volunteer=alice, shift_id=shift_a.id, now=utcnow())
    patrols.book_shift(db, volunteer=bob, shift_id=shift_b.id, now=utcnow())
    token_a = patrols.issue_feed_token(db, volunteer=alice, now=utcnow())
    feed = client.get(f"/api/patrols/feed/{token_a}.ics")
    assert feed.status_code == 200
    uids = {str(e["UID"]) for e in Calendar.from_ical(feed.content).walk("VEVENT")}
    assert any(str(shift_a.id) in uid for uid in uids) and not any(f"-{shift_b.id}@" in uid for uid in uids)
    # Alice's token does not open Bob's feed, and a guessed token opens nothing.
    assert client.get("/api/patrols/feed/cal_guessed-token.ics").status_code == 404
    # Volunteers cannot read other volunteers' contact details.
    alice_user = db.get(User, alice.user_id)
    assert client.get("/api/patrols/volunteers", headers=bearer(db, alice_user)).status_code == 403
    # Revoking the feed stops it at once.
    patrols.revoke_feed_token(db, volunteer=alice, now=utcnow())
    assert client.get(f"/api/patrols/feed/{token_a}.ics").status_code == 404


def test_only_officers_see_raw_reports_free_text_exact_points_and_exports(client, db):
    report, receipt = make_report(
        db, lat=51.513271, lon=-0.133719, description="He followed me from the station, call me on 07700 900123"
    )
    private = [
        f"/api/reports/{report.id}",
        "/api/reports/export.csv",
        "/api/reports/export.geojson",
        "/api/reports/points",
        "/api/reports",
    ]
    for role in ["volunteer", "coordinator", "venue_manager"]:
        headers = bearer(db, make_user(db, role=role))
        for path in private:
            assert client.get(path, headers=headers).status_code == 403, (role, path)
    for path in private:
        assert client.get(path).status_code == 401
    officer = bearer(db, make_user(db, role="officer"))
    seen = client.get(f"/api/reports/{report.id}", headers=officer).json()
    assert "followed me" in json.dumps(seen) and "07700" not in json.dumps(seen)  # scrubbed before storage
    # What the public can see never has the text or the point.
    status = client.get(f"/api/reports/receipts/{receipt}").json()
    public = json.dumps(status) + client.get("/api/maps/public/wards.geojson").text
    assert "followed me" not in public and "51.51327" not in public and "0.13371" not in public


def test_sessions_and_tokens_end_at_once(client, db):
    user = make_user(db, role="officer")
    headers = bearer(db, user)
    assert client.get("/api/reports", headers=headers).status_code == 200
    user.is_active = False  # an admin disables the account
    db.flush()
    assert client.get("/api/reports", headers=headers).status_code == 401
    assert PASSWORD  # the factory's password is what login uses elsewhere
