"""/ogc privacy on both databases: a public caller (no token, or a volunteer's or a venue manager's)
never reaches a report point or a small count through any parameter, and no two public requests
can be differenced to a figure the public map would not publish (as tests/maps/test_public.py
proves for the map itself: every figure is a frozen, suppressed, rounded month figure or a sum of
them, and a request only ever selects among them)."""

from __future__ import annotations

import itertools
import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import Point, box

from nte.db import utcnow
from nte.maps import public as public_maps
from nte.ogc.query import encode_cursor
from nte.reports.models import Report
from nte.spatial.geometry import to_bng
from nte.wards import service as ward_service
from tests.factories import bearer, make_map_report, make_user

#: A report point no public feature sits on (the factories' venues and safe spaces use Soho's).
POINT = (-0.13421, 51.51297)
#: The report point as a GeoJSON position would write it.
PAIR = f"[{POINT[0]},{POINT[1]}]"
HACKNEY = (-0.0553, 51.5450)
SPOTS = [POINT, HACKNEY, (-0.1878, 51.4997), (-0.2226, 51.4920)]
URL = "/ogc/collections/public-ward-counts/items"
PUBLIC = ("wards-2022-05", "wards-2013-12", "venues", "safe-spaces", "public-ward-counts")
RESTRICTED = ("reports", "hotspot-cells", "venue-register", "patrol-areas", "patrol-shifts")


@pytest.fixture(params=["anonymous", "volunteer", "venue_manager"])
def caller(request, db) -> dict[str, str]:
    if request.param == "anonymous":
        return {}
    return bearer(db, make_user(db, role=request.param))


def _when(month_start, hour=22):
    return datetime.combine(month_start + timedelta(days=4), datetime.min.time(), tzinfo=UTC).replace(hour=hour)


def _seed(db, settings):
    """A month in which Hackney Downs has 2 reports (suppressed) and the ward of ``POINT`` 12 (published
    as 10), and 3 more in Hackney Downs the month before: small counts the public must never see."""
    offered = public_maps.offered_periods(db, settings=settings, now=utcnow())
    quarters = [p for p in offered if p.kind == "quarter"]
    month = next(p for p in offered if p.kind == "month" and any(q.start <= p.start <= q.end for q in quarters))
    before = next(p for p in offered if p.kind == "month" and p.end < month.start)
    made = [make_map_report(db, lon=POINT[0], lat=POINT[1], occurred_at=_when(month.start)) for _ in range(12)]
    made += [make_map_report(db, lon=HACKNEY[0], lat=HACKNEY[1], occurred_at=_when(month.start)) for _ in range(2)]
    made += [make_map_report(db, lon=HACKNEY[0], lat=HACKNEY[1], occurred_at=_when(before.start)) for _ in range(3)]
    downs = ward_service.locate(db, lon=HACKNEY[0], lat=HACKNEY[1], settings=settings).code
    point_ward = ward_service.locate(db, lon=POINT[0], lat=POINT[1], settings=settings).code
    # The seed is there, and a ward holds 1-3 reports in a month: suppression matters.
    assert db.query(Report).filter(Report.ward_code == downs).count() == 5
    assert db.query(Report).filter(Report.ward_code == point_ward).count() == 12
    return month, before, downs, point_ward, made


def _check_public_body(r, threshold) -> list[dict]:
    """A 200 answer's features, each checked: counts published (null or rounded at/over the threshold),
    ward polygons only, and no report's point anywhere in the body."""
    assert r.status_code == 200, r.text
    assert PAIR not in r.text.replace(" ", "")
    features = r.json()["features"]
    for f in features:
        count = f["properties"]["count"]
        assert count is None or (count >= threshold and count % 5 == 0), f
        assert f["geometry"] is None or f["geometry"]["type"] in ("Polygon", "MultiPolygon")
    return features


def _probes(month, before, downs, point_ward) -> list[dict[str, str]]:
    tiny = f"{POINT[0] - 0.00001},{POINT[1] - 0.00001},{POINT[0] + 0.00001},{POINT[1] + 0.00001}"
    tiny_bng = ",".join(f"{v:.1f}" for v in to_bng(box(*map(float, tiny.split(",")))).bounds)
    around = Point(*POINT).buffer(0.00002)
    day = _when(month.start).date().isoformat()
    probes: list[dict[str, str]] = [
        {},
        {"period": month.id},
        {"period": month.id, "source": "public"},
        {"period": month.id, "source": "police"},
        {"filter": "count < 5"},
        {"filter": "count IS NULL"},
        {"filter": "count BETWEEN 1 AND 4"},
        {"filter": "count > 0 AND count < 10"},
        {"filter": "count <> 0 AND count IS NOT NULL AND count < 10"},
        {"filter": "months_below_threshold > 0 AND count IS NULL", "ward_code": downs},
        {"filter": f"ward_code = '{downs}' AND count < 10"},
        {"filter": json.dumps({"op": "<", "args": [{"property": "count"}, 5]}), "filter-lang": "cql2-json"},
        {"filter": json.dumps({"op": "isNull", "args": [{"property": "count"}]}), "filter-lang": "cql2-json"},
        {"filter": f"S_INTERSECTS(geometry, {around.wkt})"},
        {"bbox": tiny},
        {"bbox": tiny, "period": month.id, "source": "public"},
        {"bbox": tiny_bng, "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/27700"},
        {"crs": "http://www.opengis.net/def/crs/EPSG/0/27700", "ward_code": point_ward},
        {"datetime": f"{day}T21:00:00Z/{day}T23:00:00Z"},
        {"datetime": day},
        {"count": "2"},
        {"count": "3", "ward_code": downs},
        {"ward_code": downs, "period": before.id},
        {"cursor": encode_cursor(f"{month.id}:public:{downs}")},
        {"cursor": encode_cursor(0)},
        {"cursor": encode_cursor("")},
        {"limit": "1", "cursor": encode_cursor(f"{month.id}:police:")},
    ]
    return probes


def test_no_parameter_reaches_a_small_count_or_a_report_point(client, db, settings, caller):
    month, before, downs, point_ward, made = _seed(db, settings)
    threshold = settings.public_suppression_threshold
    # The suppressed ward is there, suppressed, before anything else is tried.
    first = client.get(URL, params={"period": month.id, "source": "public", "ward_code": downs}, headers=caller)
    (downs_feature,) = _check_public_body(first, threshold)
    assert downs_feature["properties"]["count"] is None
    assert downs_feature["properties"]["shown"] == f"fewer than {threshold}"
    full = {f["id"]: f for f in _check_public_body(client.get(URL, params={"limit": 10000}, headers=caller), threshold)}
    assert len(full) > 1000 and any(f["properties"]["count"] == 10 for f in full.values())
    for params in _probes(month, before, downs, point_ward):
        r = client.get(URL, params=params, headers=caller)
        if r.status_code == 400:
            assert r.json()["field"], params
            continue
        for f in _check_public_body(r, threshold):
            # A request selects published features; it never computes one (same id, same figures).
            assert f["properties"] == full[f["id"]]["properties"], params
        assert r.json()["numberMatched"] == 0 or "BETWEEN 1 AND 4" not in params.get("filter", "")


@pytest.mark.parametrize(
    "params",
    [
        {"period": "2026-10-05/2026-10-06"},
        {"period": "month-1999-01"},
        {"period": "day-2026-10-01"},
        {"source": "site"},  # the store's own key for reports made here
        {"source": "both"},
        {"source": "total"},
        {"from": "2026-10-05"},
        {"to": "2026-10-05"},
        {"category": "spiking"},
        {"value": "1"},
        {"filter": "value < 5"},
        {"filter": "raw_count < 5"},
        {"filter": "sources.site.value < 5"},
        {"filter": "category = 'spiking'"},
        {"filter": "occurred_at > TIMESTAMP('2026-10-01T00:00:00Z')"},
        {"cursor": "eyJhZnRlciI6W119"},  # {"after": []}
    ],
)
def test_what_the_map_does_not_offer_is_a_400_naming_it(client, params):
    r = client.get(URL, params=params)
    assert r.status_code == 400, (params, r.text)
    assert r.json()["field"] in (*params, "filter", "cursor"), r.text


def test_restricted_collections_answer_401_or_403_and_are_not_listed(client, db, settings, caller):
    _, _, _, _, made = _seed(db, settings)
    listed = {c["id"] for c in client.get("/ogc/collections", headers=caller).json()["collections"]}
    assert set(PUBLIC) <= listed and not listed & set(RESTRICTED)
    expected = 403 if caller else 401
    for cid in ("reports", "hotspot-cells", "venue-register"):
        for tail in ("", "/items", f"/items/{made[0].id}", "/queryables", "/items?bbox=-0.14,51.51,-0.13,51.52"):
            r = client.get(f"/ogc/collections/{cid}{tail}", headers=caller)
            assert r.status_code in (expected, 404), (cid, tail, r.status_code)
            assert PAIR not in r.text.replace(" ", "")
    r = client.get("/ogc/collections/reports/items", headers=caller)
    assert r.status_code == expected
    assert PAIR not in client.get("/ogc/api").text.replace(" ", "")


@pytest.mark.parametrize(
    "path",
    [
        "/ogc/collections/public-ward-counts/raw",
        "/ogc/collections/public-ward-counts/items/x/y",
        "/ogc/collections/public-ward-counts/items/month-2026-10:site:E05013806",
        "/ogc/collections/public-ward-counts/items/month-2026-10:total:E05013806",
        "/ogc/collections/report",
        "/ogc/collections/reports-public/items",
        "/ogc/reports",
    ],
)
def test_unknown_paths_are_404(client, db, settings, path):
    _seed(db, settings)
    r = client.get(path)
    assert r.status_code == 404, (path, r.status_code)
    assert PAIR not in r.text.replace(" ", "")


def test_public_points_are_never_report_points(client, db, settings, caller):
    _, _, _, _, made = _seed(db, settings)
    points = {(round(r_lon, 4), round(r_lat, 4)) for r_lon, r_lat in [POINT, HACKNEY]}
    assert made
    for cid in ("venues", "safe-spaces"):
        for params in ({}, {"bbox": f"{POINT[0] - 0.001},{POINT[1] - 0.001},{POINT[0] + 0.001},{POINT[1] + 0.001}"}):
            r = client.get(f"/ogc/collections/{cid}/items", params=params, headers=caller)
            assert r.status_code == 200
            for f in r.json()["features"]:
                assert tuple(round(c, 4) for c in f["geometry"]["coordinates"]) not in points


# --- differencing ----------------------------------------------------------------------------------


def _published(client, **params):
    r = client.get(URL, params={"limit": 10000, **params})
    assert r.status_code == 200, r.text
    assert r.json()["numberMatched"] == r.json()["numberReturned"]
    return {f["id"]: f["properties"] for f in r.json()["features"]}


def test_no_two_public_requests_difference_to_an_unpublished_figure(client, db, settings):
    """Mirrors the map's own test: reports in many months and wards, then, for every pair of offered
    periods, every ward and source, the difference of the two published figures is exactly the signed
    sum of the frozen month figures in which they differ (each suppressed and rounded), so it is 0
    or at least the threshold when one period holds the other; and bboxes and filters only select."""
    rng = random.Random(11)
    now = utcnow()
    offered = public_maps.offered_periods(db, settings=settings, now=now)
    months = sorted({p.start for p in offered if p.kind == "month"})
    for month_start in months:
        for spot in SPOTS:
            for _ in range(rng.choice([0, 1, 2, 3, 8, 9, 10, 12, 14])):
                source = rng.choice(["public", "police", "import"])
                make_map_report(db, lon=spot[0], lat=spot[1], occurred_at=_when(month_start), source=source)
    threshold = settings.public_suppression_threshold
    everything = _published(client)
    assert len(everything) > 1000
    downs = ward_service.locate(db, lon=HACKNEY[0], lat=HACKNEY[1], settings=settings).code
    assert any(p["count"] is None and p["ward_code"] == downs for p in everything.values())
    where = ward_service.placement(db, settings=settings)
    all_months = sorted({m for p in offered for m in public_maps.months_of(p)})
    atoms = public_maps.freeze_months(db, all_months, where=where, settings=settings, now=now)
    key_of = {"public": "site", "police": "police"}
    small = 0
    for by_source in atoms.values():
        for figures in by_source.values():
            assert all(v is None or (v >= threshold and v % 5 == 0) for v in figures.values())
            small += sum(v is None for v in figures.values())
    assert small  # suppressed month figures exist, so the guarantee is tested
    by_period = {p.id: set(public_maps.months_of(p)) for p in offered}
    codes = sorted({p["ward_code"] for p in everything.values()})
    pairs = 0
    for a, b in itertools.combinations(offered, 2):
        only_a, only_b = by_period[a.id] - by_period[b.id], by_period[b.id] - by_period[a.id]
        for code in codes:
            for source in ("public", "police"):
                va, vb = everything[f"{a.id}:{source}:{code}"], everything[f"{b.id}:{source}:{code}"]
                atom = {m: atoms[m][key_of[source]][code] for m in only_a | only_b}
                expected = sum(atom[m] or 0 for m in only_a) - sum(atom[m] or 0 for m in only_b)
                diff = (va["count"] or 0) - (vb["count"] or 0)
                assert diff == expected, (a.id, b.id, code, source)
                if not only_b or not only_a:  # one period holds the other
                    assert diff == 0 or abs(diff) >= threshold, (a.id, b.id, code, source, diff)
                hidden = sum(atom[m] is None for m in only_a) - sum(atom[m] is None for m in only_b)
                assert va["months_below_threshold"] - vb["months_below_threshold"] == hidden
                pairs += 1
    assert pairs >= len(codes) * 2 * len(offered) * (len(offered) - 1) // 2
    # Two bboxes, a filter and none, a source and none: each answer is a subset of the published
    # features with the same figures, so the difference of any two sums is a sum of published figures.
    month = offered[0]
    for params in (
        {"bbox": "-0.2,51.45,-0.1,51.55"},
        {"bbox": "-0.15,51.50,-0.12,51.52"},
        {"filter": "count IS NULL"},
        {"filter": "count >= 10"},
        {"period": month.id},
        {"period": month.id, "source": "police"},
        {"filter": f"ward_code = '{downs}'"},
    ):
        chosen = _published(client, **params)
        assert chosen, params
        for fid, props in chosen.items():
            assert props == everything[fid], (params, fid)
