"""Training that counts: the "posters but no trained staff" flag reads the staff trained (WAVE or
Ask for Angela, last 12 months) against the venue's stated staff count, a share (50 % by default,
configurable); a venue without a staff count is asked for it; new starters told at renewal count as
untrained until the next training. (The BBC's 2024 test: 13 of 25 poster venues in London failed
"Ask for Angela" because training was not passed on to new staff.)"""

from __future__ import annotations

from datetime import timedelta

from nte.auth.models import User
from nte.db import utcnow
from nte.venues import service
from nte.venues.config import VenueSettings
from tests.factories import login, make_venue


def _train(client, csrf, venue_id, staff, *, days_ago=10, kind="wave"):
    return client.post(
        f"/venue-portal/{venue_id}/training",
        data={
            "csrf_token": csrf,
            "training_type": kind,
            "provider": "Council",
            "training_date": (service.london_today(utcnow()) - timedelta(days=days_ago)).isoformat(),
            "staff_trained": str(staff),
        },
        follow_redirects=False,
    )


def _staff(client, csrf, venue_id, count):
    return client.post(
        f"/venue-portal/{venue_id}/staff",
        data={"csrf_token": csrf, "staff_count": str(count)},
        headers={"accept": "text/html"},
        follow_redirects=False,
    )


def _flags(db, venue):
    return service.flags_by_venue(db, today=service.london_today(utcnow())).get(venue.id, [])


def test_one_trained_person_in_twenty_does_not_clear_the_flag(client, db):
    """The demo's defect: any single training event cleared the flag, whatever its size."""
    venue = make_venue(db, status="verified", ask_for_angela="1")
    csrf = login(client, db, db.get(User, venue.manager_user_id))
    assert _staff(client, csrf, venue.id, 20).status_code == 303
    assert _train(client, csrf, venue.id, 1).status_code == 303
    assert "angela_untrained" in _flags(db, venue)
    assert _train(client, csrf, venue.id, 9, kind="ask_for_angela").status_code == 303
    assert "angela_untrained" not in _flags(db, venue)  # 10 of 20: the 50 % share
    page = client.get(f"/venue-portal/{venue.id}").text
    assert "10 of your 20 staff trained" in page and "at least 10 should be" in page


def test_training_older_than_a_year_and_other_kinds_do_not_count(client, db):
    venue = make_venue(db, status="verified", ask_for_angela="1")
    csrf = login(client, db, db.get(User, venue.manager_user_id))
    _staff(client, csrf, venue.id, 10)
    _train(client, csrf, venue.id, 10, days_ago=400)
    _train(client, csrf, venue.id, 10, kind="bystander")
    assert "angela_untrained" in _flags(db, venue)


def test_a_venue_without_a_staff_count_is_asked_for_it(client, db):
    venue = make_venue(db, status="verified", ask_for_angela="1")
    csrf = login(client, db, db.get(User, venue.manager_user_id))
    _train(client, csrf, venue.id, 5)
    assert "staff_count_missing" in _flags(db, venue)
    assert 'id="staff-count-missing"' in client.get(f"/venue-portal/{venue.id}").text
    bad = _staff(client, csrf, venue.id, "0")
    assert bad.status_code == 422 and 'href="#staff_count"' in bad.text
    assert _staff(client, csrf, venue.id, "many").status_code == 422
    assert _staff(client, csrf, venue.id, 8).status_code == 303
    assert "staff_count_missing" not in _flags(db, venue) and "angela_untrained" not in _flags(db, venue)


def test_new_starters_told_at_renewal_count_as_untrained_until_the_next_training(client, db):
    venue = make_venue(db, status="verified", ask_for_angela="1")
    venue.renewal_date = service.london_today(utcnow()) + timedelta(days=20)
    db.flush()
    csrf = login(client, db, db.get(User, venue.manager_user_id))
    _staff(client, csrf, venue.id, 10)
    _train(client, csrf, venue.id, 10, days_ago=30)
    assert "angela_untrained" not in _flags(db, venue)
    r = client.post(
        f"/venue-portal/{venue.id}/renew", data={"csrf_token": csrf, "new_starters": "6"}, follow_redirects=False
    )
    assert r.status_code == 303
    assert "angela_untrained" in _flags(db, venue)  # 4 of 10 trained now
    assert "6 new starters" in client.get(f"/venue-portal/{venue.id}").text
    _train(client, csrf, venue.id, 6, days_ago=0)  # the new starters trained
    assert "angela_untrained" not in _flags(db, venue)


def test_the_share_is_configurable(db, settings):
    venue = make_venue(db, status="verified", ask_for_angela="1")
    manager = db.get(User, venue.manager_user_id)
    now = utcnow()
    service.update_staff_count(db, user=manager, venue_id=venue.id, raw={"staff_count": "10"}, now=now)
    service.add_training(
        db,
        user=manager,
        venue_id=venue.id,
        raw={
            "training_type": "wave",
            "provider": "x",
            "training_date": service.london_today(now).isoformat(),
            "staff_trained": "6",
        },
        now=now,
    )
    today = service.london_today(now)
    assert "angela_untrained" not in service.flags_by_venue(db, today=today).get(venue.id, [])
    strict = VenueSettings(trained_share=0.75)
    assert "angela_untrained" in service.flags_by_venue(db, today=today, venue_settings=strict)[venue.id]
    [share] = service.trained_shares(db, today=today, venue_ids=[venue.id], venue_settings=strict).values()
    assert (share.trained, share.staff_count, share.required_staff) == (6, 10, 8)
