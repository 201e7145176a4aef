"""The venues JSON API and form posts: status codes, field-named errors, access, caching, uploads."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from nte.db import utcnow
from nte.venues import service
from nte.venues.models import Venue, VenueEvidence
from tests.factories import PASSWORD, bearer, login, make_user, make_venue, venue_form


def api_body(**overrides):
    form = venue_form(**overrides)
    body = {
        k: form[k]
        for k in (
            "name",
            "venue_type",
            "address",
            "postcode",
            "licence_number",
            "lon",
            "lat",
            "contact_email",
            "contact_phone",
            "champion_name",
            "champion_role",
            "manager_name",
            "password",
        )
    }
    body["pledges"] = [{"number": n, "met": True, "how_met": "Done"} for n in range(1, 8)]
    return body


def test_api_sign_up_201_then_same_licence_202(client, db):
    body = api_body(licence_number="HK/123/456")
    r = client.post("/api/venues/sign-ups", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "submitted"
    assert db.scalars(sa.select(Venue).where(Venue.name == body["name"])).one().status == "submitted"
    r2 = client.post("/api/venues/sign-ups", json=api_body(licence_number="HK 123 456"))
    assert r2.status_code == 202 and r2.json()["status"] == "held_as_duplicate"


@pytest.mark.parametrize("licence", [None, "WM/777/001"])
def test_a_sign_up_cannot_tell_who_has_an_account(client, db, licence):
    """Known and unknown e-mails get the same status and body (held or not by the licence alone);
    the known address's owner gets a mail with no words of the submitter's, and nothing is created."""
    from nte.notifications.models import OutboxMessage

    if licence:
        client.post("/api/venues/sign-ups", json=api_body(licence_number=licence, name="First Arms"))
    owner = make_user(db, role="venue_manager", email="taken@example.org")
    venues_before = db.scalar(sa.select(sa.func.count(Venue.id)))
    extra = {"licence_number": licence} if licence else {}
    known = client.post(
        "/api/venues/sign-ups", json=api_body(contact_email="taken@example.org", name="Phish <b>Bar</b>", **extra)
    )
    unknown = client.post("/api/venues/sign-ups", json=api_body(contact_email="fresh@example.org", **extra))
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert known.status_code == (202 if licence else 201)
    assert db.scalar(sa.select(sa.func.count(Venue.id))) == venues_before + (0 if licence else 1)
    mails = db.scalars(sa.select(OutboxMessage).where(OutboxMessage.to_address == owner.email)).all()
    assert len(mails) == 1 and "already has an account" in mails[0].body
    assert "Phish" not in mails[0].body and "Test Arms" not in mails[0].body
    fresh = db.scalars(sa.select(OutboxMessage).where(OutboxMessage.to_address == "fresh@example.org")).one()
    assert "Test Arms" not in fresh.body and "/confirm-email?token=" in fresh.body  # no submitter's text


def test_sign_ups_are_limited_per_address(client, db):
    from nte.venues.deps import SIGN_UPS_PER_HOUR

    count = db.scalar(sa.select(sa.func.count(Venue.id)))
    codes = [client.post("/api/venues/sign-ups", json=api_body()).status_code for _ in range(SIGN_UPS_PER_HOUR + 2)]
    assert codes == [201] * SIGN_UPS_PER_HOUR + [429, 429], codes
    assert db.scalar(sa.select(sa.func.count(Venue.id))) == count + SIGN_UPS_PER_HOUR
    # Mistakes do not count: an invalid form is still answered with its errors, not 429.
    assert client.post("/api/venues/sign-ups", json=api_body(postcode="XX")).status_code == 422


def test_api_sign_up_bad_input_lists_every_field(client, db):
    count = db.scalar(sa.select(sa.func.count(Venue.id)))
    body = api_body(postcode="XX", contact_phone="999", lon="-0.0005", lat="51.545")
    body["pledges"][1] = {"number": 2, "met": False, "how_met": "", "target_date": None}
    r = client.post("/api/venues/sign-ups", json=body)
    assert r.status_code == 422
    fields = {f["field"] for f in r.json()["fields"]}
    assert {"postcode", "contact_phone", "location", "pledge_2_target"} <= fields
    assert "outside the area this council covers" in str(r.json())
    assert db.scalar(sa.select(sa.func.count(Venue.id))) == count


def test_sign_up_form_keeps_values_and_names_errors(client, db, anon_csrf):
    form = venue_form(postcode="NOPE", name="Kept Name Bar", csrf_token=anon_csrf)
    r = client.post("/venues/sign-up", data=form, headers={"accept": "text/html"})
    assert r.status_code == 422
    assert 'value="Kept Name Bar"' in r.text and "Enter a real UK postcode" in r.text and 'href="#postcode"' in r.text
    assert PASSWORD not in r.text  # passwords are never echoed back
    r = client.post("/venues/sign-up", data=venue_form(), headers={"accept": "text/html"})
    assert r.status_code == 403  # no CSRF token
    r = client.post("/venues/sign-up", data=venue_form(csrf_token=anon_csrf))
    assert r.status_code == 201 and "Thank you" in r.text


def test_public_geojson_etag_and_filters(client, db):
    service.clear_public_cache()
    venue = make_venue(db, status="verified", venue_type="bar")
    r = client.get("/api/venues.geojson")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    assert venue.id in [f["id"] for f in r.json()["features"]]
    assert client.get("/api/venues.geojson", headers={"if-none-match": r.headers["etag"]}).status_code == 304
    assert venue.id not in [f["id"] for f in client.get("/api/venues.geojson?venue_type=pub").json()["features"]]
    bad = client.get("/api/venues.geojson?scheme=nope")
    assert bad.status_code == 422 and bad.json()["field"] == "scheme"


def test_officer_api_status_and_export(client, db):
    officer = make_user(db, role="officer")
    headers = bearer(db, officer)
    venue = make_venue(db)
    r = client.post(f"/api/venues/{venue.id}/status", json={"action": "lapse"}, headers=headers)
    assert r.status_code == 409 and r.json()["field"] == "action" and "submitted -> lapsed" in r.json()["detail"]
    r = client.post(f"/api/venues/{venue.id}/status", json={"action": "verify"}, headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "verified"
    csv_text = client.get("/api/venues/register?format=csv&status=verified", headers=headers).text
    assert csv_text.startswith("id,name,") and venue.name in csv_text
    geo = client.get(f"/api/venues/register?format=geojson&ward={venue.ward_code}", headers=headers).json()
    assert venue.id in [f["id"] for f in geo["features"]]
    manager = make_user(db, role="venue_manager")
    assert client.get("/api/venues/register", headers=bearer(db, manager)).status_code == 403


def test_portal_forms_and_object_level_access(client, db):
    venue = make_venue(db)
    owner = db.get(service.User, venue.manager_user_id)
    csrf = login(client, db, owner)
    r = client.post(
        f"/venue-portal/{venue.id}/training",
        data={
            "csrf_token": csrf,
            "training_type": "wave",
            "provider": "",
            "training_date": "2999-01-01",
            "staff_trained": "0",
        },
        headers={"accept": "text/html"},
    )
    assert r.status_code == 422 and "Enter who gave the training" in r.text and "cannot be in the future" in r.text
    r = client.post(
        f"/venue-portal/{venue.id}/training",
        data={
            "csrf_token": csrf,
            "training_type": "ask_for_angela",
            "provider": "WAVE trainer",
            "training_date": date.today().isoformat(),
            "staff_trained": "8",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    other = make_venue(db)
    r = client.get(f"/venue-portal/{other.id}", headers={"accept": "text/html"})
    assert r.status_code == 404


def test_evidence_upload_sniffs_and_serves_only_to_venue_and_officers(client, db, settings, tmp_path):
    venue = make_venue(db)
    owner = db.get(service.User, venue.manager_user_id)
    csrf = login(client, db, owner)
    url = f"/venue-portal/uploads/{venue.id}"
    fake = client.post(
        url,
        data={"csrf_token": csrf},
        files={"file": ("cert.pdf", b"MZ\x90\x00 not a pdf")},
        headers={"accept": "text/html"},
    )
    assert fake.status_code == 415 and "PDF, PNG or JPEG" in fake.text
    big = client.post(
        url, data={"csrf_token": csrf}, files={"file": ("big.pdf", b"%PDF-" + b"0" * (settings.max_upload_bytes + 100))}
    )
    assert big.status_code == 413
    ok = client.post(
        url, data={"csrf_token": csrf}, files={"file": ("../../cert.pdf", b"%PDF-1.4 test")}, follow_redirects=False
    )
    assert ok.status_code == 303
    row = db.scalars(sa.select(VenueEvidence).where(VenueEvidence.venue_id == venue.id)).one()
    assert row.stored_name != "cert.pdf" and row.original_name == "cert.pdf" and row.content_type == "application/pdf"
    path = service.upload_root(settings) / row.stored_name
    assert path.read_bytes() == b"%PDF-1.4 test"
    assert "static" not in str(path.resolve())
    got = client.get(f"/venue-portal/evidence/{row.id}")
    assert (
        got.status_code == 200
        and got.content == b"%PDF-1.4 test"
        and "attachment" in got.headers["content-disposition"]
    )
    client.cookies.clear()
    login(client, db, make_user(db, role="venue_manager"))
    assert client.get(f"/venue-portal/evidence/{row.id}", headers={"accept": "text/html"}).status_code == 404
    client.cookies.clear()
    login(client, db, make_user(db, role="officer"))
    assert client.get(f"/venue-portal/evidence/{row.id}").status_code == 200
    path.unlink()


def test_officer_pages_verify_with_reason_rules(client, db):
    venue = make_venue(db)
    csrf = login(client, db, make_user(db, role="officer"))
    page = client.get("/officer/venues")
    assert page.status_code == 200 and venue.name in page.text
    r = client.post(
        f"/officer/venues/{venue.id}/status",
        data={"csrf_token": csrf, "action": "reject"},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 422 and "Give a reason" in r.text
    r = client.post(
        f"/officer/venues/{venue.id}/status", data={"csrf_token": csrf, "action": "verify"}, follow_redirects=False
    )
    assert r.status_code == 303
    db.expire_all()
    assert db.get(Venue, venue.id).status == "verified"
    r = client.post(
        f"/officer/venues/{venue.id}/status",
        data={"csrf_token": csrf, "action": "verify"},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 409 and "verified -&gt; verified" in r.text
    r = client.post(
        f"/officer/venues/{venue.id}/spot-checks",
        data={"csrf_token": csrf, "check_date": utcnow().date().isoformat(), "outcome": "pass", "notes": "Posters up"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "Posters up" in client.get(f"/officer/venues/{venue.id}").text


def test_public_pages_show_verified_and_hide_submitted(client, db):
    verified = make_venue(db, status="verified", name="Public Verified Bar")
    submitted = make_venue(db)
    assert "Public Verified Bar" in client.get("/venues").text
    assert client.get(f"/venues/{verified.id}").status_code == 200
    assert client.get(f"/venues/{submitted.id}", headers={"accept": "text/html"}).status_code == 404
