"""The officer's map pages without a browser, on both databases: the period they open on and what
they say the data covers, compact filters, mistakes shown in plain words with every value kept, the
printable report following the map's period, and ward names with their codes."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from nte.db import utcnow
from nte.maps.filters import add_months, london_today
from tests.factories import login, make_map_report, make_user

SOHO = (-0.1337, 51.5136)
WESTMINSTER = "E09000033"


def _this_month() -> date:
    return london_today(utcnow()).replace(day=1)


def _seed(db) -> dict[str, int]:
    """Police records in January and December 2016; reports made here two months ago and last month."""
    counts = {"police": 0, "public": 0}
    for month, n in ((1, 3), (12, 4)):
        for i in range(n):
            when = datetime(2016, month, 2 + i, 22, tzinfo=UTC)
            make_map_report(db, lon=SOHO[0], lat=SOHO[1], occurred_at=when, source="police")
            counts["police"] += 1
    for back, n in ((2, 2), (1, 3)):
        first = add_months(_this_month(), -back)
        for i in range(n):
            when = datetime(first.year, first.month, 3 + i, 21, tzinfo=UTC)
            make_map_report(db, lon=SOHO[0], lat=SOHO[1], occurred_at=when)
            counts["public"] += 1
    return counts


def _officer(client, db) -> None:
    login(client, db, make_user(db, role="officer"))


def _input_value(page: str, field_id: str) -> str:
    match = re.search(rf'<input id="{field_id}"[^>]*value="([^"]*)"', page)
    assert match, f"no input #{field_id} on the page"
    return html.unescape(match.group(1))


def _checked(page: str, field_id: str) -> bool:
    match = re.search(rf'<input type="checkbox" id="{field_id}"[^>]*>', page)
    assert match, f"no checkbox #{field_id} on the page"
    return " checked" in match.group(0)


def _total(page: str) -> int:
    match = re.search(r'id="applied">.*?<strong>(\d+)</strong> reports', page, re.S)
    assert match, "the page does not say how many reports the selection has"
    return int(match.group(1))


def test_map_opens_on_the_latest_period_with_data_and_says_what_each_source_covers(client, db):
    counts = _seed(db)
    _officer(client, db)
    page = client.get("/officer/maps")
    assert page.status_code == 200, page.text
    last = add_months(_this_month(), -1)
    start = add_months(last, -11)
    assert _input_value(page.text, "f-from") == start.isoformat()
    assert _input_value(page.text, "f-to") == (_this_month() - timedelta(days=1)).isoformat()
    covers = re.sub(r"<[^>]+>", "", re.search(r'<p id="data-covers"[^>]*>(.*?)</p>', page.text, re.S).group(1))
    two_ago = add_months(_this_month(), -2)
    # Police records only in January and December: two runs, not "Jan - Dec" (ten empty months).
    assert "Jan 2016, Dec 2016 (police.uk)" in covers
    site = (
        f"{two_ago:%b} - {last:%b %Y}" if two_ago.year == last.year else f"{two_ago:%b %Y} - {last:%b %Y}"
    ) + " (reports made here)"
    assert site in covers
    assert "the latest period that has data" in page.text
    assert _total(page.text) == counts["public"]
    # One source chosen, no dates: that source's own latest period, which the coverage line links to.
    police = client.get("/officer/maps", params={"source": "police"})
    assert police.status_code == 200
    assert _input_value(police.text, "f-from") == "2016-01-01"
    assert _input_value(police.text, "f-to") == "2016-12-31"
    assert _total(police.text) == counts["police"]
    # Each run links to its own months.
    assert 'href="/officer/maps?from=2016-01-01&amp;to=2016-01-31&amp;source=police">Jan 2016<' in page.text
    assert 'href="/officer/maps?from=2016-12-01&amp;to=2016-12-31&amp;source=police">Dec 2016<' in page.text


def test_a_source_with_years_between_its_months_is_shown_as_runs_each_linked(client, db):
    """The demo's police.uk data: 2016 for five boroughs, and one City of London month in 2020. The
    coverage line says so, instead of "Jan 2016 - Jan 2020", and the 2016 link opens on 2016."""
    for month in range(1, 13):
        make_map_report(
            db, lon=SOHO[0], lat=SOHO[1], occurred_at=datetime(2016, month, 10, 22, tzinfo=UTC), source="police"
        )
    make_map_report(db, lon=SOHO[0], lat=SOHO[1], occurred_at=datetime(2020, 1, 10, 22, tzinfo=UTC), source="police")
    _officer(client, db)
    page = client.get("/officer/maps")
    covers = re.sub(r"<[^>]+>", "", re.search(r'<p id="data-covers"[^>]*>(.*?)</p>', page.text, re.S).group(1))
    assert "Jan - Dec 2016, Jan 2020 (police.uk)" in covers
    assert 'href="/officer/maps?from=2016-01-01&amp;to=2016-12-31&amp;source=police">Jan - Dec 2016<' in page.text
    linked = client.get("/officer/maps", params={"from": "2016-01-01", "to": "2016-12-31", "source": "police"})
    assert _total(linked.text) == 12


def test_without_any_data_the_map_opens_on_the_last_twelve_months_and_says_so(client, db):
    _officer(client, db)
    page = client.get("/officer/maps")
    assert page.status_code == 200
    assert _input_value(page.text, "f-from") == add_months(_this_month(), -12).isoformat()
    assert "There are no counted reports yet." in page.text
    assert _total(page.text) == 0


def test_the_api_and_the_standalone_export_use_the_same_default_period(client, db):
    _seed(db)
    _officer(client, db)
    body = client.get("/api/maps/stats", params={"source": "police"}).json()
    assert body["months"][0] == "2016-01" and body["months"][-1] == "2016-12"
    export = client.get("/officer/maps/export.html", params={"source": "police"})
    assert export.status_code == 200
    assert 'filename="nte-map-2016-01-01-2016-12-31.html"' in export.headers["content-disposition"]
    assert "Data covers: Jan 2016, Dec 2016 (police.uk)" in export.text
    assert '"Ward code"' in export.text  # the ward tooltips name the ward and its code


def test_filters_are_compact_and_the_rest_opens_itself_when_set(client, db):
    _officer(client, db)
    plain = client.get("/officer/maps").text
    assert re.search(r'<details id="more-filters" class="more-filters">', plain)  # closed
    for main in ("f-from", "f-to", "f-source-police", "f-night"):
        assert f'id="{main}"' in plain.split('<details id="more-filters"')[0]
    opened = client.get("/officer/maps", params={"borough": WESTMINSTER}).text
    assert '<details id="more-filters" class="more-filters" open>' in opened
    night = client.get("/officer/maps", params={"night": "1"}).text
    assert _checked(night, "f-night") and _input_value(night, "f-hours") == ""
    assert "hours 18:00-06:00" in night  # the one-line summary of what is applied
    assert '<details id="more-filters" class="more-filters">' in night  # night-time only is a main choice


KEPT = {"source": "police", "night": "1", "borough": WESTMINSTER, "day": "5"}


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"from": "2026-10-10", "to": "2026-10-01"}, "to", "The end date is before the start date"),
        ({"from": "2026-02-30", "to": "2026-03-31"}, "from", "The start date is not a date"),
        ({"from": "2026-10-01", "to": "2026-10-31", "category": "made_up"}, "category", "no category called"),
        ({"from": "2026-10-01", "to": "2026-10-31", "cell_size": "10"}, "cell_size", "from 50 to 5,000"),
        ({"from": "2026-10-01", "to": "2026-10-31", "hours": "late"}, "hours", "hour band like 18-06"),
    ],
)
def test_a_mistake_is_shown_beside_its_field_in_plain_words_and_every_value_is_kept(client, db, params, field, words):
    _officer(client, db)
    r = client.get("/officer/maps", params=params | KEPT)
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html"), r.text[:200]
    page = r.text
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S).group(0)
    assert words in summary and f'href="#f-{field}"' in summary
    message = re.search(rf'<span class="error-message" id="f-{field}-error">(.*?)</span>', page).group(1)
    assert words in html.unescape(message)
    assert not re.search(r"'(from|to|cell_size|hours|category)'", html.unescape(page))  # no developer words
    # Every other value as it was sent; the disclosure open (it holds a set value, or the error).
    assert _input_value(page, "f-from") == params["from"] and _input_value(page, "f-to") == params["to"]
    assert _checked(page, "f-source-police") and not _checked(page, "f-source-public")
    assert _checked(page, "f-night") and _checked(page, "f-day-5") and not _checked(page, "f-day-1")
    assert re.search(rf'<option value="{WESTMINSTER}" selected>', page)
    assert '<details id="more-filters" class="more-filters" open>' in page
    if "cell_size" in params:
        assert _input_value(page, "f-cell_size") == params["cell_size"]
    if "category" in params:
        assert re.search(r'name="category" value="made_up" checked', page)
    assert 'id="map"' not in page  # no map of some other selection under the mistake


def test_several_mistakes_are_all_named_at_once(client, db):
    _officer(client, db)
    r = client.get("/officer/maps", params={"from": "2026-10-01", "to": "2026-10-31", "hours": "x", "cell_size": "9"})
    assert r.status_code == 422
    assert 'id="f-hours-error"' in r.text and 'id="f-cell_size-error"' in r.text


def test_printable_report_follows_the_maps_period_and_numbers(client, db):
    counts = _seed(db)
    _officer(client, db)
    page = client.get("/officer/maps", params={"from": "2016-01-01", "to": "2016-12-31", "source": "police"}).text
    link = html.unescape(re.search(r'<a id="printable-report" href="([^"]+)"', page).group(1))
    assert "from=2016-01-01" in link and "to=2016-12-31" in link and "source=police" in link
    report = client.get(link)
    assert report.status_code == 200
    assert re.search(r'id="report-period">1 Jan 2016 to 31 Dec 2016<', report.text)
    total = int(re.search(r'id="report-total">(\d+)<', report.text).group(1))
    assert total == _total(page) == counts["police"]
    assert "Data covers:" in report.text and "(police.uk)" in report.text
    # With nothing chosen: the latest month that has data.
    latest = client.get("/officer/maps/report").text
    last = add_months(_this_month(), -1)
    assert re.search(rf'id="report-period">{last:%B %Y}<', latest)
    assert int(re.search(r'id="report-total">(\d+)<', latest).group(1)) == 3
    assert client.get("/officer/maps/report", params={"month": "2026-13"}).status_code == 422


def test_ward_panel_names_the_ward_and_its_code(client, db, settings):
    from nte.wards import service as ward_service

    _seed(db)
    _officer(client, db)
    ward = ward_service.locate(db, lon=SOHO[0], lat=SOHO[1], settings=settings)
    panel = client.get(f"/officer/maps/wards/{ward.code}", params={"from": "2016-01-01", "to": "2016-12-31"})
    assert panel.status_code == 200
    assert f"<h2><bdi>{html.escape(ward.name)}</bdi> ({ward.code})</h2>" in panel.text
    page = client.get("/officer/maps", params={"from": "2016-01-01", "to": "2016-12-31"}).text
    assert f"<bdi>{html.escape(ward.name)}</bdi> ({ward.code})" in page


def test_the_legend_names_each_layer_and_the_confidence_levels(client, db):
    _officer(client, db)
    page = client.get("/officer/maps").text
    assert "Layer 1, wards" in page and "Layer 2, hot spot cells" in page
    for level in (90, 95, 99):
        assert f"Hot spot, {level}% confidence" in page and f"Cold spot, {level}% confidence" in page
    assert page.count("swatch-cell swatch-cold") == 3 and page.count("swatch-cell swatch-hot") == 3
    layers = html.unescape(re.search(r'data-layers="([^"]+)"', page).group(1))
    assert '"palette"' in layers and '"cellStyle": "outlined"' in layers
