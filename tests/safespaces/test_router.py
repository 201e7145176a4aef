"""JSON API and form posts: public search and GeoJSON, officers' registry, owners' proposals,
bad input named by field with nothing stored."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from nte.safespaces.models import SafeSpace, SafeSpaceProposal
from tests.factories import bearer, login, make_safe_space, make_user


def _count(db, model=SafeSpace) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(model))


def test_nearest_api_gives_distance_and_status(client, db):
    space = make_safe_space(db, name="Haven", opening_hours="Fr-Sa 20:00-04:00")
    r = client.get("/api/safe-spaces/nearest", params={"lon": -0.134, "lat": 51.5136, "at": "2026-12-05T02:00"})
    assert r.status_code == 200
    first = r.json()["results"][0]
    assert first["id"] == space.id and 15 < first["distance_m"] < 30
    assert first["phone"] == "020 7946 0000" and first["verified"] is False
    # Hours confirmed "now" in the factory, so at 02:00 next Saturday they are still fresh.
    r = client.get("/api/safe-spaces/nearest", params={"lon": -0.134, "lat": 51.5136, "open_only": "true"})
    assert r.status_code == 200 and all(s["is_open"] for s in r.json()["results"])


@pytest.mark.parametrize(
    "params,field",
    [
        ({"lon": -0.13, "lat": 91}, "lat"),
        ({"lon": -181, "lat": 51.5}, "lon"),
        ({"lon": "nan", "lat": 51.5}, "lon"),
        ({"lon": "inf", "lat": 51.5}, "lon"),
        ({"lon": "west", "lat": 51.5}, "lon"),
        ({"lat": 51.5}, "lon"),
        ({"lon": -0.13, "lat": 51.5, "at": "tonight"}, "at"),
        ({"lon": -0.13, "lat": 51.5, "at": "2026-13-01T02:00"}, "at"),
        ({"lon": -0.13, "lat": 51.5, "limit": 0}, "limit"),
        ({"lon": -0.13, "lat": 51.5, "limit": 21}, "limit"),
        ({"lon": -0.13, "lat": 51.5, "open_only": "maybe"}, "open_only"),
    ],
)
def test_nearest_api_bad_input_names_the_field(client, params, field):
    r = client.get("/api/safe-spaces/nearest", params=params)
    assert r.status_code == 422 and r.json()["field"] == field


def test_geojson_layer_is_public_with_status(client, db):
    space = make_safe_space(db, name="Layer test", opening_hours="24/7", status="verified")
    r = client.get("/api/safe-spaces.geojson", params={"bbox": "-0.14,51.51,-0.13,51.52"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    features = {f["id"]: f for f in r.json()["features"]}
    props = features[space.id]["properties"]
    assert props["verified"] is True and props["is_open"] is True and props["summary"] == "open 24/7"
    assert features[space.id]["geometry"]["coordinates"] == [-0.1337, 51.5136]
    outside = client.get("/api/safe-spaces.geojson", params={"bbox": "-0.30,51.40,-0.29,51.41"}).json()
    assert space.id not in {f["id"] for f in outside["features"]}
    for bad in ("1,2,3", "a,b,c,d", "0,0,-1,-1", "-200,0,0,1"):
        r = client.get("/api/safe-spaces.geojson", params={"bbox": bad})
        assert r.status_code == 422 and r.json()["field"] == "bbox"


def test_officer_creates_edits_verifies_over_the_api(client, db):
    headers = bearer(db, make_user(db, role="officer"))
    r = client.post(
        "/api/safe-spaces",
        headers=headers,
        json={
            "name": "API haven",
            "kind": "safe_haven",
            "lon": -0.1337,
            "lat": 51.5136,
            "phone": "020 7946 0000",
            "hours": {"weekly": [["fri", "20:00", "04:00"]], "overrides": [["2026-12-25", "closed"]]},
            "codewords": ["ask_for_ani"],
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["opening_hours"] == "Fr 20:00-04:00" and body["hours_confirmed_date"] is not None
    sid = body["id"]
    r = client.patch(f"/api/safe-spaces/{sid}", headers=headers, json={"phone": "020 7946 9999", "step_free": True})
    assert r.status_code == 200 and r.json()["phone"] == "020 7946 9999" and r.json()["step_free"] is True
    assert client.post(f"/api/safe-spaces/{sid}/verify", headers=headers).json()["status"] == "verified"
    assert client.post(f"/api/safe-spaces/{sid}/confirm-hours", headers=headers).status_code == 200
    assert client.get(f"/api/safe-spaces/{sid}").json()["verified"] is True
    assert client.post(f"/api/safe-spaces/{sid}/withdraw", headers=headers, json={"reason": "x"}).status_code == 200
    assert client.get(f"/api/safe-spaces/{sid}").status_code == 404  # withdrawn: not public
    assert any(s["id"] == sid for s in client.get("/api/safe-spaces", headers=headers).json())


@pytest.mark.parametrize(
    "body,field",
    [
        ({"kind": "safe_haven", "lon": -0.13, "lat": 51.51}, "name"),
        (
            {
                "name": "X",
                "kind": "safe_haven",
                "lon": -0.13,
                "lat": 51.51,
                "hours": {"weekly": [["fri", "8pm", "4am"]]},
            },
            "hours",
        ),
        (
            {"name": "X", "kind": "safe_haven", "lon": -0.13, "lat": 51.51, "opening_hours": "Fr 20:00-20:00"},
            "opening_hours",
        ),
        ({"name": "X", "kind": "safe_haven", "lon": 2.35, "lat": 48.85}, "lon"),
        ({"name": "X", "kind": "safe_haven", "lon": -0.13, "lat": 51.51, "help_offered": ["hugs"]}, "help_offered"),
        ({"name": "X", "kind": "safe_haven", "lon": -0.13, "lat": 51.51, "surprise": 1}, "surprise"),
        ({"name": "X", "kind": "safe_haven", "lon": -0.13, "lat": 51.51, "venue_id": 999999}, "venue_id"),
    ],
)
def test_create_bad_input_is_refused_and_nothing_stored(client, db, body, field):
    headers = bearer(db, make_user(db, role="officer"))
    before = _count(db)
    r = client.post("/api/safe-spaces", headers=headers, json=body)
    assert r.status_code == 422 and r.json()["field"] == field, r.text
    assert _count(db) == before


def test_only_officers_write(client, db):
    space = make_safe_space(db)
    assert client.post("/api/safe-spaces", json={"name": "X"}).status_code == 401
    headers = bearer(db, make_user(db, role="venue_manager"))
    assert client.post("/api/safe-spaces", headers=headers, json={"name": "X"}).status_code == 403
    assert client.post(f"/api/safe-spaces/{space.id}/verify", headers=headers).status_code == 403
    assert client.get("/api/safe-spaces/999999").status_code == 404


def test_owner_proposal_and_officer_decision_over_the_api(client, db):
    owner = make_user(db, role="venue_manager")
    space = make_safe_space(db, owner_user_id=owner.id)
    owner_headers = bearer(db, owner)
    r = client.post(
        f"/api/safe-spaces/{space.id}/proposals",
        headers=owner_headers,
        json={"opening_hours": "Mo-Su 18:00-02:00", "message": "new hours"},
    )
    assert r.status_code == 201 and r.json()["changes"]["hours"]["weekly"][0] == ["mon", "18:00", "02:00"]
    pid = r.json()["id"]
    other = bearer(db, make_user(db, role="venue_manager"))
    assert (
        client.post(
            f"/api/safe-spaces/{space.id}/proposals", headers=other, json={"phone": "020 7946 1111"}
        ).status_code
        == 403
    )
    r = client.post(f"/api/safe-spaces/{space.id}/proposals", headers=owner_headers, json={"lon": 0})
    assert r.status_code == 422 and r.json()["field"] == "lon"
    officer = bearer(db, make_user(db, role="officer"))
    assert [p["id"] for p in client.get("/api/safe-spaces/proposals", headers=officer).json()] == [pid]
    assert client.get("/api/safe-spaces/proposals", headers=owner_headers).status_code == 403
    assert client.post(f"/api/safe-spaces/proposals/{pid}/approve", headers=officer).json()["status"] == "approved"
    assert (
        client.post(f"/api/safe-spaces/proposals/{pid}/reject", headers=officer, json={"note": "no"}).status_code == 409
    )
    db.expire_all()
    assert db.get(SafeSpace, space.id).hours["weekly"][0] == ["mon", "18:00", "02:00"]


def test_csv_upload_api(client, db):
    headers = bearer(db, make_user(db, role="officer"))
    csv_text = "name,kind,latitude,longitude,external_id\nUpload one,pharmacy,51.5136,-0.1337,up:1\n"
    r = client.post("/api/safe-spaces/import", headers=headers, files={"file": ("s.csv", csv_text, "text/csv")})
    assert r.status_code == 200 and r.json() == {"rows": 1, "created": 1, "already_present": 0}
    r = client.post("/api/safe-spaces/import", headers=headers, files={"file": ("s.csv", csv_text, "text/csv")})
    assert r.json()["already_present"] == 1
    r = client.post("/api/safe-spaces/import", headers=headers, files={"file": ("s.csv", b"\xff\xfe\x00", "text/csv")})
    assert r.status_code == 422 and r.json()["field"] == "file"
    r = client.post("/api/safe-spaces/import", headers=headers, files={"file": ("s.png", b"x", "image/png")})
    assert r.status_code == 415


def test_officer_form_post_re_shows_errors_and_stores_nothing(client, db):
    csrf = login(client, db, make_user(db, role="officer"))
    before = _count(db)
    r = client.post(
        "/officer/safe-spaces/new",
        data={
            "csrf_token": csrf,
            "name": "",
            "kind": "safe_haven",
            "lon": "-0.1337",
            "lat": "51.5136",
            "opening_hours": "Fr 20:00-4",
        },
    )
    assert r.status_code == 422 and 'id="name-error"' in r.text and 'id="opening_hours-error"' in r.text
    assert _count(db) == before
    r = client.post(
        "/officer/safe-spaces/new",
        data={
            "csrf_token": csrf,
            "name": "Form haven",
            "kind": "safe_haven",
            "lon": "-0.1337",
            "lat": "51.5136",
            "help_offered": ["water", "cctv"],
            "opening_hours": "Fr 20:00-04:00",
            "confirm_hours": "1",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    space = db.scalars(sa.select(SafeSpace).where(SafeSpace.name == "Form haven")).one()
    assert space.help_offered == ["water", "cctv"] and space.hours_confirmed_date is not None
    assert client.post("/officer/safe-spaces/new", data={"name": "No token"}).status_code == 403


def test_owner_form_post_creates_a_proposal(client, db):
    owner = make_user(db, role="venue_manager")
    space = make_safe_space(db, owner_user_id=owner.id)
    csrf = login(client, db, owner)
    page = client.get(f"/safe-spaces/mine/{space.id}")
    assert page.status_code == 200 and "Send for approval" in page.text
    r = client.post(
        f"/safe-spaces/mine/{space.id}",
        data={
            "csrf_token": csrf,
            "confirms_hours": "1",
            "opening_hours": "24/7",
            "phone": space.phone,
            "step_free": "unknown",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    proposal = db.scalars(sa.select(SafeSpaceProposal).where(SafeSpaceProposal.safe_space_id == space.id)).one()
    assert proposal.confirms_hours and proposal.changes == {}


def test_help_now_without_javascript_by_ward(client, db):
    make_safe_space(db, name="Soho haven", opening_hours="24/7")
    r = client.get("/help-now")
    assert r.status_code == 200 and "Choose a ward" in r.text and 'id="quick-exit"' in r.text
    r = client.get("/help-now", params={"ward": "E05013806", "show": "all"})  # St James's (Westminster)
    assert r.status_code == 200 and "Soho haven" in r.text and 'href="tel:02079460000"' in r.text
    r = client.get("/help-now", params={"ward": "NOPE"}, headers={"accept": "text/html"})
    assert r.status_code == 404 and 'id="ward-error"' in r.text
    r = client.get("/help-now", params={"lon": "x", "lat": "51.5"})
    assert r.status_code == 422
