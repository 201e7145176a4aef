"""Venue sign-up with postcode points: the postcode's point without a pin (no script), a field error
for an unknown postcode with nothing lost, "Find" without a script, and the officer's flag for a pin
more than 300 m from its postcode's point."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from shapely.geometry import Point

from nte.db import utcnow
from nte.places import service as places
from nte.spatial import distance_m, from_db, to_bng, to_wgs84
from nte.venues import service
from nte.venues.models import Venue
from tests.factories import PASSWORD, login, make_user, venue_form

SOHO_POSTCODE = ("WC2H 9NG", -0.131300, 51.513600)


@pytest.fixture()
def postcode(db):
    places.fill_from_points(db, points=[SOHO_POSTCODE], now=utcnow())
    db.flush()


def _west_of_postcode(metres: float) -> tuple[float, float]:
    """A point ``metres`` due west (British National Grid; north is Camden, outside the area) of the postcode's point."""
    x, y = to_bng(Point(SOHO_POSTCODE[1], SOHO_POSTCODE[2])).coords[0]
    moved = to_wgs84(Point(x - metres, y))
    return round(moved.x, 7), round(moved.y, 7)


def _sign(db, settings, **form):
    return service.sign_charter(
        db,
        raw=venue_form(postcode="wc2h 9ng", **form),
        settings=settings,
        now=utcnow(),
        postcode_point=lambda pc: places.postcode_point(db, postcode=pc),
    )


@pytest.mark.parametrize(("metres", "flagged"), [(299, False), (301, True)])
def test_a_pin_more_than_300_m_from_its_postcode_is_flagged(db, settings, postcode, metres, flagged):
    lon, lat = _west_of_postcode(metres)
    assert distance_m(lon, lat, SOHO_POSTCODE[1], SOHO_POSTCODE[2]) == pytest.approx(metres, abs=0.5)
    venue = _sign(db, settings, lon=str(lon), lat=str(lat)).venue
    assert venue is not None
    assert venue.pin_postcode_distance_m == pytest.approx(metres, abs=0.5)
    assert venue.location_approximate is False
    view = service.view(db, venue=venue, now=utcnow(), settings=settings, private=True)
    assert view.pin_far_from_postcode is flagged


def test_officer_page_says_how_far_the_pin_is(client, db, settings, postcode):
    lon, lat = _west_of_postcode(420)
    venue = _sign(db, settings, lon=str(lon), lat=str(lat)).venue
    login(client, db, make_user(db, role="officer"))
    page = client.get(f"/officer/venues/{venue.id}")
    assert page.status_code == 200
    assert "Pin is 420 m from WC2H 9NG&#39;s point: check the location." in page.text
    near = _sign(db, settings, lon=str(SOHO_POSTCODE[1]), lat=str(SOHO_POSTCODE[2])).venue
    assert 'id="pin-postcode-flag"' not in client.get(f"/officer/venues/{near.id}").text


def test_a_postcode_with_no_point_held_is_not_flagged(db, settings, postcode):
    venue = service.sign_charter(
        db,
        raw=venue_form(postcode="SW1A 2AA"),
        settings=settings,
        now=utcnow(),
        postcode_point=lambda pc: places.postcode_point(db, postcode=pc),
    ).venue
    assert venue.pin_postcode_distance_m is None


def test_sign_up_without_a_pin_uses_the_postcodes_point_marked_approximate(client, db, postcode, anon_csrf):
    form = venue_form(postcode="WC2H 9NG", lon="", lat="", name="No Script Arms", csrf_token=anon_csrf)
    r = client.post("/venues/sign-up", data=form, headers={"accept": "text/html"})
    assert r.status_code == 201, r.text
    venue = db.scalar(sa.select(Venue).where(Venue.name == "No Script Arms"))
    point = from_db(venue.geom)
    assert (point.x, point.y) == pytest.approx(SOHO_POSTCODE[1:])
    assert venue.location_approximate is True and venue.pin_postcode_distance_m == 0
    assert venue.ward_code  # the postcode's point found its ward


def test_an_unknown_postcode_without_a_pin_is_a_field_error_and_nothing_is_lost(client, db, postcode, anon_csrf):
    form = venue_form(postcode="SW1A 9ZZ", lon="", lat="", name="Kept Name Bar", csrf_token=anon_csrf)
    r = client.post("/venues/sign-up", data=form, headers={"accept": "text/html"})
    assert r.status_code == 422
    assert 'href="#postcode"' in r.text and "We could not find this postcode" in r.text
    assert 'value="Kept Name Bar"' in r.text and 'value="SW1A 9ZZ"' in r.text and "How we meet pledge 3" in r.text
    assert PASSWORD not in r.text
    assert db.scalar(sa.select(sa.func.count()).select_from(Venue).where(Venue.name == "Kept Name Bar")) == 0


def test_find_without_a_script_puts_the_pin_at_the_place_and_keeps_the_form(client, db, postcode, anon_csrf):
    form = venue_form(lon="", lat="", name="Finder Arms", place="wc2h 9ng", place_find="1", csrf_token=anon_csrf)
    r = client.post("/venues/sign-up", data=form, headers={"accept": "text/html"})
    assert r.status_code == 200, r.text
    assert 'value="Finder Arms"' in r.text and 'value="-0.131300"' in r.text and 'value="51.513600"' in r.text
    assert 'name="location_approximate" value="1"' in r.text
    assert "Showing <bdi>WC2H 9NG</bdi> on the map." in r.text
    assert db.scalar(sa.select(sa.func.count()).select_from(Venue).where(Venue.name == "Finder Arms")) == 0
    missing = client.post(
        "/venues/sign-up",
        data={**form, "place": "WC2H 9N"},
        headers={"accept": "text/html"},
    )
    assert missing.status_code == 422 and "No place found: check the postcode" in missing.text
    assert 'value="Finder Arms"' in missing.text and 'value="WC2H 9N"' in missing.text


def test_the_sign_up_page_resolves_place_in_the_address(client, postcode):
    r = client.get("/venues/sign-up", params={"place": "WC2H 9NG"})
    assert r.status_code == 200
    assert 'data-lon="-0.131300"' in r.text and 'data-lat="51.513600"' in r.text
    assert client.get("/venues/sign-up", params={"place": "x"}).status_code == 422
