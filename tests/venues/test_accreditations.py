"""Accreditations: their levels (kept, shown, limited), the public directory's scheme filter, and
schemes that expired dropping off the public listing, the filter and the public venue page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from nte.auth.models import User
from nte.db import utcnow
from nte.venues import service
from nte.venues.exceptions import VenueInvalid
from tests.factories import make_venue


def _accredit(db, venue, scheme, *, start, end, level=None):
    return service.add_accreditation(
        db,
        user=db.get(User, venue.manager_user_id),
        venue_id=venue.id,
        raw={
            "scheme": scheme,
            "level": level or "",
            "valid_from_date": start.isoformat(),
            "valid_to_date": end.isoformat(),
        },
        now=utcnow(),
    )


def test_levels_are_kept_blank_is_none_and_too_long_names_the_field(db, settings):
    venue = make_venue(db, status="verified")
    today = service.london_today(utcnow())
    row = _accredit(db, venue, "safety_thirst", start=today, end=today + timedelta(days=300), level="Highly commended")
    assert row.level == "Highly commended"
    assert _accredit(db, venue, "best_bar_none", start=today, end=today + timedelta(days=30), level="  ").level is None
    with pytest.raises(VenueInvalid) as info:
        _accredit(db, venue, "night_haven", start=today, end=today + timedelta(days=30), level="x" * 61)
    assert info.value.status_code == 422 and info.value.field == "level"


def test_the_public_page_shows_current_schemes_with_their_level_and_not_expired_ones(client, db):
    venue = make_venue(db, status="verified", name="Level Arms")
    today = service.london_today(utcnow())
    _accredit(
        db,
        venue,
        "safety_thirst",
        start=today - timedelta(days=10),
        end=today + timedelta(days=300),
        level="Highly commended",
    )
    _accredit(db, venue, "night_haven", start=today - timedelta(days=400), end=today - timedelta(days=1))
    page = client.get(f"/venues/{venue.id}").text
    assert "Safety Thirst (City of London)" in page and "Highly commended" in page
    assert "Night Haven (Westminster)" not in page  # expired yesterday: not the venue's any more


def test_the_scheme_filter_lists_current_holders_only(client, db):
    today = service.london_today(utcnow())
    current = make_venue(db, status="verified", name="Current Haven")
    expired = make_venue(db, status="verified", name="Expired Haven")
    future = make_venue(db, status="verified", name="Future Haven")
    other = make_venue(db, status="verified", name="Other Scheme Bar")
    _accredit(db, current, "night_haven", start=today - timedelta(days=5), end=today)  # its last day
    _accredit(db, expired, "night_haven", start=today - timedelta(days=300), end=today - timedelta(days=1))
    _accredit(db, future, "night_haven", start=today + timedelta(days=1), end=today + timedelta(days=300))
    _accredit(db, other, "hackney_nights", start=today, end=today + timedelta(days=30))
    features = client.get("/api/venues.geojson?scheme=night_haven").json()["features"]
    ids = {f["id"] for f in features}
    assert current.id in ids
    assert not ids & {expired.id, future.id, other.id}
    everyone = {f["id"]: f["properties"]["schemes"] for f in client.get("/api/venues.geojson").json()["features"]}
    assert everyone[current.id] == ["night_haven"] and everyone[expired.id] == [] and everyone[future.id] == []
    page = client.get("/venues?scheme=night_haven").text
    assert "Current Haven" in page and "Expired Haven" not in page and "Other Scheme Bar" not in page
    bad = client.get("/venues?scheme=unknown", headers={"accept": "text/html"})
    assert bad.status_code == 422
    assert client.get("/api/venues.geojson?scheme=unknown").json()["field"] == "scheme"
