"""Whose data it is. Public reports (people reporting through NTE Safe, here or on the council's partner
forms) and police-recorded crime (the police.uk import, auto-accepted) are two sources, labelled as such
on every map, legend, ward panel, export and figure. The public map shows public reports by default and
police-recorded crime only as a separately labelled choice, each its own published (suppressed,
rounded, frozen) figures, never added together; the officer map counts both by default, labelled,
with the two counts kept apart. police.uk's licence (OGL v3.0) is credited wherever its records show."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from html import unescape

import pytest

from nte.maps import public as public_service
from nte.wards import service as ward_service
from tests.factories import login, make_map_report, make_user

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
OCTOBER = datetime(2026, 10, 10, 21, tzinfo=UTC)
MONTH = {"from": "2026-10-01", "to": "2026-10-31"}
SOHO = (-0.1337, 51.5136)
HACKNEY = (-0.0553, 51.5450)
OGL = "Open Government Licence v3.0"


def _reports(db, spot, n, *, source="public", when=OCTOBER):
    for _ in range(n):
        if source == "police":
            make_map_report(
                db,
                lon=spot[0],
                lat=spot[1],
                occurred_at=when.replace(day=1, hour=0),
                source="police",
                time_precision="month",
            )
        else:
            make_map_report(db, lon=spot[0], lat=spot[1], occurred_at=when, source=source)


def _ward(view, code):
    return next(f["properties"] for f in view["features"] if f["id"] == code)


# --- the public map: one source at a time --------------------------------------------------------


def test_the_public_view_is_public_reports_by_default_and_police_only_when_chosen(db, settings):
    """The demo's finding: with police records auto-accepted, the public "reports of harassment"
    map was coloured by police records. Now its default figure is public reports alone."""
    soho = ward_service.locate(db, lon=SOHO[0], lat=SOHO[1], settings=settings)
    _reports(db, SOHO, 25, source="police")
    _reports(db, SOHO, 11)
    _reports(db, SOHO, 2, source="import")  # partner forms: public reports too
    default = public_service.public_view(db, period_id="month-2026-10", settings=settings, now=NOW)
    assert default["source"] == "public" and "NTE Safe" in default["source_label"]
    assert default["source_attribution"] is None
    props = _ward(default, soho.code)
    assert props["source"] == "public" and props["value"] == 15 and props["shown"] == "15"  # 13, rounded
    assert "sources" not in props and "sources" not in default  # the other source is not in it
    police = public_service.public_view(db, period_id="month-2026-10", settings=settings, now=NOW, source="police")
    assert police["source"] == "police" and OGL in police["source_attribution"]
    assert _ward(police, soho.code)["value"] == 25 and _ward(police, soho.code)["source"] == "police"
    # Never the two added together (38 -> "40"), in any ward of either view.
    for view in (default, police):
        features = view["features"]
        assert len(features) >= 100
        assert all(f["properties"]["value"] != 40 for f in features)


def test_the_two_public_sources_cannot_be_combined_to_reveal_a_report(db, settings):
    """8 public reports and 5 police records in one ward-month: each is below the threshold, so each
    view says "fewer than 10"; their sum (13, which would publish as "15") is published nowhere, so
    nothing a public caller reads, alone or side by side, shows that any report was made."""
    soho = ward_service.locate(db, lon=SOHO[0], lat=SOHO[1], settings=settings)
    hackney = ward_service.locate(db, lon=HACKNEY[0], lat=HACKNEY[1], settings=settings)
    _reports(db, SOHO, 8)
    _reports(db, SOHO, 5, source="police")
    _reports(db, HACKNEY, 12)  # a ward with a figure, so the month is published with numbers
    views = {
        source: public_service.public_view(db, period_id="month-2026-10", settings=settings, now=NOW, source=source)
        for source in public_service.PUBLIC_SOURCES
    }
    assert len(views) == 2
    for source, view in views.items():
        props = _ward(view, soho.code)
        assert props["value"] is None and props["shown"] == "fewer than 10", source
    assert _ward(views["public"], hackney.code)["value"] == 10
    assert _ward(views["police"], hackney.code)["value"] is None
    # The quarter holding October, once offered, is made of the same frozen month figures: Soho reads
    # "fewer than 10" there too, in both sources, even after more reports arrive late.
    _reports(db, SOHO, 4)
    later = datetime(2027, 1, 20, 12, tzinfo=UTC)
    for source in public_service.PUBLIC_SOURCES:
        quarter = public_service.public_view(
            db, period_id="quarter-2026-Q4", settings=settings, now=later, source=source
        )
        assert _ward(quarter, soho.code)["value"] is None, source


def test_each_public_source_is_exactly_its_published_month_figures(db, settings):
    """Every ward of every offered period, in each source's view, is the sum of that source's own
    frozen month figures: the view adds nothing of the other source."""
    for month in (8, 9, 10):
        _reports(db, SOHO, 6 + month, when=OCTOBER.replace(month=month))
        _reports(db, SOHO, 3 * month - 12, source="police", when=OCTOBER.replace(month=month))
        _reports(db, HACKNEY, month, source="import", when=OCTOBER.replace(month=month))
    where = ward_service.placement(db, settings=settings)
    periods = public_service.offered_periods(db, settings=settings, now=NOW)
    assert periods
    months = sorted({m for p in periods for m in public_service.months_of(p)})
    atoms = public_service.freeze_months(db, months, where=where, settings=settings, now=NOW)
    checked = 0
    for period in periods:
        for source, key in public_service.PUBLIC_SOURCES.items():
            view = public_service.public_view(db, period_id=period.id, settings=settings, now=NOW, source=source)
            for feature in view["features"]:
                figures = [atoms[m][key][feature["id"]] for m in public_service.months_of(period)]
                known = [v for v in figures if v is not None]
                assert feature["properties"]["value"] == (sum(known) if known else None), (period.id, source)
                checked += 1
    assert checked >= 2 * len(periods) * 100


def test_the_public_api_serves_one_source_and_refuses_others(client, db, settings):
    _reports(db, SOHO, 12)
    _reports(db, SOHO, 12, source="police")
    periods = client.get("/api/maps/public/periods").json()
    assert periods
    period = periods[0]["id"]
    public = client.get("/api/maps/public/wards.geojson", params={"period": period})
    police = client.get("/api/maps/public/wards.geojson", params={"period": period, "source": "police"})
    assert public.status_code == police.status_code == 200
    assert public.json()["source"] == "public" and police.json()["source"] == "police"
    assert {f["properties"]["source"] for f in public.json()["features"]} == {"public"}
    assert {f["properties"]["source"] for f in police.json()["features"]} == {"police"}
    assert OGL in police.json()["source_attribution"] and public.json()["source_attribution"] is None
    for bad in ("twitter", "site", "all", "public,police"):
        r = client.get("/api/maps/public/wards.geojson", params={"period": period, "source": bad})
        assert r.status_code == 422 and r.json()["field"] == "source", bad


def test_the_public_page_says_which_source_it_shows_and_links_the_other(client, db, settings):
    soho = ward_service.locate(db, lon=SOHO[0], lat=SOHO[1], settings=settings)
    _reports(db, SOHO, 12, source="police", when=datetime(2016, 6, 1, tzinfo=UTC))
    # The demo: police records only. The public map opens on public reports, and says there are none.
    r = client.get("/map")
    assert r.status_code == 200
    text = unescape(r.text)
    assert "<h1>Public reports of harassment by ward</h1>" in text
    assert 'id="source-shown" class="source-shown" data-source="public"' in r.text
    assert "No figures have been published yet" in text
    assert re.search(r'<a href="/map\?source=police" data-source-choice="police">Police-recorded crime</a>', r.text)
    assert 'data-source="police"' not in r.text.split('id="public-figures"')[1]  # no police column
    assert "data.police.uk" not in r.text  # no police records shown, so no police credit either
    # The choice: police-recorded crime, its own period list, its own heading, legend and credit.
    police = client.get("/map", params={"source": "police"})
    assert police.status_code == 200
    assert "<h1>Police-recorded crime by ward</h1>" in police.text
    assert 'aria-current="page">Police-recorded crime</a>' in police.text
    assert "Police-recorded crimes in the ward (published figures)" in police.text
    assert 'data-period="year-2016"' in police.text
    row = re.search(rf'<tr data-ward="{soho.code}">.*?</tr>', police.text, re.S)
    assert row and 'data-source="police"' in row.group(0) and "10, with fewer than 10" in row.group(0)
    assert 'id="police-attribution"' in police.text and OGL in police.text
    layers = json.loads(unescape(re.search(r'data-layers="([^"]*)"', police.text).group(1)))
    assert layers[0]["url"] == "/api/maps/public/wards.geojson?period=year-2016&source=police"
    assert layers[0]["name"] == "Police-recorded crime by ward"


@pytest.mark.parametrize("lang", ["ar", "pl"])
def test_the_source_switch_keeps_the_language(client, db, lang):
    r = client.get("/map", params={"lang": lang})
    assert r.status_code == 200
    assert f'href="/map?source=police&amp;lang={lang}"' in r.text
    assert f'href="/map?lang={lang}"' in r.text
    police = client.get("/map", params={"lang": lang, "source": "police"})
    assert police.status_code == 200 and "Police-recorded crime by ward" not in police.text
    assert "Which figures the map shows" not in police.text and "Public reports" not in police.text


# --- the officer map: both sources by default, labelled, counted apart ----------------------------


@pytest.fixture()
def officer(client, db, settings):
    login(client, db, make_user(db, role="officer"))
    _reports(db, SOHO, 7)
    _reports(db, SOHO, 2, source="import")
    _reports(db, SOHO, 5, source="police")
    return ward_service.locate(db, lon=SOHO[0], lat=SOHO[1], settings=settings)


def test_officer_json_labels_the_sources_and_keeps_their_counts_apart(client, officer):
    both = client.get("/api/maps/stats", params=MONTH).json()
    ward = next(w for w in both["wards"] if w["code"] == officer.code)
    assert ward["count"] == 14 and ward["counts_by_source"] == {"public": 9, "police": 5}
    assert ward["source"] == "public reports and police-recorded crime"
    assert any(n.startswith("Source: Public reports and police-recorded crime") for n in both["notes"])
    assert any(OGL in n for n in both["notes"])
    public = client.get("/api/maps/stats", params=MONTH | {"source": "public,import"}).json()
    ward = next(w for w in public["wards"] if w["code"] == officer.code)
    assert ward["count"] == 9 and ward["counts_by_source"] == {"public": 9}
    assert ward["source"] == "public reports" and not any(OGL in n for n in public["notes"])
    police = client.get("/api/maps/stats", params=MONTH | {"source": "police"}).json()
    assert next(w for w in police["wards"] if w["code"] == officer.code)["counts_by_source"] == {"police": 5}
    bundle = client.get("/api/maps/officer-map", params=MONTH).json()
    assert bundle["source"] == "public reports and police-recorded crime" and OGL in bundle["source_attribution"]
    assert bundle["source_totals"] == {"public": 9, "police": 5}


def test_officer_exports_state_the_source(client, officer):
    rows = list(csv.DictReader(io.StringIO(client.get("/api/maps/stats.csv", params=MONTH).text)))
    assert rows
    row = next(r for r in rows if r["ward_code"] == officer.code)
    assert row["source"] == "public reports and police-recorded crime"
    assert (row["count"], row["public_reports_count"], row["police_recorded_crime_count"]) == ("14", "9", "5")
    assert all("Source: Public reports and police-recorded crime" in r["source_notes"] for r in rows)
    assert all(OGL in r["source_notes"] for r in rows)
    public_rows = list(
        csv.DictReader(io.StringIO(client.get("/api/maps/stats.csv", params=MONTH | {"source": "public"}).text))
    )
    row = next(r for r in public_rows if r["ward_code"] == officer.code)
    assert (row["source"], row["police_recorded_crime_count"]) == ("public reports", "")
    assert OGL not in row["source_notes"]
    geo = json.loads(client.get("/api/maps/stats.geojson", params=MONTH).text)
    assert geo["features"]
    props = next(f["properties"] for f in geo["features"] if f["id"] == officer.code)
    assert props["source"] == "public reports and police-recorded crime"
    assert props["counts_by_source"] == {"public": 9, "police": 5}
    assert OGL in geo["source_attribution"] and any(n.startswith("Source:") for n in geo["notes"])
    html = client.get("/officer/maps/export.html", params=MONTH).text
    assert "Source: public reports and police-recorded crime." in html and OGL in html


def test_the_officer_map_ward_panel_and_report_label_both_sources(client, officer):
    page = client.get("/officer/maps", params=MONTH)
    assert page.status_code == 200
    text = unescape(page.text)
    assert 'id="legend-source"' in page.text and "Counting: public reports and police-recorded crime" in text
    assert re.search(r'data-source-total="public">public reports <strong>9</strong>', page.text)
    assert re.search(r'data-source-total="police">police-recorded crime <strong>5</strong>', page.text)
    assert 'id="police-attribution"' in page.text
    assert "Police-recorded crime (police.uk)" in text and "Public reports made here" in text  # the choices
    panel = client.get(f"/officer/maps/wards/{officer.code}", params=MONTH)
    assert panel.status_code == 200
    assert re.search(r'data-figure="source-public">9<', panel.text)
    assert re.search(r'data-figure="source-police">5<', panel.text)
    assert OGL in panel.text
    only_public = client.get(f"/officer/maps/wards/{officer.code}", params=MONTH | {"source": "public"})
    assert 'data-figure="source-police"' not in only_public.text and OGL not in only_public.text
    report = client.get("/officer/maps/report", params=MONTH)
    assert report.status_code == 200
    assert '<th scope="col" class="num" data-source="police">Police-recorded crime</th>' in report.text
    assert OGL in report.text


def test_the_officers_point_map_says_whose_record_each_point_is(client, officer):
    points = client.get("/api/reports/points", params={"date_from": MONTH["from"], "date_to": MONTH["to"]})
    assert points.status_code == 200, points.text[:300]
    features = points.json()["features"]
    assert features
    by_source = {f["properties"]["source"]: f["properties"]["source_label"] for f in features}
    assert by_source == {
        "public": "public report",
        "import": "public report (partner form)",
        "police": "police-recorded crime (police.uk)",
    }
    page = client.get("/officer/reports/map")
    assert page.status_code == 200 and 'id="police-attribution"' in page.text and OGL in page.text
