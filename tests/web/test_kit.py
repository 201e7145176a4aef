"""The web-edge kit (nte/web/forms.py, flash.py, downloads.py; nte/errors.FieldErrors; nte/exports.csv_text;
nte/london.py; nte/spatial/coords.py) on its own, through a real FastAPI app and a real database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from nte.audit.models import AuditEvent
from nte.errors import FieldErrors
from nte.exports import csv_text
from nte.i18n import N_
from nte.london import london_moment, london_today, to_london
from nte.spatial.coords import round_coord, rounded_point
from nte.web import forms
from nte.web.downloads import download, download_headers
from nte.web.errors import install_error_handlers
from nte.web.flash import FlashMessages

FLASH = FlashMessages({"thing.saved": N_("Saved: %(name)s."), "thing.gone": N_("Deleted.")})


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/things")
    def post(form: forms.FormDep):  # type: ignore[no-untyped-def]
        values = forms.clean(FIELDS, form.data(lists=("tags",)))
        return FLASH.redirect("/things?page=2", "thing.saved", name=values["name"])

    @app.get("/things")
    def shown(request: Request) -> dict[str, object]:
        message = FLASH.message(request)
        return {"done": None if message is None else str(message)}

    return app


FIELDS = (
    forms.Field("name", required=True, max_length=10),
    forms.Field("kind", choices=("pub", "bar")),
    forms.Field("seats", parse=int, invalid=N_("Give a whole number.")),
    forms.Field("tags", many=True, choices=("quiet", "late")),
)


def test_clean_reports_every_wrong_field_at_once_in_declared_order() -> None:
    with pytest.raises(FieldErrors) as caught:
        forms.clean(FIELDS, {"name": "x" * 11, "kind": "club", "seats": "many", "tags": ["loud"]})
    assert list(caught.value.errors) == ["name", "kind", "seats", "tags"]
    assert caught.value.errors["name"] == "Use 10 characters or fewer."
    assert caught.value.errors["seats"] == "Give a whole number."
    body = caught.value.body()
    assert body["field"] == "name" and [f["field"] for f in body["fields"]] == ["name", "kind", "seats", "tags"]


def test_clean_parses_defaults_and_partial_updates() -> None:
    assert forms.clean(FIELDS, {"name": " Bar ", "seats": "40", "tags": ["late"]}) == {
        "name": "Bar",
        "kind": None,
        "seats": 40,
        "tags": ["late"],
    }
    assert forms.clean(FIELDS, {"seats": "3"}, only=("seats",)) == {"seats": 3}
    with pytest.raises(FieldErrors) as caught:
        forms.clean(FIELDS, {})
    assert caught.value.errors == {"name": "This is required."}


def test_field_errors_needs_a_field() -> None:
    with pytest.raises(ValueError):
        FieldErrors({})


def test_a_form_post_with_errors_answers_422_with_every_field() -> None:
    with TestClient(_app()) as client:
        answer = client.post("/things", data={"name": "", "kind": "club"}, headers={"accept": "application/json"})
    assert answer.status_code == 422
    assert [f["field"] for f in answer.json()["fields"]] == ["name", "kind"]


def test_flash_message_is_signed_and_a_crafted_one_shows_nothing() -> None:
    with TestClient(_app()) as client:
        sent = client.post("/things", data={"name": "Bar", "tags": ["late", "quiet"]}, follow_redirects=False)
        assert sent.status_code == 303
        target = urlsplit(sent.headers["location"])
        assert target.path == "/things" and parse_qs(target.query)["page"] == ["2"]
        assert client.get(sent.headers["location"]).json() == {"done": "Saved: Bar."}
        for crafted in ("Your account is closed, call 0800 000 000", "thing.saved", FLASH.token("thing.gone") + "x"):
            assert client.get("/things", params={"done": crafted}).json() == {"done": None}
        other = FlashMessages({"thing.saved": "Another table's message"})
        # a token signed for a key no longer in this table shows nothing either
        assert FlashMessages({"else": "x"}).message(_request(other.token("thing.saved"))) is None


def _request(token: str) -> Request:
    return Request({"type": "http", "query_string": f"done={token}".encode(), "headers": []})


def test_flash_refuses_unknown_keys_and_missing_values() -> None:
    with pytest.raises(KeyError):
        FLASH.url("/x", "nope")
    with pytest.raises(KeyError):
        FLASH.url("/x", "thing.saved")  # the template names %(name)s


def test_csv_text_neutralises_every_cell() -> None:
    text = csv_text(["=name", "n"], [["=HYPERLINK(1)", 3], ["+1", None], ["ok, quoted", "-2"]])
    assert text.split("\r\n") == ["'=name,n", "'=HYPERLINK(1),3", "'+1,", '"ok, quoted",\'-2', ""]


def test_download_sets_headers_and_writes_the_audit_event(db: Session) -> None:
    before = db.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    answer = download(
        db,
        actor=None,
        kind="csv",
        content=csv_text(["a"], [["1"]]),
        filename="things-2026-11.csv",
        action="things.export",
        target_type="things",
        target_id="2026-11",
        detail={"borough": "E09000033"},
    )
    assert answer.headers["content-disposition"] == 'attachment; filename="things-2026-11.csv"'
    assert answer.headers["cache-control"] == "private, no-store"
    assert answer.headers["content-type"].startswith("text/csv")
    assert db.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == before + 1
    event = db.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert (event.action, event.target_type, event.target_id) == ("things.export", "things", "2026-11")
    assert event.detail == {"format": "csv", "filename": "things-2026-11.csv", "borough": "E09000033"}
    streamed = download(
        db,
        actor=None,
        kind="geojson",
        content=iter(['{"type":"FeatureCollection",', '"features":[]}']),
        filename="things.geojson",
        action="things.export",
        target_type="things",
        target_id="all",
    )
    assert streamed.headers["content-type"] == "application/geo+json"
    assert db.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == before + 2


@pytest.mark.parametrize("name", ["", 'a".csv', "../x.csv", "a\r\nSet-Cookie: x"])
def test_download_refuses_unsafe_file_names(name: str) -> None:
    with pytest.raises(ValueError):
        download_headers(name)


def test_london_time_and_coordinate_rounding() -> None:
    late = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)  # 00:30 BST on 1 July
    assert london_today(late) == date(2026, 7, 1)
    assert to_london(late).hour == 0
    assert london_moment(date(2026, 12, 4), time(22, 0)) == datetime(2026, 12, 4, 22, 0, tzinfo=UTC)
    assert london_moment(date(2026, 7, 4), time(22, 0)) == datetime(2026, 7, 4, 21, 0, tzinfo=UTC)
    assert round_coord(-0.13419999999999999) == -0.1342
    assert rounded_point(-0.1234567, 51.5123456) == [-0.123457, 51.512346]
