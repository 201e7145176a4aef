"""The declarative field list behind every safe-space write: each field's own sentence (as people
have always read it), every wrong field named at once in the JSON body's ``fields``, and the success
messages of the officers' and owners' pages chosen by the server (a crafted link shows nothing)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from nte.safespaces import service
from nte.safespaces.exceptions import InvalidSafeSpace
from nte.safespaces.models import SafeSpace
from nte.web.flash import FlashMessages
from tests.factories import bearer, login, make_safe_space, make_user

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
NOT_AN_OWNER = "The owner must be an active account with the venue manager role."
BASE = {"name": "Field test", "kind": "safe_haven", "lon": -0.1337, "lat": 51.5136}


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"name": ""}, "name", "Enter the name."),
        ({"name": "x" * 201}, "name", "The name must be 200 characters or fewer."),
        ({"address": "x" * 301}, "address", "The address must be 300 characters or fewer."),
        ({"postcode": "x" * 11}, "postcode", "The postcode must be 10 characters or fewer."),
        ({"postcode": "NOPE"}, "postcode", "Enter a UK postcode such as SW1A 1AA."),
        (
            {"kind": ""},
            "kind",
            "Choose the kind of place (pharmacy, safe_haven, charter_venue, community_centre, transport_hub, other).",
        ),
        ({"phone": "x" * 31}, "phone", "The phone number must be 30 characters or fewer."),
        ({"phone": "call me"}, "phone", "Enter a phone number such as 020 7946 0000."),
        ({"access_note": "x" * 301}, "access_note", "The note on how to get in must be 300 characters or fewer."),
        ({"help_offered": 5}, "help_offered", "Help must be a list."),
        (
            {"codewords": ["ask_for_bob"]},
            "codewords",
            "Unknown codeword schemes 'ask_for_bob'; choose from ask_for_ani, ask_for_angela.",
        ),
        ({"step_free": "perhaps"}, "step_free", "Answer yes, no or unknown."),
        ({"languages": "English, 42"}, "languages", "'42' is not a language name."),
        ({"languages": 7}, "languages", "Languages must be a list such as English, Polish."),
        ({"owner_email": "nobody@example.org"}, "owner_email", NOT_AN_OWNER),
        ({"owner_user_id": "abc"}, "owner_user_id", NOT_AN_OWNER),
        ({"venue_id": "abc"}, "venue_id", "The venue id must be a number."),
        ({"venue_id": 999999}, "venue_id", "There is no venue with id 999999."),
        ({"lon": "west"}, "lon", "lon must be a number."),
    ],
)
def test_each_field_says_what_it_always_said(db, settings, data, field, message):
    with pytest.raises(InvalidSafeSpace) as info:
        service.create_space(db, data={**BASE, **data}, actor=None, settings=settings, now=NOW)
    assert info.value.errors[field] == message


def test_wrong_fields_are_named_in_form_order(db, settings):
    with pytest.raises(InvalidSafeSpace) as info:
        service.create_space(
            db,
            data={**BASE, "hours": {"weekly": [["fri", "8pm", "4am"]]}, "phone": "x", "name": "", "lon": 2.35},
            actor=None,
            settings=settings,
            now=NOW,
        )
    assert list(info.value.errors) == ["name", "lon", "phone", "hours"]


def test_lists_are_fresh_and_in_canonical_order(db, settings):
    values = service.clean_fields(db, {**BASE, "help_offered": "cctv; water,water"}, settings=settings)
    assert values["help_offered"] == ["water", "cctv"]
    a = service.clean_fields(db, {**BASE, "codewords": None}, settings=settings)
    b = service.clean_fields(db, {**BASE, "codewords": ""}, settings=settings)
    assert a["codewords"] == b["codewords"] == [] and a["codewords"] is not b["codewords"]


def test_api_names_every_wrong_field_in_fields(client, db):
    """An invalid safe space over the JSON API lists every wrong field in ``fields`` (it used to
    name only the first)."""
    headers = bearer(db, make_user(db, role="officer"))
    r = client.post(
        "/api/safe-spaces", headers=headers, json={**BASE, "name": "", "phone": "call me", "help_offered": ["hugs"]}
    )
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "invalid_safe_space" and body["field"] == "name"
    assert [f["field"] for f in body["fields"]] == ["name", "phone", "help_offered"]
    assert body["fields"][1]["detail"] == "Enter a phone number such as 020 7946 0000."


def test_an_unknown_status_action_is_refused_by_the_service(db):
    officer = make_user(db, role="officer")
    space = make_safe_space(db)
    with pytest.raises(InvalidSafeSpace) as info:
        service.change_status(db, space_id=space.id, action="delete", actor=officer, now=NOW)
    assert info.value.field == "action"
    service.change_status(db, space_id=space.id, action="verify", actor=officer, now=NOW)
    assert space.status == "verified"


CRAFTED = "Your account is closed-call 0800 000 000"


def test_a_crafted_success_message_shows_nothing(client, db):
    """``?imported=``/``?saved=``/``?sent=`` used to put any words in the green box; the signed
    ``?done=`` shows only the server's own messages."""
    officer = make_user(db, role="officer")
    space = make_safe_space(db)
    login(client, db, officer)
    for url in (
        f"/officer/safe-spaces?imported={CRAFTED}",
        f"/officer/safe-spaces?done={CRAFTED}",
        f"/officer/safe-spaces/{space.id}?saved=1",
        f"/officer/safe-spaces/{space.id}?done={CRAFTED}",
        f"/officer/safe-spaces/{space.id}?done={FlashMessages({'other.key': 'Saved.'}).token('other.key')}",
    ):
        page = client.get(url)
        assert page.status_code == 200
        assert "Your account is closed" not in page.text and 'class="success"' not in page.text, url
    owner = make_user(db, role="venue_manager")
    login(client, db, owner)
    page = client.get("/safe-spaces/mine?sent=1")
    assert page.status_code == 200 and 'class="success"' not in page.text


def test_the_server_chosen_messages_are_shown(client, db):
    csrf = login(client, db, make_user(db, role="officer"))
    text = "name,kind,latitude,longitude,external_id\nFlash one,pharmacy,51.5136,-0.1337,flash:1\n"
    r = client.post(
        "/officer/safe-spaces/import",
        data={"csrf_token": csrf},
        files={"file": ("s.csv", text, "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "done=" in r.headers["location"]
    page = client.get(r.headers["location"])
    assert "Import finished: 1 added, 0 already present." in page.text
    space = db.scalars(sa.select(SafeSpace).where(SafeSpace.external_id == "flash:1")).one()
    r = client.post(
        f"/officer/safe-spaces/{space.id}/status",
        data={"csrf_token": csrf, "action": "verify"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "done=" in r.headers["location"]
    assert '<p class="success" role="status">Saved.</p>' in client.get(r.headers["location"]).text
