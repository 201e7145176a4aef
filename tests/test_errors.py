"""Bad input gets a clear 4xx naming the field, never a 500."""

from __future__ import annotations

import json

import pytest

from tests.factories import bearer, make_user


def test_oversized_body_is_refused_before_parsing(client, db):
    headers = bearer(db, make_user(db))
    r = client.post(
        "/api/auth/tokens",
        content=b"{" + b" " * 2_000_000 + b"}",
        headers={**headers, "content-type": "application/json"},
    )
    assert r.status_code == 413 and r.json()["field"] == "body"


def test_malformed_json_names_the_body(client, db):
    headers = bearer(db, make_user(db))
    r = client.post("/api/auth/tokens", content=b"{not json", headers={**headers, "content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"] == "invalid" and r.json()["field"] == "body"


def test_malformed_json_names_the_body_not_the_character_offset(client, db):
    """The decoder's offset (21 here) is where the body went wrong, not a field called "21"."""
    body = '{"name": "my token", oops}'
    with pytest.raises(json.JSONDecodeError) as decoded:
        json.loads(body)
    assert decoded.value.pos == 21
    headers = {**bearer(db, make_user(db)), "content-type": "application/json"}
    r = client.post("/api/auth/tokens", content=body.encode(), headers=headers)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "body"
    assert r.json()["detail"] == "The request body is not valid JSON (at character 21)."
    assert r.json()["fields"] == [{"field": "body", "detail": "The request body is not valid JSON (at character 21)."}]


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"[" * 100_000, "The request body is nested too deeply to read; send plain JSON objects."),
        (b'{"name": "\xff"}', "The request body is not UTF-8 text."),
    ],
)
def test_a_json_body_the_decoder_gives_up_on_names_the_body(client, db, body, detail):
    headers = {**bearer(db, make_user(db)), "content-type": "application/json"}
    r = client.post("/api/auth/tokens", content=body, headers=headers)
    assert r.status_code == 422, r.text
    assert r.json() == {"error": "invalid", "detail": detail, "field": "body"}


def test_missing_field_is_named(client, db):
    headers = bearer(db, make_user(db))
    r = client.post("/api/auth/tokens", json={}, headers=headers)
    assert r.status_code == 422 and r.json()["field"] == "name"


def test_unknown_page_is_a_404_page(client):
    r = client.get("/no/such/page", headers={"accept": "text/html"})
    assert r.status_code == 404 and "Page not found" in r.text
    assert client.get("/api/nothing").json()["error"] == "not_found"


def test_security_headers(client):
    r = client.get("/")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "http" not in csp
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in r.headers  # only outside local dev


def test_access_log_has_no_client_address_or_query(client, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="nte.access"):
        client.get("/api/wards/lookup?lon=-0.1337&lat=51.5132", headers={"user-agent": "SecretAgent/1.0"})
    lines = [r.getMessage() for r in caplog.records if r.name == "nte.access"]
    assert lines == ["GET /api/wards/lookup 200 " + lines[0].split(" 200 ")[1]]
    assert all("51.5132" not in line and "testclient" not in line and "SecretAgent" not in line for line in lines)


def test_access_log_names_route_templates_never_tokens(client, caplog):
    """A calendar-feed token (or anything else in a path) never reaches the log: the route's
    template does, or "<unmatched>"."""
    import logging
    import secrets

    token = secrets.token_urlsafe(24)
    with caplog.at_level(logging.DEBUG):
        feed = client.get(f"/api/patrols/feed/{token}.ics")
        unknown = client.get(f"/api/no-such-thing/{token}")
        wrong_method = client.put(f"/api/patrols/feed/{token}.ics")
    assert (feed.status_code, unknown.status_code, wrong_method.status_code) == (404, 404, 405)
    lines = [r.getMessage() for r in caplog.records if r.name == "nte.access"]
    assert [line.rsplit(" ", 1)[0] for line in lines] == [
        "GET /api/patrols/feed/{token}.ics 404",
        "GET <unmatched> 404",
        "PUT /api/patrols/feed/{token}.ics 405",
    ]
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records if not r.name.startswith("httpx"))
    assert token not in logged


def test_nul_characters_are_refused_naming_where(client, db):
    headers = bearer(db, make_user(db))
    r = client.post("/api/auth/tokens", json={"name": "a\u0000b"}, headers=headers)
    assert r.status_code == 422 and r.json()["field"] == "body"
    r = client.get("/api/wards", params={"borough": "E09\u0000"})
    assert r.status_code == 422 and r.json()["field"] == "query"


@pytest.mark.parametrize("content_type", ["APPLICATION/json", "application/vnd.x+json", "text/json; charset=utf-8"])
def test_nul_characters_are_refused_whatever_the_json_is_called(client, db, content_type):
    headers = {**bearer(db, make_user(db)), "content-type": content_type}
    r = client.post("/api/auth/tokens", content='{"name": "a\\u0000b"}', headers=headers)
    assert r.status_code == 422 and r.json()["field"] == "body", r.text


def test_a_nul_in_a_multipart_form_field_is_refused_and_nothing_is_stored(client, db, anon_csrf):
    """A venue name with an embedded NUL, sent as multipart, was stored (and a 500 on PostgreSQL)."""
    import sqlalchemy as sa

    from nte.venues.models import Venue
    from tests.factories import venue_form

    before = db.scalar(sa.select(sa.func.count(Venue.id)))
    form = venue_form(name="Bar\x00None", csrf_token=anon_csrf)
    r = client.post("/venues/sign-up", files={k: (None, str(v)) for k, v in form.items()})
    assert r.status_code == 422 and r.json()["field"] == "name", r.text
    assert db.scalar(sa.select(sa.func.count(Venue.id))) == before
    # A file part may hold NUL bytes (a gzip upload): only text fields are refused.
    officer = bearer(db, make_user(db, role="officer"))
    gz = __import__("gzip").compress(b"Crime ID,Month\n")
    r = client.post("/api/reports/imports", files={"file": ("street.csv.gz", gz, "application/gzip")}, headers=officer)
    assert "NUL character" not in r.text and r.status_code < 500, r.text


def test_ids_past_the_database_integer_range_are_a_422(client, db):
    headers = bearer(db, make_user(db))
    for big in (2**31, 2**63 + 1):
        r = client.delete(f"/api/auth/tokens/{big}", headers=headers)
        assert r.status_code in (404, 422), r.text
    r = client.get("/api/auth/me", headers=headers)
    assert r.status_code == 200  # nothing else broke
