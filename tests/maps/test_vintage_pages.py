"""Officers choose the ward boundaries (vintage) on the map pages (issue 17): the picker, the
boundaries named beside the figures, the choice kept on every link the page makes, a wrong vintage
shown on its field with every other value kept, and a ward code of another vintage a plain 404.
Server tests on both databases; one short browser test (picker, label, ward count, axe)."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit
from uuid import uuid4

import pytest

from nte.wards import service as ward_service
from tests.factories import login, make_map_report, make_user

SOHO = (-0.1337, 51.5136)
WESTMINSTER = "E09000033"
PERIOD = {"from": "2016-01-01", "to": "2016-12-31"}
#: Wards in the shipped files: all six boroughs, and Westminster's own.
WARDS = {"2013-12": (118, 20), "current": (125, 18)}


def _seed(db) -> int:
    """Police records in Soho through 2016 (every month), as the demo has."""
    for month in range(1, 13):
        make_map_report(
            db, lon=SOHO[0], lat=SOHO[1], occurred_at=datetime(2016, month, 5, 22, tzinfo=UTC), source="police"
        )
    return 12


def _officer(client, db) -> None:
    login(client, db, make_user(db, role="officer"))


def _options(page: str) -> list[tuple[str, str, bool]]:
    select = re.search(r'<select id="f-vintage" name="vintage"[^>]*>(.*?)</select>', page, re.S)
    assert select, "no ward boundaries picker on the page"
    return [
        (html.unescape(value), html.unescape(text).strip(), bool(selected))
        for value, selected, text in re.findall(
            r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select.group(1)
        )
    ]


def _layers(page: str) -> dict[str, dict]:
    layers = json.loads(html.unescape(re.search(r'data-layers="([^"]+)"', page).group(1)))
    return {layer.get("key") or layer["name"]: layer for layer in layers}


def _query_links(page: str) -> list[str]:
    """Every link on the page to a map page or the maps API that carries a query."""
    return [html.unescape(h) for h in re.findall(r'href="(/(?:officer/maps|api/maps)[^"]*\?[^"]*)"', page)]


def _run_links(page: str) -> list[str]:
    """The links to each source's runs of months, on the "Data covers" line."""
    covers = re.search(r'<p id="data-covers"[^>]*>(.*?)</p>', page, re.S)
    assert covers, "no data covers line"
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', covers.group(1))]


def _vintage_of(link: str) -> list[str]:
    return parse_qs(urlsplit(link).query).get("vintage", [])


def test_the_picker_offers_current_boundaries_and_every_vintage_by_name(client, db):
    _officer(client, db)
    page = client.get("/officer/maps", params=PERIOD)
    assert page.status_code == 200, page.text[:300]
    options = _options(page.text)
    sets = ward_service.vintages(db)
    assert {s.vintage for s in sets} >= {"2013-12", "2022-05"}
    assert options[0] == ("", "Current boundaries (each borough's: May 2022)", True)
    assert options[1:] == [(s.vintage, s.name, False) for s in sets]
    assert ("2013-12", "December 2013", False) in options
    assert '<label for="f-vintage">Ward boundaries</label>' in page.text
    assert 'aria-describedby="f-vintage-hint"' in page.text and 'id="f-vintage-hint"' in page.text
    assert re.search(r'id="ward-boundaries">.*current boundaries \(May 2022\)', page.text)
    assert '<details id="more-filters" class="more-filters">' in page.text  # closed: nothing in it is set


def test_december_2013_is_shown_named_and_kept_on_every_link(client, db, settings):
    total = _seed(db)
    _officer(client, db)
    r = client.get("/officer/maps", params={"vintage": "2013-12", **PERIOD})
    assert r.status_code == 200, r.text[:300]
    page = r.text
    assert [o for o in _options(page) if o[2]] == [("2013-12", "December 2013", True)]
    assert '<details id="more-filters" class="more-filters" open>' in page  # the choice is in view
    said = re.sub(r"<[^>]+>", "", re.search(r'<p class="applied" id="ward-boundaries">(.*?)</p>', page, re.S).group(1))
    assert said.split() == ["Wards:", "December", "2013", "boundaries"]
    assert re.search(r'id="legend-boundaries">Wards: December 2013 boundaries<', page)
    assert int(re.search(r'id="applied">.*?<strong>(\d+)</strong> reports', page, re.S).group(1)) == total

    # The map's data, as the page fetches it: the 2013 wards (20 in Westminster), not the current 18.
    layers = _layers(page)
    counts = {}
    for vintage, query in (
        ("2013-12", layers["wards"]["url"]),
        ("current", f"/api/maps/officer-map?{urlencode(PERIOD)}"),
    ):
        bundle = client.get(query).json()
        features = bundle["wards"]["features"]
        assert features, query
        counts[vintage] = (len(features), sum(f["properties"]["borough_code"] == WESTMINSTER for f in features))
        assert bundle["vintage"] == vintage
    assert counts == WARDS
    assert _vintage_of(layers["wards"]["url"]) == ["2013-12"] and _vintage_of(layers["hotspots"]["url"]) == ["2013-12"]
    assert _vintage_of(layers["wards"]["panel"]) == ["2013-12"]

    # Every link the page makes keeps the choice: each source's runs, the exports, the report, the wards.
    links = _query_links(page)
    kinds = {
        "runs": _run_links(page),
        "exports": [link for link in links if link.startswith("/api/maps/") or "/export.html?" in link],
        "report": [link for link in links if link.startswith("/officer/maps/report?")],
        "wards": [link for link in links if link.startswith("/officer/maps/wards/")],
    }
    assert all(kinds.values()), kinds
    assert len(kinds["exports"]) == 4 and len(kinds["wards"]) == WARDS["2013-12"][0]
    assert not [link for link in links + kinds["runs"] if _vintage_of(link) != ["2013-12"]]

    # Followed, each is in the 2013 boundaries and says so.
    ward_2013 = ward_service.locate(db, lon=SOHO[0], lat=SOHO[1], settings=settings, vintage="2013-12")
    panel_link = next(link for link in kinds["wards"] if f"/wards/{ward_2013.code}?" in link)
    panel = client.get(panel_link)
    assert panel.status_code == 200, panel.text[:300]
    assert f"({ward_2013.code})</h2>" in panel.text
    assert 'id="ward-panel-boundaries">Wards: December 2013 boundaries<' in panel.text
    assert "Reports per month in " + html.escape(ward_2013.name) in panel.text
    assert _chart_title(panel.text).endswith(f"({ward_2013.code}), December 2013 boundaries")
    report = client.get(kinds["report"][0])
    assert report.status_code == 200 and "<strong>Wards:</strong> December 2013 boundaries." in report.text
    back = html.unescape(re.search(r'<a href="(/officer/maps\?[^"]+)">Open this period on the map', report.text)[1])
    assert _vintage_of(back) == ["2013-12"]
    csv_link = next(link for link in kinds["exports"] if link.startswith("/api/maps/stats.csv?"))
    rows = list(csv.DictReader(io.StringIO(client.get(csv_link).text)))
    assert len(rows) == WARDS["2013-12"][0] and {r["ward_vintage"] for r in rows} == {"2013-12"}
    run = client.get(kinds["runs"][0])
    assert run.status_code == 200 and [o for o in _options(run.text) if o[2]][0][0] == "2013-12"


def test_links_in_the_current_boundaries_carry_no_vintage(client, db):
    _seed(db)
    _officer(client, db)
    page = client.get("/officer/maps", params=PERIOD).text
    links = _query_links(page)
    assert len(links) > 100
    assert not [link for link in links if _vintage_of(link)]
    assert 'id="legend-boundaries">Wards: current boundaries (May 2022)<' in page


KEPT = {"source": "police", "night": "1", "borough": WESTMINSTER, "day": "5", **PERIOD}


def test_a_vintage_that_does_not_exist_is_shown_on_its_field_with_every_other_value_kept(client, db):
    _seed(db)
    _officer(client, db)
    r = client.get("/officer/maps", params={"vintage": "1999-01", **KEPT})
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html"), r.text[:200]
    page = r.text
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S).group(0)
    assert "There are no ward boundaries of that vintage" in summary and 'href="#f-vintage"' in summary
    message = html.unescape(re.search(r'<span class="error-message" id="f-vintage-error">(.*?)</span>', page)[1])
    assert "2013-12" in message and "2022-05" in message  # what may be chosen
    assert re.search(r'<select id="f-vintage" name="vintage" aria-describedby="f-vintage-hint f-vintage-error"', page)
    assert 'aria-invalid="true"' in page
    assert not [o for o in _options(page) if o[2]]  # nothing that is not on offer is shown as chosen
    assert re.search(r'<input id="f-from"[^>]*value="2016-01-01"', page)
    assert re.search(r'<input id="f-to"[^>]*value="2016-12-31"', page)
    assert re.search(r'id="f-source-police" name="source" value="police" checked', page)
    assert re.search(r'id="f-night" name="night" value="1" checked', page)
    assert re.search(r'id="f-day-5" name="day" value="5" checked', page)
    assert re.search(rf'<option value="{WESTMINSTER}" selected>', page)
    assert '<details id="more-filters" class="more-filters" open>' in page
    assert 'id="map"' not in page
    # The coverage links do not carry the wrong vintage on.
    runs = _run_links(page)
    assert runs and not [link for link in runs if _vintage_of(link)]


def test_a_ward_code_of_another_vintage_is_a_404_naming_the_code(client, db, settings):
    _seed(db)
    _officer(client, db)
    old = ward_service.locate(db, lon=SOHO[0], lat=SOHO[1], settings=settings, vintage="2013-12")
    new = ward_service.locate(db, lon=SOHO[0], lat=SOHO[1], settings=settings)
    assert old.code != new.code
    for code, params in ((old.code, PERIOD), (new.code, {"vintage": "2013-12", **PERIOD})):
        for accept in ("text/html", "application/json"):
            r = client.get(f"/officer/maps/wards/{code}", params=params, headers={"accept": accept})
            assert r.status_code == 404, (code, accept, r.status_code, r.text[:200])
            assert code in html.unescape(r.text)
    assert client.get(f"/officer/maps/wards/{old.code}", params={"vintage": "2013-12", **PERIOD}).status_code == 200
    assert client.get(f"/officer/maps/wards/{new.code}", params=PERIOD).status_code == 200


def _chart_title(page: str) -> str:
    match = re.search(r'<title id="trend-title">(.*?)</title>', page, re.S)
    assert match, "no trend chart"
    return html.unescape(match.group(1))


# --- in a browser -----------------------------------------------------------------------------------

PASSWORD = "a vintage picker password"  # noqa: S105


@pytest.mark.browser
def test_an_officer_picks_december_2013_and_the_map_changes(page, live_server):
    from playwright.sync_api import expect

    from nte.auth import service as auth_service
    from nte.db import utcnow
    from tests.support.browser import axe_check, sign_in

    email = f"vintage-officer-{uuid4().hex[:6]}@example.org"
    with live_server.session_factory.begin() as s:
        auth_service.create_user(
            s, email=email, display_name="Vintage officer", role="officer", password=PASSWORD, confirmed_at=utcnow()
        )
    sign_in(page, live_server, email, PASSWORD)
    page.goto(f"{live_server.url}/officer/maps?{urlencode(PERIOD)}")
    page.wait_for_selector("#map[data-loaded-wards]", state="attached")
    expect(page.locator("#ward-boundaries")).to_contain_text("current boundaries (May 2022)")
    assert int(page.get_attribute("#map", "data-loaded-wards")) == WARDS["current"][0]
    # Keyboard: the disclosure opens from the keyboard, and the picker is reached and set from it.
    page.focus("details#more-filters summary")
    page.keyboard.press("Enter")
    assert page.locator("#more-filters").get_attribute("open") is not None
    page.focus("#f-vintage")
    page.select_option("#f-vintage", label="December 2013")
    axe_check(page)
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    page.wait_for_selector("#map[data-loaded-wards]", state="attached")
    expect(page.locator("#ward-boundaries")).to_have_text("Wards: December 2013 boundaries")
    expect(page.locator("#f-vintage")).to_have_value("2013-12")
    assert int(page.get_attribute("#map", "data-loaded-wards")) == WARDS["2013-12"][0]
    assert "vintage=2013-12" in page.url
    axe_check(page)
