"""Only officers grant "verified". A venue manager renews only a verified venue, only within the
window before its charter expires (60 days, configurable), once per cycle, moving the expiry one
cycle on from the current expiry; a lapsed or withdrawn venue's renewal request goes back to the
officer queue. The renewal form asks for the new starters since the last training (stored). Tested
through the manager's portal as a person uses it, and the service for the settings."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from nte.audit.models import AuditEvent
from nte.auth.models import User
from nte.db import utcnow
from nte.venues import service
from nte.venues.config import VenueSettings
from nte.venues.exceptions import AlreadyRenewed, RenewalNotOpen
from nte.venues.models import Venue, VenueRenewal
from tests.factories import login, make_user, make_venue


def _renew(client, csrf, venue_id, new_starters="0"):
    return client.post(
        f"/venue-portal/{venue_id}/renew",
        data={"csrf_token": csrf, "new_starters": new_starters},
        headers={"accept": "text/html"},
        follow_redirects=False,
    )


def _manager(db, venue):
    return db.get(User, venue.manager_user_id)


def test_three_clicks_renew_once_and_from_the_current_expiry(client, db):
    """The demo's defect: three clicks moved the renewal date three years on (to 2030)."""
    venue = make_venue(db, status="verified")
    today = service.london_today(utcnow())
    expiry = today + timedelta(days=30)
    venue.renewal_date = expiry
    db.flush()
    csrf = login(client, db, _manager(db, venue))
    first = _renew(client, csrf, venue.id)
    assert first.status_code == 303
    db.expire_all()
    assert db.get(Venue, venue.id).renewal_date == service.add_year(expiry)  # from the expiry, not from today
    for _ in range(2):
        again = _renew(client, csrf, venue.id)
        assert again.status_code == 409
        assert "You already renewed on" in again.text and "You can renew again from" in again.text
    db.expire_all()
    assert db.get(Venue, venue.id).renewal_date == service.add_year(expiry)  # still one cycle on


def test_too_early_is_refused_in_words_and_nothing_changes(client, db):
    venue = make_venue(db, status="verified")  # just verified: a year to go
    expiry = venue.renewal_date
    csrf = login(client, db, _manager(db, venue))
    opens = expiry - timedelta(days=60)
    words = (
        f"You can renew from {service.long_date(opens)}, 60 days before your charter expires on "
        f"{service.long_date(expiry)}."
    )
    page = client.get(f"/venue-portal/{venue.id}")
    assert words in page.text  # said before trying
    r = _renew(client, csrf, venue.id)
    assert r.status_code == 409 and words in r.text and 'id="error-summary"' in r.text
    db.expire_all()
    assert db.get(Venue, venue.id).renewal_date == expiry
    assert db.scalar(sa.select(sa.func.count(VenueRenewal.id)).where(VenueRenewal.venue_id == venue.id)) == 0


def test_a_lapsed_venues_renewal_goes_back_to_the_officer_queue(client, db):
    """The demo's defect: after an officer lapsed the venue, its manager renewed it straight back to
    verified. Now the request puts it in the officer queue; only the officer's verify lists it."""
    venue = make_venue(db, status="lapsed")
    csrf = login(client, db, _manager(db, venue))
    r = _renew(client, csrf, venue.id, new_starters="3")
    assert r.status_code == 303
    db.expire_all()
    venue = db.get(Venue, venue.id)
    assert venue.status == "submitted"  # not verified
    now = utcnow()
    assert venue.id not in [
        f["id"]
        for f in service.directory(
            db,
            ward=None,
            venue_type=None,
            scheme=None,
            include_examples=False,
            settings=client.app.state.settings,
            now=now,
        )
    ]
    [queued] = [f for f in service.officer_queue(db, status="submitted", now=now) if f.venue.id == venue.id]
    assert queued.renewal_requested
    [event] = db.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "venue.request_renewal", AuditEvent.target_id == str(venue.id))
    ).all()
    assert event.detail["from"] == "lapsed" and event.detail["to"] == "submitted" and event.detail["new_starters"] == 3
    page = client.get(f"/venue-portal/{venue.id}?saved=renew")
    assert "your request to renew is with a community safety officer" in page.text
    # The officer verifies it: verified again, for a cycle from today.
    officer = make_user(db, role="officer")
    service.officer_change_status(db, actor=officer, venue_id=venue.id, action="verify", reason=None, now=now)
    assert venue.status == "verified" and venue.renewal_date == service.add_year(service.london_today(now))


def test_a_withdrawn_venue_asks_to_renew_too(client, db):
    venue = make_venue(db, status="withdrawn")
    csrf = login(client, db, _manager(db, venue))
    page = client.get(f"/venue-portal/{venue.id}")
    assert 'id="request-renewal"' in page.text and 'id="renew"' not in page.text
    assert _renew(client, csrf, venue.id).status_code == 303
    db.expire_all()
    assert db.get(Venue, venue.id).status == "submitted"


@pytest.mark.parametrize(
    ("value", "message"), [("", "Say how many people started"), ("x", "whole number"), ("-1", "whole number")]
)
def test_the_renewal_form_asks_for_new_starters(client, db, value, message):
    venue = make_venue(db, status="verified")
    venue.renewal_date = service.london_today(utcnow()) + timedelta(days=10)
    expiry = venue.renewal_date
    db.flush()
    csrf = login(client, db, _manager(db, venue))
    r = _renew(client, csrf, venue.id, new_starters=value)
    assert r.status_code == 422 and message in r.text and 'href="#new_starters"' in r.text
    db.expire_all()
    assert db.get(Venue, venue.id).renewal_date == expiry


def test_new_starters_are_stored_with_the_renewal(client, db):
    venue = make_venue(db, status="verified")
    expiry = service.london_today(utcnow()) + timedelta(days=59)
    venue.renewal_date = expiry
    db.flush()
    csrf = login(client, db, _manager(db, venue))
    assert _renew(client, csrf, venue.id, new_starters="4").status_code == 303
    [row] = db.scalars(sa.select(VenueRenewal).where(VenueRenewal.venue_id == venue.id)).all()
    assert (row.kind, row.from_status, row.new_starters) == ("renew", "verified", 4)
    assert (row.renewal_date_before, row.renewal_date_after) == (expiry, service.add_year(expiry))


def test_the_window_is_configurable(db, settings):
    venue = make_venue(db, status="verified")
    manager = _manager(db, venue)
    now = utcnow()
    today = service.london_today(now)
    venue.renewal_date = today + timedelta(days=80)
    narrow, wide = VenueSettings(renewal_window_days=60), VenueSettings(renewal_window_days=90)
    with pytest.raises(RenewalNotOpen) as info:
        service.renew_by_manager(
            db, user=manager, venue_id=venue.id, raw={"new_starters": "0"}, now=now, venue_settings=narrow
        )
    assert "60 days before" in info.value.detail and info.value.status_code == 409
    state = service.renewal(db, venue, now=now, venue_settings=wide)
    assert state.open and state.opens_on == venue.renewal_date - timedelta(days=90)
    service.renew_by_manager(
        db, user=manager, venue_id=venue.id, raw={"new_starters": "0"}, now=now, venue_settings=wide
    )
    assert venue.renewal_date == service.add_year(today + timedelta(days=80))
    with pytest.raises(AlreadyRenewed):
        service.renew_by_manager(
            db, user=manager, venue_id=venue.id, raw={"new_starters": "0"}, now=now, venue_settings=wide
        )
    # A window as long as a cycle would let a renewal be repeated: refused as a setting.
    with pytest.raises(ValueError, match="renewal_window_days"):
        VenueSettings(renewal_window_days=365)


def test_the_expiry_job_is_the_tables_job_row_and_audited(db, settings):
    from nte.venues import jobs

    venue = make_venue(db, status="verified")
    now = utcnow()
    venue.renewal_date = service.london_today(now) - timedelta(days=1)
    db.flush()
    assert jobs.lapse_expired(db, now=now) >= 1
    assert venue.status == "lapsed"
    [event] = db.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "venue.lapse", AuditEvent.target_id == str(venue.id))
    ).all()
    assert event.actor_user_id is None and event.detail["from"] == "verified"


def test_three_renewals_through_the_officer_api_are_one(client, db):
    """The demo's "three clicks to 2030": renewing had no window for anyone but a manager of a
    verified venue, so each renew added a year. Now every renew of a verified venue has the window
    and the once-a-cycle rule, whoever presses it."""
    from tests.factories import bearer

    venue = make_venue(db, status="verified")
    expiry = service.london_today(utcnow()) + timedelta(days=30)
    venue.renewal_date = expiry
    db.flush()
    headers = bearer(db, make_user(db, role="officer"))
    codes = [
        client.post(f"/api/venues/{venue.id}/status", json={"action": "renew"}, headers=headers).status_code
        for _ in range(3)
    ]
    assert codes == [200, 409, 409]
    db.expire_all()
    assert db.get(Venue, venue.id).renewal_date == service.add_year(expiry)
