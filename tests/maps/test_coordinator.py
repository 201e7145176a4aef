"""Coordinator view: hotspots in and near a patrol area in its series' hours, and the strongest hot
spots no patrol area covers (patrol areas and series from the patrols service)."""

from __future__ import annotations

import math
import random
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest

from nte.maps.coordinator import coordinator_view
from nte.maps.exceptions import InvalidMapFilter, UnknownPatrolArea
from nte.maps.grid import points_to_bng
from tests.factories import login, make_map_report, make_patrol_area, make_user

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
COVENT_GARDEN = (-0.1235, 51.5115)
SOHO = (-0.1340, 51.5140)


def _fridays():
    day = date(2026, 9, 4)
    while day < date(2026, 11, 21):
        yield day
        day += timedelta(days=7)


def _seed(db):
    rng = random.Random(11)
    for friday in _fridays():
        night = datetime(friday.year, friday.month, friday.day, 22, 15, tzinfo=UTC)  # 23:15 or 22:15 London
        for _ in range(3):
            make_map_report(
                db,
                lon=SOHO[0] + rng.uniform(-0.0008, 0.0008),
                lat=SOHO[1] + rng.uniform(-0.0004, 0.0004),
                occurred_at=night,
            )
            make_map_report(
                db,
                lon=COVENT_GARDEN[0] + rng.uniform(-0.0008, 0.0008),
                lat=COVENT_GARDEN[1] + rng.uniform(-0.0004, 0.0004),
                occurred_at=night,
            )
        # Daytime reports far from both: outside the series' hours, so not counted.
        for _ in range(4):
            make_map_report(
                db,
                lon=-0.1500 + rng.uniform(-0.001, 0.001),
                lat=51.5000 + rng.uniform(-0.001, 0.001),
                occurred_at=datetime(friday.year, friday.month, friday.day, 11, tzinfo=UTC),
            )
    for _ in range(60):
        make_map_report(
            db,
            lon=rng.uniform(-0.18, -0.135),
            lat=rng.uniform(51.495, 51.515),
            occurred_at=datetime(2026, 10, rng.randint(1, 28), 21, tzinfo=UTC),
        )


def _series(db, area):
    from nte.patrols import service as patrols

    return patrols.create_series(
        db,
        actor=make_user(db, role="coordinator"),
        area_id=area.id,
        name="Friday nights",
        rrule="FREQ=WEEKLY;BYDAY=FR",
        start_date=date(2026, 11, 1),
        start_time=time(22),
        end_time=time(3),
        now=NOW,
    )


def test_hotspots_near_the_area_in_its_hours_and_uncovered_hot_spots(db, settings):
    _seed(db)
    area = make_patrol_area(db)
    _series(db, area)
    view = coordinator_view(db, area_id=area.id, settings=settings, now=NOW, cell_size=200)
    assert view["area"]["name"] == area.name and view["series"][0]["name"] == "Friday nights"
    # Friday 22:00-03:00 London (Fri 22, 23, Sat 0-2): hours of week 4*24+22 ... 5*24+2.
    assert set(view["week_hours"]) == {4 * 24 + 22, 4 * 24 + 23, 5 * 24, 5 * 24 + 1, 5 * 24 + 2}
    near = view["in_or_near"]["features"]
    assert near and near[0]["properties"]["bin"] > 0 and view["hot_in_or_near"] >= 1
    assert all(f["properties"]["distance_m"] <= 250 for f in near)
    uncovered = view["uncovered"]["features"]
    assert uncovered, "the Covent Garden cluster is hot and no patrol area covers it"
    x, y = points_to_bng([COVENT_GARDEN[0]], [COVENT_GARDEN[1]])
    centres = [((int(f["id"].split("_")[0]) + 0.5) * 200, (int(f["id"].split("_")[1]) + 0.5) * 200) for f in uncovered]
    assert min(((cx - x[0]) ** 2 + (cy - y[0]) ** 2) ** 0.5 for cx, cy in centres) < 200
    assert [f["properties"]["z"] for f in uncovered] == sorted((f["properties"]["z"] for f in uncovered), reverse=True)
    assert all(f["properties"]["bin"] > 0 for f in uncovered)
    # The daytime cluster (48 reports at 11:00) is outside the series' hours: no cell near it is
    # listed at all (counted in all hours it would be the hottest uncovered spot).
    dx, dy = points_to_bng([-0.15], [51.50])

    def centre(f):
        return (int(f["id"].split("_")[0]) + 0.5) * 200, (int(f["id"].split("_")[1]) + 0.5) * 200

    assert not [f["id"] for f in near + uncovered if math.dist(centre(f), (dx[0], dy[0])) < 400]
    # Coordinators see no single report: every listed cell holds at least the public threshold,
    # rounded to 5, with z to one decimal.
    threshold = settings.public_suppression_threshold
    for f in near + uncovered:
        count = f["properties"]["count"]
        assert count >= threshold and count % 5 == 0, f["properties"]
        assert f["properties"]["z"] == round(f["properties"]["z"], 1) and "p_fdr" not in f["properties"]


def test_unknown_area_and_series(db, settings):
    area = make_patrol_area(db)
    with pytest.raises(UnknownPatrolArea):
        coordinator_view(db, area_id=999_999, settings=settings, now=NOW)
    with pytest.raises(InvalidMapFilter) as info:
        coordinator_view(db, area_id=area.id, series_id=999_999, settings=settings, now=NOW)
    assert info.value.field == "series"


def test_coordinator_api_and_page_access(client, db):
    _seed(db)
    area = make_patrol_area(db)
    _series(db, area)
    assert client.get("/api/maps/coordinator", params={"area": area.id}).status_code == 401
    login(client, db, make_user(db, role="coordinator"))
    r = client.get(
        "/api/maps/coordinator", params={"area": area.id, "cell_size": "200"}, headers={"accept": "application/json"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["area"]["id"] == area.id
    assert client.get("/api/maps/coordinator", params={"area": 999_999}).status_code == 404
    assert client.get("/api/maps/coordinator", params={"area": "x"}).status_code == 422
    page = client.get("/coordinator/maps", params={"area": area.id})
    assert page.status_code == 200 and "Hot spots that no patrol area covers" in page.text


def test_a_cell_with_few_reports_is_never_shown_to_a_coordinator(db, settings):
    """One report in a 50 m cell over 7 days used to be listed as a 99 % hot spot with count 1."""
    area = make_patrol_area(db)
    _series(db, area)
    friday = datetime(2026, 11, 20, 22, 30, tzinfo=UTC)
    make_map_report(db, lon=COVENT_GARDEN[0], lat=COVENT_GARDEN[1], occurred_at=friday)
    view = coordinator_view(db, area_id=area.id, settings=settings, now=NOW, days=7, cell_size=50)
    assert view["in_or_near"]["features"] == [] and view["uncovered"]["features"] == []
    assert view["suppression_threshold"] == settings.public_suppression_threshold


def _police_2016(db, n: int = 90) -> None:
    """Police.uk-like records: known only to the month (the demo's 40,006 are from 2016)."""
    rng = random.Random(5)
    for i in range(n):
        make_map_report(
            db,
            lon=rng.uniform(-0.1400, -0.1300),
            lat=rng.uniform(51.5100, 51.5150),
            occurred_at=datetime(2016, 10 + i % 3, 1, tzinfo=UTC),
            time_precision="month",
            source="police",
        )


def test_the_page_opens_with_no_query_on_the_latest_data_and_says_what_it_covers(client, db):
    _police_2016(db)
    area = make_patrol_area(db)
    _series(db, area)
    login(client, db, make_user(db, role="coordinator"))
    page = client.get("/coordinator/maps")
    assert page.status_code == 200, page.text[:2000]
    assert 'id="coverage"' in page.text and "01 Oct 2016" in page.text
    # The months that have data, as runs: a gap of years is not hidden inside "2016 to 2020".
    make_map_report(
        db,
        lon=-0.135,
        lat=51.512,
        occurred_at=datetime(2020, 1, 1, tzinfo=UTC),
        time_precision="month",
        source="police",
    )
    months = re.search(r'id="coverage-months">([^<]*)<', client.get("/coordinator/maps").text).group(1)
    assert months == "Oct - Dec 2016, Jan 2020 (police.uk)", months
    # Police records have no hour: the page counts all hours over their latest three months, and says so.
    assert "police records" in page.text[page.text.index('id="opening-note"') :][:300]
    selection = page.text[page.text.index('id="selection"') :][:400]
    assert "2016-10-01" in selection and "2016-12-31" in selection
    assert 'href="/coordinator/maps"' in page.text  # in the coordinator's menu
    layers = page.text[page.text.index("data-layers=") :][:1500]
    assert "from=2016-10-01" in layers and "hours=all" in layers
    api = client.get(
        "/api/maps/coordinator",
        params={"area": area.id, "from": "2016-10-01", "to": "2016-12-31", "hours": "all"},
        headers={"accept": "application/json"},
    )
    assert api.status_code == 200 and api.json()["period"] == {"from": "2016-10-01", "to": "2016-12-31"}


def test_the_page_with_no_reports_at_all_answers_200_and_says_so(client, db):
    make_patrol_area(db)
    login(client, db, make_user(db, role="coordinator"))
    page = client.get("/coordinator/maps")
    assert page.status_code == 200 and "no reports on record yet" in page.text


def test_bad_parameters_give_a_page_with_every_error_that_keeps_the_values(client, db):
    area = make_patrol_area(db)
    login(client, db, make_user(db, role="coordinator"))
    page = client.get(
        "/coordinator/maps",
        params={"area": str(area.id), "from": "2026-13-01", "to": "yesterday", "cell_size": "5", "hours": "night"},
        headers={"accept": "text/html"},
    )
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    summary = page.text[page.text.index('id="error-summary"') :]
    summary = summary[: summary.index("</div>")]
    for words in ("first day as a date", "last day as a date", "hours or all hours", "between 50 and 5000"):
        assert words in summary, summary
    for field in ("from", "to", "hours", "cell_size"):
        assert f'id="{field}-error"' in page.text
    assert 'value="2026-13-01"' in page.text and 'value="yesterday"' in page.text and 'value="5"' in page.text
    page = client.get("/coordinator/maps", params={"area": "abc"}, headers={"accept": "text/html"})
    assert page.status_code == 422 and 'id="area-error"' in page.text
