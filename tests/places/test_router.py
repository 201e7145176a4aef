"""The places JSON API: search and postcode look-up, their 4xx answers, and no query in any log."""

from __future__ import annotations

import logging

import pytest

from nte.db import utcnow
from nte.places import service

POINTS = [
    ("WC2H 9NG", -0.13130, 51.51360),
    ("WC2H 9NA", -0.13000, 51.51300),
    ("WC2H 8AA", -0.12800, 51.51400),
    ("SW1A 2AA", -0.12760, 51.50340),
]


@pytest.fixture()
def postcodes(db):
    service.fill_from_points(db, points=POINTS, now=utcnow())
    db.flush()


def test_search_finds_a_postcode_with_its_ward(client, postcodes):
    r = client.get("/api/places", params={"q": "wc2h 9ng"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == len(body["results"]) >= 1
    first = body["results"][0]
    assert first == {
        "label": "WC2H 9NG",
        "kind": "postcode",
        "lon": -0.1313,
        "lat": 51.5136,
        "approximate": True,  # demo-derived points are approximate
        "ward_name": "West End",
    }


def test_an_outward_code_alone_is_the_mean_of_its_live_points(client, postcodes):
    r = client.get("/api/places", params={"q": "WC2H"})
    assert r.status_code == 200
    first = r.json()["results"][0]
    assert first["label"] == "WC2H" and first["kind"] == "postcode" and first["approximate"] is True
    assert first["lon"] == pytest.approx((-0.1313 - 0.13 - 0.128) / 3, abs=1e-6)
    assert first["lat"] == pytest.approx((51.5136 + 51.513 + 51.514) / 3, abs=1e-6)


def test_a_postcode_with_a_missing_letter_finds_nothing(client, postcodes):
    r = client.get("/api/places", params={"q": "WC2H 9N"})
    assert r.status_code == 200
    assert r.json() == {"count": 0, "results": []}


@pytest.mark.parametrize("q", ["a", " a ", "x" * 81])
def test_a_query_too_short_or_long_is_a_422_naming_q(client, q):
    r = client.get("/api/places", params={"q": q})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "q"


def test_a_missing_query_is_a_422_naming_q(client):
    r = client.get("/api/places")
    assert r.status_code == 422
    assert r.json()["field"] == "q"


def test_a_limit_out_of_range_is_a_422_naming_limit(client):
    r = client.get("/api/places", params={"q": "soho", "limit": 0})
    assert r.status_code == 422 and r.json()["field"] == "limit"


def test_postcode_lookup(client, postcodes):
    r = client.get("/api/places/postcode/sw1a2aa")
    assert r.status_code == 200, r.text
    assert r.json()["label"] == "SW1A 2AA" and r.json()["lat"] == pytest.approx(51.5034)


def test_an_unknown_postcode_is_a_404_with_a_clear_detail(client, postcodes):
    r = client.get("/api/places/postcode/SW1A 9ZZ")
    assert r.status_code == 404
    body = r.json()
    assert body["error"] == "postcode_not_found" and body["field"] == "postcode"
    assert "check it" in body["detail"]
    assert "SW1A 9ZZ" not in body["detail"]  # not echoed back


@pytest.mark.parametrize("bad", ["hello", "SW1A", "12345"])
def test_a_malformed_postcode_is_a_422(client, bad):
    r = client.get(f"/api/places/postcode/{bad}")
    assert r.status_code == 422
    assert r.json()["field"] == "postcode"


def test_neither_the_query_nor_the_postcode_reaches_any_log(client, postcodes, caplog):
    caplog.set_level(logging.DEBUG)
    client.get("/api/places", params={"q": "WC2H 9NG"})
    client.get("/api/places", params={"q": "Wc2h9nG secret street"})
    client.get("/api/places/postcode/WC2H 9NG")
    client.get("/api/places/postcode/WC2H9NA")
    client.get("/api/places/postcode/QQ")
    # Everything the server side logged (httpx is the test's own client, logging what it sent).
    served = [r for r in caplog.records if not r.name.startswith("httpx")]
    text = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in served)
    # The access log did write these requests (so the check below looks at real lines) ...
    access = [r.getMessage() for r in served if r.name == "nte.access" and "/api/places" in r.getMessage()]
    assert len(access) == 5, access
    assert any(line.startswith("GET /api/places/postcode/{postcode} ") for line in access)
    # ... by route template only: no postcode, no query text, in any form.
    for secret in ("WC2H", "wc2h", "Wc2h", "9NG", "9NA", "secret street", "q=", "QQ"):
        assert secret not in text, secret


def test_searches_are_rate_limited_per_address(client, postcodes):
    from nte.places.router import SEARCHES_PER_MINUTE

    codes = [client.get("/api/places", params={"q": "WC2H"}).status_code for _ in range(SEARCHES_PER_MINUTE + 1)]
    assert codes[:-1] == [200] * SEARCHES_PER_MINUTE
    assert codes[-1] == 429
