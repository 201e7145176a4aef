"""Every maps route, JSON and page, officer and public, refuses what it does not know: an unknown
parameter name (a misspelt ``categroy=``, ``hour_band=25``) or an unknown value (``category=nosuch``,
``source=twitter``, ``hours=25``) is a 422 naming the field, in the JSON body or in words on the page,
never a 200 with zero results and never a 500. The check lives in the shared filter parsing
(``nte.maps.filters``); the walk below finds the routes from the app itself, so a new maps route is
walked too."""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.routing import APIRoute

from nte.wards import service as ward_service
from tests.factories import login, make_patrol_area, make_user
from tests.maps.test_router import _seed

SOHO = (-0.1337, 51.5136)
MONTH = {"from": "2026-10-01", "to": "2026-10-31"}
#: Unknown parameter names, each with a value that would be a good value of some parameter.
UNKNOWN_NAMES = {"categroy": "spiking", "hour_band": "25", "sources": "police"}
#: Every maps route that takes the officer's filter, and those that do not.
FILTER_ROUTES = {
    "/api/maps/stats",
    "/api/maps/stats.csv",
    "/api/maps/stats.geojson",
    "/api/maps/hotspots.geojson",
    "/api/maps/officer-map",
    "/officer/maps",
    "/officer/maps/wards/{code}",
    "/officer/maps/export.html",
    "/officer/maps/report",
}
#: Unknown values of the filter, by field.
UNKNOWN_FILTER_VALUES = {"category": "nosuch", "source": "twitter", "hours": "25", "day": "funday"}


def _maps_routes(app) -> list[APIRoute]:
    """Every GET route of the maps domain, from the routers the app includes (``nte.app.ROUTERS``)."""
    from nte.app import ROUTERS

    return [
        r
        for router in ROUTERS
        for r in router.routes
        if isinstance(r, APIRoute) and "GET" in r.methods and r.endpoint.__module__.startswith("nte.maps.")
    ]


@pytest.fixture()
def signed_in(client, db, settings):
    """An admin (officer and staff pages both open to them), a patrol area, a month of reports."""
    login(client, db, make_user(db, role="admin"))
    area = make_patrol_area(db)
    _seed(db)  # October 2026, enough distinct points for the hot spot grid
    ward = ward_service.locate(db, lon=SOHO[0], lat=SOHO[1], settings=settings)
    return {"area": area, "ward": ward}


def _base(path: str, ctx) -> tuple[str, dict[str, str]]:
    """The route's address and the parameters of a request it answers with 200."""
    url = path.replace("{code}", ctx["ward"].code)
    if path in FILTER_ROUTES:
        return url, dict(MONTH)
    if "coordinator" in path:
        return url, {"area": str(ctx["area"].id)}
    return url, {}


def _named(response, field: str) -> bool:
    """Whether the 4xx answer names the field: in the JSON body, or in words on the page."""
    if response.headers["content-type"].startswith("application/json"):
        body = response.json()
        return body.get("field") == field or any(f.get("field") == field for f in body.get("fields", []))
    return f"'{field}'" in unescape(response.text) or f'data-field="{field}"' in response.text


def test_the_walk_finds_every_maps_route(app):
    paths = {r.path for r in _maps_routes(app)}
    assert len(paths) >= 13, sorted(paths)
    assert FILTER_ROUTES <= paths
    assert {"/map", "/api/maps/public/wards.geojson", "/api/maps/coordinator", "/coordinator/maps"} <= paths


def test_every_maps_route_answers_its_good_request(client, app, signed_in):
    routes = _maps_routes(app)
    assert routes
    for route in routes:
        url, params = _base(route.path, signed_in)
        r = client.get(url, params=params, headers={"Accept": "text/html"})
        assert r.status_code == 200, (route.path, r.status_code, r.text[:300])


@pytest.mark.parametrize("name", sorted(UNKNOWN_NAMES))
def test_every_maps_route_refuses_an_unknown_parameter_naming_it(client, app, signed_in, name):
    routes = _maps_routes(app)
    assert routes
    for route in routes:
        url, params = _base(route.path, signed_in)
        for accept in ("application/json", "text/html"):
            r = client.get(url, params=params | {name: UNKNOWN_NAMES[name]}, headers={"Accept": accept})
            assert r.status_code == 422, (route.path, accept, r.status_code, r.text[:300])
            assert _named(r, name), (route.path, accept, r.text[:2000])


@pytest.mark.parametrize(("field", "value"), sorted(UNKNOWN_FILTER_VALUES.items()))
def test_every_filter_route_refuses_an_unknown_value_naming_the_field(client, app, signed_in, field, value):
    routes = [r for r in _maps_routes(app) if r.path in FILTER_ROUTES]
    assert len(routes) == len(FILTER_ROUTES)
    for route in routes:
        url, params = _base(route.path, signed_in)
        for accept in ("application/json", "text/html"):
            r = client.get(url, params=params | {field: value}, headers={"Accept": accept})
            assert r.status_code == 422, (route.path, field, accept, r.status_code, r.text[:300])
            if r.headers["content-type"].startswith("application/json"):
                assert _named(r, field), (route.path, r.text)
            else:
                assert re.search(r"There is a problem|cannot be|no category|Tick|hour band", r.text), route.path


def test_an_unknown_category_on_the_api_is_a_422_not_zero_results(client, signed_in):
    """The demo's finding: ``category=nosuch`` answered 200 with every ward at 0."""
    r = client.get("/api/maps/stats", params=MONTH | {"category": "nosuch"})
    assert r.status_code == 422, r.text[:300]
    assert r.json()["field"] == "category" and "nosuch" in r.json()["detail"]
    good = client.get("/api/maps/stats", params=MONTH | {"category": "verbal_harassment"})
    assert good.status_code == 200


def test_the_officer_map_shows_a_misspelt_filter_in_words_and_keeps_the_rest(client, signed_in):
    r = client.get("/officer/maps", params=MONTH | {"categroy": "spiking"})
    assert r.status_code == 422
    text = unescape(r.text)
    assert "This map has no filter called 'categroy'" in text and 'href="#f-categroy"' in r.text
    assert 'value="2026-10-01"' in r.text  # the other values are kept in the form


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"source": "twitter"}, "source"),
        ({"period": "month-1999-01"}, "period"),
        ({"categroy": "spiking"}, "categroy"),
        ({"from": "2026-10-01"}, "from"),
    ],
)
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_public_map_refuses_unknown_input_in_words_in_the_readers_language(client, db, params, field, lang):
    r = client.get("/map", params=params | {"lang": lang})
    assert r.status_code == 422, r.text[:300]
    assert f'data-field="{field}"' in r.text and 'role="alert"' in r.text
    assert 'id="map"' in r.text  # the opening view is still shown
    if lang == "ar":
        assert "There is a problem" not in r.text
    api = client.get("/api/maps/public/wards.geojson", params=params)
    assert api.status_code == 422 and api.json()["field"] == field, api.text[:300]


def test_the_coordinator_page_names_an_unknown_parameter(client, signed_in):
    r = client.get("/coordinator/maps", params={"area": signed_in["area"].id, "hour_band": "25"})
    assert r.status_code == 422 and "'hour_band'" in unescape(r.text)
    api = client.get("/api/maps/coordinator", params={"area": signed_in["area"].id, "hours": "25"})
    assert api.status_code == 422 and any(f["field"] == "hours" for f in api.json()["fields"]), api.text
