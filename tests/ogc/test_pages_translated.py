"""Every /ogc page, in every state, shows no English that bypassed the catalogues: with the
pseudo-locale on, whatever English is left is the collections' own text (marked ``lang="en"``),
data (in ``<bdi>``) or code (``translate="no"``), never interface text. The same finder as the
public pages' (tests/web/test_pseudo_locale.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from nte.config import Settings, get_settings
from tests.factories import bearer, make_map_report, make_user
from tests.web.test_pseudo_locale import untranslated

WARDS = "/ogc/collections/wards-2022-05"
HTML = {"accept": "text/html"}
PAGES = {
    "landing": ("/ogc", 200),
    "collections": ("/ogc/collections", 200),
    "collection": (WARDS, 200),
    "queryables": (f"{WARDS}/queryables", 200),
    "items": (f"{WARDS}/items?limit=5", 200),
    "items, filtered and empty": (f"{WARDS}/items?filter=name%3D%27nowhere%27", 200),
    "feature": (f"{WARDS}/items/{{ward}}", 200),
    "api": ("/ogc/api.html", 200),
    "conformance": ("/ogc/conformance", 200),
    "feature not found": (f"{WARDS}/items/NOPE", 404),
    "collection not found": ("/ogc/collections/nope", 404),
    "bad filter": (f"{WARDS}/items?filter=nmae%3D1", 400),
    "needs a token": ("/ogc/collections/reports/items", 401),
    "officer's reports": ("/ogc/collections/reports/items", 200),
}


@pytest.fixture()
def settings() -> Settings:
    return get_settings().model_copy(update={"pseudo_locale": True})


@pytest.mark.parametrize("name", list(PAGES))
def test_an_ogc_page_shows_only_catalogue_text(client, db, name):
    path, status = PAGES[name]
    headers = dict(HTML)
    if name == "officer's reports":
        make_map_report(db, lon=-0.1337, lat=51.5136, occurred_at=datetime(2026, 10, 2, 22, tzinfo=UTC))
        headers.update(bearer(db, make_user(db, role="officer")))
    if "{ward}" in path:
        features = client.get(f"{WARDS}/items", params={"limit": 1}).json()["features"]
        assert features, "no wards"
        path = path.format(ward=features[0]["id"])
    r = client.get(f"{path}{'&' if '?' in path else '?'}lang=qps", headers=headers)
    assert r.status_code == status, (name, r.status_code, r.text[:300])
    if name in ("items", "officer's reports"):
        assert "<tbody>" in r.text, f"{name}: no features to show, so no cell was checked"
    found = untranslated(r.text)
    assert not found, f"{name}: English that is not from the catalogues:\n" + "\n".join(found)
