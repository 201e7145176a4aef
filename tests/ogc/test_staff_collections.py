"""/ogc collections for coordinators (patrol areas, patrol shifts) and officers (hotspot cells, the
venue register), on both databases: who may read each, CQL2 filters, paging to the end, EPSG:27700
output, the hotspot filter's mistakes, and hotspot cells that agree with the maps API."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from nte.db import utcnow
from nte.patrols.models import Signup, Volunteer
from nte.venues.models import VenueTraining
from tests.factories import bearer, make_map_report, make_patrol_area, make_shift, make_user, make_venue, make_volunteer
from tests.ogc.paging import all_pages

SOHO = (-0.1337, 51.5136)
BNG = "http://www.opengis.net/def/crs/EPSG/0/27700"
MONTH = {"from": "2026-10-01", "to": "2026-10-31"}
WESTMINSTER = "E09000033"

#: Who may read each collection, and which roles may not.
AUDIENCES = {
    "patrol-areas": ("coordinator", "admin"),
    "patrol-shifts": ("coordinator", "admin"),
    "hotspot-cells": ("officer", "admin"),
    "venue-register": ("officer", "admin"),
}
ROLES = ("volunteer", "venue_manager", "coordinator", "officer", "admin")


def _as(db, role):
    return bearer(db, make_user(db, role=role))


def _items(collection):
    return f"/ogc/collections/{collection}/items"


# --- who may read what ----------------------------------------------------------------------------


@pytest.mark.parametrize("collection", sorted(AUDIENCES))
def test_each_collection_admits_only_its_roles(client, db, collection):
    for path in (f"/ogc/collections/{collection}", _items(collection), f"/ogc/collections/{collection}/queryables"):
        assert client.get(path).status_code == 401, path
    allowed = AUDIENCES[collection]
    for role in ROLES:
        headers = _as(db, role)
        status = client.get(f"/ogc/collections/{collection}", headers=headers).status_code
        queryables = client.get(f"/ogc/collections/{collection}/queryables", headers=headers).status_code
        if role in allowed:
            assert (status, queryables) == (200, 200), role
        else:
            assert (status, queryables) == (403, 403), role
            assert client.get(_items(collection), headers=headers).status_code == 403, role
            assert client.get(f"{_items(collection)}/1", headers=headers).status_code == 403, role
        listed = {c["id"] for c in client.get("/ogc/collections", headers=headers).json()["collections"]}
        assert (collection in listed) == (role in allowed), role


# --- patrol areas and shifts ------------------------------------------------------------------------


def _volunteers(db, n, *, leads=0):
    return [make_volunteer(db, team_lead=i < leads) for i in range(n)]


def _sign(db, shift, volunteers, status="confirmed"):
    for v in volunteers:
        db.add(Signup(shift_id=shift.id, volunteer_id=v.id, status=status, confirmed_at=utcnow()))
    shift.places_taken += len(volunteers) if status in ("confirmed", "offered") else 0
    db.flush()


def _seed_patrols(db):
    """Two areas; five shifts ahead in the first (one stood down), one ahead in the second, one past."""
    soho, other = make_patrol_area(db), make_patrol_area(db)
    start = (utcnow() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    shifts = [make_shift(db, area=soho, start_at=start + timedelta(days=i), min_volunteers=2) for i in range(5)]
    shifts[4].status, shifts[4].stood_down_at, shifts[4].stand_down_reason = "cancelled", utcnow(), "too few"
    shifts.append(make_shift(db, area=other, start_at=start, min_volunteers=2))
    shifts.append(make_shift(db, area=other, start_at=start - timedelta(days=10), min_volunteers=2))
    people = _volunteers(db, 3, leads=1)
    _sign(db, shifts[0], people[:2])  # enough
    _sign(db, shifts[1], people[:1])  # one short
    _sign(db, shifts[1], people[1:3], status="waitlisted")
    db.flush()
    return soho, other, shifts, people


def test_patrol_shifts_filter_page_and_bng(client, db):
    soho, other, shifts, people = _seed_patrols(db)
    h = _as(db, "coordinator")
    features, matched, pages = all_pages(client, _items("patrol-shifts"), headers=h, limit=3)
    assert matched == len(features) == len(shifts) == 7 and pages == 3
    ids = [f["id"] for f in features]
    assert ids == sorted(s.id for s in shifts)
    by_id = {f["id"]: f["properties"] for f in features}
    first = by_id[shifts[0].id]
    assert (first["signed_up"], first["needed"], first["team_leads"], first["below_minimum"]) == (2, 2, 1, False)
    assert first["area_name"] == soho.name and first["status"] == "scheduled"
    assert first["starts_local"] and first["starts_at"].endswith("Z")
    assert by_id[shifts[1].id]["waitlisted"] == 2 and by_id[shifts[1].id]["below_minimum"] is True
    assert by_id[shifts[4].id]["status"] == "stood_down" and by_id[shifts[4].id]["status_label"] == "Stood down"
    assert features[0]["geometry"]["type"] == "Polygon"
    # The extent through the join: the areas' box and the shifts' first and last start
    extent = client.get("/ogc/collections/patrol-shifts", headers=h).json()["extent"]
    minx, miny, maxx, maxy = extent["spatial"]["bbox"][0]
    assert -0.14 < minx < maxx < -0.12 and 51.51 < miny < maxy < 51.52
    first, last = extent["temporal"]["interval"][0]
    assert first.startswith(str(shifts[6].start_at.date())) and last.startswith(str(shifts[4].start_at.date()))
    # CQL2: scheduled and short of volunteers (shifts 1, 2, 3, and both of the other area's)
    short = client.get(
        _items("patrol-shifts"), params={"filter": "status = 'scheduled' AND below_minimum = true"}, headers=h
    ).json()
    assert short["numberMatched"] == 5
    assert shifts[0].id not in {f["id"] for f in short["features"]}
    assert client.get(_items("patrol-shifts"), params={"status": "stood_down"}, headers=h).json()["numberMatched"] == 1
    # datetime selects by start: the past shift only
    past = client.get(
        _items("patrol-shifts"), params={"datetime": f"../{(utcnow() - timedelta(days=1)).date()}"}, headers=h
    ).json()
    assert [f["id"] for f in past["features"]] == [shifts[6].id]
    # EPSG:27700 out, and no volunteer named anywhere
    bng = client.get(_items("patrol-shifts"), params={"crs": BNG, "area_id": str(soho.id)}, headers=h)
    assert bng.status_code == 200 and bng.headers["content-crs"] == f"<{BNG}>"
    assert bng.json()["numberMatched"] == 5
    x, y = bng.json()["features"][0]["geometry"]["coordinates"][0][0]
    assert 500_000 < x < 550_000 and 170_000 < y < 190_000
    names = [db.get(Volunteer, v.id) for v in people]
    from nte.auth.models import User

    shown = [db.get(User, v.user_id) for v in names]
    assert shown and all(u.display_name not in bng.text and u.email not in bng.text for u in shown)


def test_patrol_shifts_etag_follows_a_signup(client, db):
    _soho, _other, shifts, people = _seed_patrols(db)
    h = _as(db, "coordinator")
    first = client.get(_items("patrol-shifts"), headers=h)
    assert first.json()["numberMatched"] == 7
    tag = first.headers["etag"]
    assert client.get(_items("patrol-shifts"), headers={**h, "If-None-Match": tag}).status_code == 304
    signup = db.query(Signup).filter_by(shift_id=shifts[1].id, status="waitlisted").first()
    signup.status = "confirmed"  # off the waitlist, with no timestamp touched
    db.flush()
    again = client.get(_items("patrol-shifts"), headers={**h, "If-None-Match": tag})
    assert again.status_code == 200 and again.headers["etag"] != tag
    props = next(f["properties"] for f in again.json()["features"] if f["id"] == shifts[1].id)
    assert (props["signed_up"], props["waitlisted"]) == (2, 1)


def test_patrol_areas_filter_page_and_bng(client, db):
    soho, other, shifts, _people = _seed_patrols(db)
    h = _as(db, "admin")
    features, matched, pages = all_pages(client, _items("patrol-areas"), headers=h, limit=1)
    assert matched == len(features) == 2 and pages == 2
    by_id = {f["id"]: f["properties"] for f in features}
    assert by_id[soho.id]["shifts_ahead"] == 4  # the stood-down night does not count
    assert by_id[other.id]["shifts_ahead"] == 1  # nor does the past one
    assert by_id[soho.id]["borough_codes"] == WESTMINSTER and by_id[soho.id]["active"] is False
    busy = client.get(_items("patrol-areas"), params={"filter": "shifts_ahead >= 2"}, headers=h).json()
    assert [f["id"] for f in busy["features"]] == [soho.id] and busy["numberMatched"] == 1
    bng = client.get(f"{_items('patrol-areas')}/{soho.id}", params={"crs": BNG}, headers=h)
    assert bng.status_code == 200 and bng.headers["content-crs"] == f"<{BNG}>"
    x, y = bng.json()["geometry"]["coordinates"][0][0]
    assert 500_000 < x < 550_000 and 170_000 < y < 190_000
    # A new shift changes the answer, and the version with it.
    tag = client.get(_items("patrol-areas"), headers=h).headers["etag"]
    make_shift(db, area=other, start_at=utcnow() + timedelta(days=5))
    after = client.get(_items("patrol-areas"), headers={**h, "If-None-Match": tag})
    assert after.status_code == 200 and after.headers["etag"] != tag
    assert {f["id"]: f["properties"]["shifts_ahead"] for f in after.json()["features"]}[other.id] == 2


# --- hotspot cells ------------------------------------------------------------------------------------


def _seed_reports(db, year=2026):
    rng = random.Random(3)
    for i in range(40):
        make_map_report(
            db,
            lon=SOHO[0] + rng.uniform(-0.002, 0.002),
            lat=SOHO[1] + rng.uniform(-0.001, 0.001),
            occurred_at=datetime(year, 10, 1 + i % 28, 22, tzinfo=UTC),
        )
    for i in range(40):
        make_map_report(
            db,
            lon=rng.uniform(-0.18, -0.13),
            lat=rng.uniform(51.495, 51.515),
            occurred_at=datetime(year, 10, 1 + i % 28, 12, tzinfo=UTC),
        )


def test_hotspot_cells_agree_with_the_maps_api(client, db):
    _seed_reports(db)
    h = _as(db, "officer")
    params = MONTH | {"borough": WESTMINSTER, "cell_size": "250"}
    maps = client.get("/api/maps/hotspots.geojson", params=params, headers=h)
    assert maps.status_code == 200, maps.text
    expected = {f["id"]: f["properties"] for f in maps.json()["features"]}
    features, matched, pages = all_pages(client, _items("hotspot-cells"), headers=h, limit=100, **params)
    assert matched == len(features) == len(expected) > 300 and pages == -(-matched // 100)
    got = {f["id"]: f["properties"] for f in features}
    assert got.keys() == expected.keys()
    assert all(got[k]["bin"] == expected[k]["bin"] and got[k]["count"] == expected[k]["count"] for k in expected)
    hot = sum(1 for p in expected.values() if p["bin"] >= 2)
    assert hot > 0
    r = client.get(_items("hotspot-cells"), params=params | {"filter": "bin >= 2", "limit": "1000"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["numberMatched"] == hot and {f["id"] for f in r.json()["features"]} == {
        k for k, p in expected.items() if p["bin"] >= 2
    }
    one = r.json()["features"][0]["properties"]
    assert one["label"].startswith("Hot spot") and one["confidence"] in ("95%", "99%")
    # EPSG:27700: the grid's own squares, 250 m a side
    bng = client.get(_items("hotspot-cells"), params=params | {"crs": BNG, "filter": "bin >= 2"}, headers=h)
    assert bng.headers["content-crs"] == f"<{BNG}>"
    ring = bng.json()["features"][0]["geometry"]["coordinates"][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    assert 500_000 < min(xs) < 550_000 and abs((max(xs) - min(xs)) - 250) < 0.5 and abs((max(ys) - min(ys)) - 250) < 0.5


def test_hotspot_cells_default_period_and_no_data(client, db):
    h = _as(db, "officer")
    # Nothing to analyse: no cells (the maps API says why, with a 422), so a GIS listing the layers still opens.
    r = client.get(_items("hotspot-cells"), params={"from": "2001-01-01", "to": "2001-01-31"}, headers=h)
    assert r.status_code == 200 and r.json()["numberMatched"] == 0 and r.json()["features"] == []
    maps = client.get("/api/maps/hotspots.geojson", params={"from": "2001-01-01", "to": "2001-01-31"}, headers=h)
    assert maps.status_code == 422 and maps.json()["error"] == "hotspots_unavailable"
    _seed_reports(db, year=2024)  # long before the last twelve months
    # No dates: the latest period with data, as the officer map opens on (the seeded October).
    default = client.get(
        _items("hotspot-cells"), params={"borough": WESTMINSTER, "cell_size": "250", "limit": "1000"}, headers=h
    )
    dated = client.get(
        _items("hotspot-cells"),
        params={"from": "2024-10-01", "to": "2024-10-31", "borough": WESTMINSTER, "cell_size": "250", "limit": "1000"},
        headers=h,
    )
    assert default.status_code == 200, default.text
    assert default.json()["numberMatched"] == dated.json()["numberMatched"] > 300
    assert sum(f["properties"]["count"] for f in default.json()["features"]) >= 40  # the Soho cluster at least
    assert [f["properties"] for f in default.json()["features"]] == [f["properties"] for f in dated.json()["features"]]


def test_hotspot_cells_etag_follows_the_reports(client, db):
    _seed_reports(db)
    h = _as(db, "officer")
    params = MONTH | {"borough": WESTMINSTER, "cell_size": "250", "limit": "1000"}
    first = client.get(_items("hotspot-cells"), params=params, headers=h)
    assert first.status_code == 200 and first.json()["numberMatched"] > 300
    before = sum(f["properties"]["count"] for f in first.json()["features"])
    tag = first.headers["etag"]
    assert client.get(_items("hotspot-cells"), params=params, headers={**h, "If-None-Match": tag}).status_code == 304
    # Another filter is another answer, another tag.
    other = client.get(_items("hotspot-cells"), params=params | {"hours": "18-06"}, headers=h)
    assert other.status_code == 200 and other.headers["etag"] != tag
    make_map_report(db, lon=SOHO[0], lat=SOHO[1], occurred_at=datetime(2026, 10, 3, 23, tzinfo=UTC))
    again = client.get(_items("hotspot-cells"), params=params, headers={**h, "If-None-Match": tag})
    assert again.status_code == 200 and again.headers["etag"] != tag
    assert sum(f["properties"]["count"] for f in again.json()["features"]) == before + 1  # not the cached grid


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-13-01"}, "to"),
        ({"from": "2026-10-31", "to": "2026-10-01"}, "to"),
        ({"hours": "18-18"}, "hours"),
        ({"status": "spam"}, "status"),
        ({"day": "funday"}, "day"),
        ({"source": "x"}, "source"),
        ({"category": "nonsense"}, "category"),
        ({"borough": "E09000999"}, "borough"),
        ({"vintage": "1999-01"}, "vintage"),
        ({"cell_size": "10"}, "cell_size"),
        ({"cell_size": "nan"}, "cell_size"),
        ({"filter": "colour = 'red'"}, "filter"),
        ({"cellsize": "250"}, "cellsize"),
    ],
)
def test_hotspot_filter_mistakes_are_400_naming_the_parameter(client, db, params, field):
    r = client.get(_items("hotspot-cells"), params=params, headers=_as(db, "officer"))
    assert r.status_code == 400, (params, r.status_code, r.text)
    assert r.json()["field"] == field


# --- the venue register --------------------------------------------------------------------------------


def test_venue_register_filter_page_and_bng(client, db):
    made = [make_venue(db, status=s) for s in ("submitted", "verified", "verified", "lapsed", "rejected")]
    made[1].champion_name = ""
    db.add(
        VenueTraining(
            venue_id=made[2].id, training_type="wave", provider="Test", training_date=date(2026, 9, 1), staff_trained=7
        )
    )
    db.add(
        VenueTraining(
            venue_id=made[2].id,
            training_type="bystander",
            provider="Test",
            training_date=date(2026, 10, 1),
            staff_trained=3,
        )
    )
    db.flush()
    h = _as(db, "officer")
    features, matched, pages = all_pages(client, _items("venue-register"), headers=h, limit=2)
    ours = {v.id for v in made}
    assert matched == len(features) >= 5 and pages == -(-matched // 2)
    assert ours <= {f["id"] for f in features}
    by_id = {f["id"]: f["properties"] for f in features}
    trained = by_id[made[2].id]
    assert (trained["trainings"], trained["staff_trained"], trained["last_training_date"]) == (2, 10, "2026-10-01")
    assert by_id[made[1].id]["champion_named"] is False and by_id[made[0].id]["champion_named"] is True
    assert by_id[made[3].id]["status"] == "lapsed" and by_id[made[0].id]["pledges_met"] == 7
    assert by_id[made[0].id]["ward_name"] and by_id[made[0].id]["borough_code"] == WESTMINSTER
    verified = client.get(
        _items("venue-register"), params={"filter": "status = 'verified' AND champion_named = true"}, headers=h
    ).json()
    ids = {f["id"] for f in verified["features"]}
    assert made[2].id in ids and made[1].id not in ids and made[0].id not in ids
    assert verified["numberMatched"] == len(ids) >= 1
    busy = client.get(_items("venue-register"), params={"filter": "staff_trained >= 10"}, headers=h).json()
    assert [f["id"] for f in busy["features"]] == [made[2].id]
    bng = client.get(_items("venue-register"), params={"crs": BNG, "status": "lapsed"}, headers=h)
    assert bng.status_code == 200 and bng.headers["content-crs"] == f"<{BNG}>"
    assert bng.json()["numberMatched"] >= 1
    x, y = bng.json()["features"][0]["geometry"]["coordinates"]
    assert 500_000 < x < 550_000 and 170_000 < y < 190_000
    # No contact details of the register on the layer
    text = client.get(_items("venue-register"), params={"limit": "1000"}, headers=h).text
    for v in made:
        assert v.contact_email not in text and v.contact_phone not in text
    assert "Sam Champion" not in text
    # The demo's example venues only when asked for, as on the register
    example = make_venue(db, status="verified")
    example.is_example = True
    db.flush()
    plain = client.get(_items("venue-register"), params={"limit": "1000"}, headers=h).json()
    assert example.id not in {f["id"] for f in plain["features"]} and plain["numberMatched"] == matched
    asked = client.get(_items("venue-register"), params={"limit": "1000", "examples": "true"}, headers=h).json()
    assert example.id in {f["id"] for f in asked["features"]} and asked["numberMatched"] == matched + 1


@pytest.mark.parametrize(
    ("collection", "params", "field"),
    [
        ("patrol-shifts", {"starts_at": "soon"}, "starts_at"),
        ("patrol-shifts", {"below_minimum": "maybe"}, "below_minimum"),
        ("patrol-shifts", {"area_id": "soho"}, "area_id"),
        ("patrol-shifts", {"status": "running"}, "status"),
        ("patrol-shifts", {"filter": "volunteer_name = 'x'"}, "filter"),
        ("patrol-areas", {"active": "yes"}, "active"),
        ("patrol-areas", {"filter": "shifts_ahead >"}, "filter"),
        ("venue-register", {"renewal_date": "next year"}, "renewal_date"),
        ("venue-register", {"filter": "contact_email = 'x'"}, "filter"),
        ("venue-register", {"examples": "maybe"}, "examples"),
    ],
)
def test_staff_collection_mistakes_are_400_naming_the_parameter(client, db, collection, params, field):
    r = client.get(_items(collection), params=params, headers=_as(db, "admin"))
    assert r.status_code == 400, (params, r.status_code, r.text)
    assert r.json()["field"] == field


def test_time_queryables_as_parameters(client, db):
    _soho, _other, shifts, _people = _seed_patrols(db)
    venue = make_venue(db, status="verified")
    h = _as(db, "admin")
    when = shifts[0].start_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    exact = client.get(_items("patrol-shifts"), params={"starts_at": when}, headers=h).json()
    assert [f["id"] for f in exact["features"]] == [shifts[0].id, shifts[5].id]  # both start then
    due = venue.renewal_date.isoformat()
    found = client.get(_items("venue-register"), params={"renewal_date": due}, headers=h).json()
    assert venue.id in {f["id"] for f in found["features"]} and found["numberMatched"] >= 1
