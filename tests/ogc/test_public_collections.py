"""/ogc public collections on both databases: charter venues as the directory lists them, safe spaces
with their hours and open-now, and the public map's published ward counts (fixed periods only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from nte.auth.models import User
from nte.db import utcnow
from nte.london import LONDON, london_today
from nte.maps import public as public_maps
from nte.ogc.collections.base import Context
from nte.ogc.collections.safe_spaces import SafeSpacesCollection
from nte.safespaces import service as spaces_service
from nte.wards import service as ward_service
from tests.factories import make_map_report, make_safe_space, make_user, make_venue
from tests.ogc.paging import all_pages

SOHO = (-0.1337, 51.5136)
HACKNEY = (-0.0553, 51.5450)


# --- venues ---------------------------------------------------------------------------------------


def test_venues_are_the_directory_s_verified_venues_with_its_properties(client, db):
    shown = [make_venue(db, status="verified", ask_for_angela="1"), make_venue(db, status="verified")]
    hidden = [make_venue(db), make_venue(db, status="rejected"), make_venue(db, status="lapsed")]
    features, matched, _pages = all_pages(client, "/ogc/collections/venues/items", limit=1)
    ids = [f["id"] for f in features]
    assert ids == sorted(v.id for v in shown) and matched == 2
    assert not {v.id for v in hidden} & set(ids)
    directory = {f["id"]: f for f in client.get("/api/venues.geojson").json()["features"]}
    assert set(directory) == set(ids)
    for f in features:
        listed = directory[f["id"]]["properties"]
        # The directory's properties, nothing more but the posters flag (and the page link made absolute).
        assert set(f["properties"]) == set(listed) | {"ask_for_angela"}
        assert {k: v for k, v in f["properties"].items() if k not in ("url", "ask_for_angela")} == {
            k: v for k, v in listed.items() if k != "url"
        }
        assert f["properties"]["url"].startswith("http") and f["properties"]["url"].endswith(listed["url"])
        assert f["geometry"]["coordinates"] == pytest.approx(directory[f["id"]]["geometry"]["coordinates"])
    body = client.get("/ogc/collections/venues/items").text
    for v in shown:
        manager = db.get(User, v.manager_user_id)
        assert manager is not None
        for secret in (v.contact_email, v.contact_phone, v.champion_name, v.licence_number, manager.email):
            assert not secret or secret not in body, secret
    angela = client.get("/ogc/collections/venues/items", params={"filter": "ask_for_angela = true"}).json()
    assert [f["id"] for f in angela["features"]] == [shown[0].id]
    assert client.get("/ogc/collections/venues/items", params={"ask_for_angela": "false"}).json()["numberMatched"] == 1
    one = client.get(f"/ogc/collections/venues/items/{shown[0].id}")
    assert one.status_code == 200 and one.json()["properties"]["ask_for_angela"] is True
    assert client.get(f"/ogc/collections/venues/items/{hidden[0].id}").status_code == 404


def test_venue_scheme_param_and_mistakes(client, db):
    make_venue(db, status="verified")
    assert client.get("/ogc/collections/venues/items").json()["numberMatched"] == 1
    none = client.get("/ogc/collections/venues/items", params={"scheme": "best_bar_none"})
    assert none.status_code == 200 and none.json()["numberMatched"] == 0
    for params, field in (
        ({"scheme": "nope"}, "scheme"),
        ({"venue_type": "castle"}, "venue_type"),
        ({"filter": "contact_email = 'x'"}, "filter"),
        ({"status": "submitted"}, "status"),
    ):
        r = client.get("/ogc/collections/venues/items", params=params)
        assert r.status_code == 400 and r.json()["field"] == field, (params, r.text)


def test_venue_etag_changes_when_the_listing_does(client, db):
    make_venue(db, status="verified")
    first = client.get("/ogc/collections/venues/items")
    tag = first.headers["etag"]
    assert client.get("/ogc/collections/venues/items", headers={"If-None-Match": tag}).status_code == 304
    make_venue(db, status="verified")
    again = client.get("/ogc/collections/venues/items", headers={"If-None-Match": tag})
    assert again.status_code == 200 and again.json()["numberMatched"] == 2


# --- safe spaces ------------------------------------------------------------------------------------


def _london(day, hour, minute=0):
    return datetime.combine(day, datetime.min.time(), tzinfo=LONDON).replace(hour=hour, minute=minute)


def test_safe_spaces_hours_and_open_now_as_the_service_says(client, db):
    today = london_today(utcnow())
    always = make_safe_space(db, name="All hours", opening_hours="24/7", status="verified")
    mornings = make_safe_space(db, name="Mornings", opening_hours="Mo-Su 09:00-10:00")
    gone = make_safe_space(db, name="Gone", opening_hours="24/7")
    officer = make_user(db, role="officer")
    spaces_service.withdraw_space(db, space_id=gone.id, actor=officer, reason="closed", now=utcnow())
    db.flush()
    at = _london(today, 9, 30)
    features, matched, _pages = all_pages(
        client, "/ogc/collections/safe-spaces/items", at=at.strftime("%Y-%m-%dT%H:%M")
    )
    by_id = {f["id"]: f["properties"] for f in features}
    assert sorted(by_id) == sorted([always.id, mornings.id]) and matched == 2
    assert by_id[always.id]["open_now"] is True and by_id[mornings.id]["open_now"] is True
    assert by_id[mornings.id]["opening_hours"] == "Mo-Su 09:00-10:00"
    assert ["mon", "09:00", "10:00"] in by_id[mornings.id]["hours"]["weekly"]
    assert by_id[always.id]["verified"] is True and by_id[mornings.id]["verified"] is False
    # The service's own layer at the same moment agrees on every property it has.
    layer = {f["id"]: f["properties"] for f in spaces_service.geojson(db, at=at)["features"]}
    for sid, props in by_id.items():
        assert props["open_now"] == layer[sid]["is_open"]
        assert {k: v for k, v in props.items() if k in layer[sid]} == {
            k: v for k, v in layer[sid].items() if k != "is_open"
        }
    later = client.get(
        "/ogc/collections/safe-spaces/items", params={"at": _london(today, 12).isoformat(), "open_now": "true"}
    ).json()
    assert [f["id"] for f in later["features"]] == [always.id]
    closed = client.get(
        "/ogc/collections/safe-spaces/items",
        params={"at": _london(today, 12).isoformat(), "filter": "open_now = false"},
    ).json()
    assert [f["id"] for f in closed["features"]] == [mornings.id]
    assert closed["features"][0]["properties"]["summary"].startswith("opens")


def test_safe_spaces_version_follows_the_clock_only_when_a_status_changes(db, settings):
    today = london_today(utcnow())
    make_safe_space(db, name="Mornings", opening_hours="Mo-Su 09:00-10:00")
    spaces = SafeSpacesCollection()

    def tag(at):
        return spaces.version(db, Context(settings=settings, now=at.astimezone(UTC))).tag

    assert len(spaces.features(db, Context(settings=settings, now=utcnow()))) == 1
    before = tag(_london(today, 8, 58))
    assert tag(_london(today, 8, 59)) == before  # nothing changes between these minutes
    assert tag(_london(today, 9, 0)) != before  # it opened
    assert tag(_london(today, 9, 59)) == tag(_london(today, 9, 1))


def test_safe_spaces_etag_changes_when_a_space_does(client, db, settings):
    space = make_safe_space(db, name="Evenings", opening_hours="Mo-Su 09:00-10:00")
    url, at = "/ogc/collections/safe-spaces/items", {"at": _london(london_today(utcnow()), 8, 58).isoformat()}
    first = client.get(url, params=at)
    assert first.status_code == 200 and first.json()["numberMatched"] == 1
    tag = first.headers["etag"]
    assert client.get(url, params=at, headers={"If-None-Match": tag}).status_code == 304
    officer = make_user(db, role="officer")
    spaces_service.update_space(
        db, space_id=space.id, data={"phone": "020 7946 0999"}, actor=officer, settings=settings, now=utcnow()
    )
    db.flush()
    again = client.get(url, params=at, headers={"If-None-Match": tag})
    assert again.status_code == 200 and again.json()["features"][0]["properties"]["phone"] == "020 7946 0999"


def test_safe_spaces_bad_at_is_a_400(client, db):
    make_safe_space(db)
    r = client.get("/ogc/collections/safe-spaces/items", params={"at": "tonight"})
    assert r.status_code == 400 and r.json()["field"] == "at"


# --- published ward counts ----------------------------------------------------------------------------


def _offered(db, settings):
    return public_maps.offered_periods(db, settings=settings, now=utcnow())


def _seed_counts(db, settings):
    """12 public reports in Soho and 2 in Hackney Downs in a month offered, 10 police records
    in Soho: Soho publishes 10 public and 10 police, Hackney Downs "fewer than 10"."""
    offered = _offered(db, settings)
    quarters = [p for p in offered if p.kind == "quarter"]
    # The newest month offered that an offered quarter holds too.
    month = next(p for p in offered if p.kind == "month" and any(q.start <= p.start <= q.end for q in quarters))
    when = datetime.combine(month.start + timedelta(days=4), datetime.min.time(), tzinfo=UTC).replace(hour=22)
    for _ in range(12):
        make_map_report(db, lon=SOHO[0], lat=SOHO[1], occurred_at=when)
    for _ in range(2):
        make_map_report(db, lon=HACKNEY[0], lat=HACKNEY[1], occurred_at=when)
    for _ in range(10):
        make_map_report(db, lon=SOHO[0], lat=SOHO[1], occurred_at=when, source="police", time_precision="month")
    soho = ward_service.locate(db, lon=SOHO[0], lat=SOHO[1], settings=settings)
    downs = ward_service.locate(db, lon=HACKNEY[0], lat=HACKNEY[1], settings=settings)
    return month, soho.code, downs.code


def test_ward_counts_are_the_maps_published_figures(client, db, settings):
    month, soho, downs = _seed_counts(db, settings)
    url = "/ogc/collections/public-ward-counts/items"
    features, matched, _pages = all_pages(client, url, period=month.id, source="public", limit=50)
    map_view = public_maps.public_view(db, period_id=month.id, settings=settings, now=utcnow(), source="public")
    assert matched == len(features) == len(map_view["features"]) > 100
    by_ward = {f["properties"]["ward_code"]: f for f in features}
    assert by_ward[soho]["id"] == f"{month.id}:public:{soho}"
    assert by_ward[soho]["properties"]["count"] == 10 and by_ward[soho]["properties"]["shown"] == "10"
    assert by_ward[downs]["properties"]["count"] is None
    assert by_ward[downs]["properties"]["shown"] == f"fewer than {settings.public_suppression_threshold}"
    for f in map_view["features"]:
        mine = by_ward[f["properties"]["code"]]["properties"]
        assert (mine["count"], mine["shown"], mine["class"], mine["fill"]) == (
            f["properties"]["value"],
            f["properties"]["shown"],
            f["properties"]["class"],
            f["properties"]["fill"],
        )
        assert mine["period"] == month.id and mine["period_label"] == month.label and mine["source"] == "public"
    assert by_ward[soho]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    police = client.get(url, params={"period": month.id, "source": "police", "ward_code": soho}).json()
    assert [f["properties"]["count"] for f in police["features"]] == [10]
    one = client.get(f"{url}/{month.id}:police:{soho}")
    assert one.status_code == 200 and one.json()["properties"]["count"] == 10
    assert client.get(f"{url}/{month.id}:both:{soho}").status_code == 404


def test_ward_counts_every_offered_period_and_source_and_nothing_else(client, db, settings):
    month, soho, _ = _seed_counts(db, settings)
    offered = _offered(db, settings)
    url = "/ogc/collections/public-ward-counts/items"
    everything = client.get(url, params={"ward_code": soho, "limit": 1000}).json()
    keys = {(f["properties"]["period"], f["properties"]["source"]) for f in everything["features"]}
    assert keys == {(p.id, s) for p in offered for s in ("public", "police")}
    assert everything["numberMatched"] == 2 * len(offered)
    quarter = next(p for p in offered if p.kind == "quarter" and p.start <= month.start <= p.end)
    q = client.get(url, params={"period": quarter.id, "source": "public", "ward_code": soho}).json()
    assert q["features"][0]["properties"]["count"] == 10  # the sum of its months' published figures
    for bad in ("2026-10", "month-1999-01", "day-2026-10-01", "year-2100", "x" * 40, ""):
        r = client.get(url, params={"period": bad})
        assert r.status_code == 400 and r.json()["field"] == "period", bad
    r = client.get(url, params={"source": "both"})
    assert r.status_code == 400 and r.json()["field"] == "source"
    for sneaky in ("from", "to", "category", "status", "hours"):
        r = client.get(url, params={sneaky: "x"})
        assert r.status_code == 400 and r.json()["field"] == sneaky


def test_ward_counts_etag_is_stable_once_published(client, db, settings):
    month, *_ = _seed_counts(db, settings)
    url = "/ogc/collections/public-ward-counts/items"
    client.get(url, params={"period": month.id})  # publishes the period
    first = client.get(url, params={"period": month.id})
    tag = first.headers["etag"]
    assert first.headers.get("last-modified")
    make_map_report(db, lon=SOHO[0], lat=SOHO[1], occurred_at=datetime.combine(month.start, datetime.min.time(), UTC))
    again = client.get(url, params={"period": month.id}, headers={"If-None-Match": tag})
    assert again.status_code == 304  # published figures are frozen: a late report changes nothing


def test_public_collections_are_listed_in_order_with_their_extents(client, db):
    make_venue(db, status="verified")
    make_safe_space(db, lon=HACKNEY[0], lat=HACKNEY[1])
    listed = {c["id"]: c for c in client.get("/ogc/collections").json()["collections"]}
    assert list(listed)[:5] == ["wards-2022-05", "wards-2013-12", "venues", "safe-spaces", "public-ward-counts"]
    for cid, point in (("venues", SOHO), ("safe-spaces", HACKNEY), ("public-ward-counts", HACKNEY)):
        ((minx, miny, maxx, maxy),) = listed[cid]["extent"]["spatial"]["bbox"]
        assert minx - 0.001 <= point[0] <= maxx + 0.001 and miny - 0.001 <= point[1] <= maxy + 0.001, cid
    ((minx, _, maxx, _),) = listed["public-ward-counts"]["extent"]["spatial"]["bbox"]
    assert maxx - minx > 0.1  # the served wards, not one point
