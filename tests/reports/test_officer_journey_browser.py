"""The officer's journey in a real browser, end to end, with the mistakes a newcomer makes: the
moderation queue (Accept with nothing ticked, a duplicate without its original, then with it), the
report page (ward name and code), the map (opens on the latest period with data and says so; a bad
filter keeps every other value; fixed), both layers switched off and on, a ward's panel, the printable
report for the same period, and the CSV and HTML exports of that period. axe-core on every page.

No fixed waits: each step waits for the page's own signals (the map's data-loaded-* attributes,
the error summary, the layer's paths)."""

from __future__ import annotations

import csv
import io
import random
import re
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from nte.auth import service as auth_service
from nte.db import utcnow
from nte.maps import coverage
from nte.reports import service as report_service
from nte.reports.models import Report
from tests.support.browser import axe_check, sign_in

pytestmark = pytest.mark.browser
PASSWORD = "an officer journey password"  # noqa: S105
#: Marylebone (Westminster): away from the other browser tests' Soho reports.
PLACE = (51.5200, -0.1540)


def _officer(live_server) -> str:
    email = f"journey-officer-{uuid4().hex[:6]}@example.org"
    with live_server.session_factory.begin() as s:
        auth_service.create_user(
            s, email=email, display_name="Journey officer", role="officer", password=PASSWORD, confirmed_at=utcnow()
        )
    return email


def _reports(live_server) -> list[int]:
    """Three new reports at one place, as the public sends them (the first is the original)."""
    ids = []
    with live_server.session_factory.begin() as s:
        for hours in (7, 6, 5):
            when = utcnow() - timedelta(hours=hours)
            data = report_service.ReportInput(
                lat=PLACE[0],
                lon=PLACE[1],
                date=when.date().isoformat(),
                time=when.strftime("%H:%M"),
                categories=["cyberflashing"],
            )
            ids.append(
                report_service.submit_report(s, data=data, settings=live_server.settings, now=utcnow()).report.id
            )
    return ids


def _police_2016(live_server) -> None:
    """Police records from 2016, as the demo has (idempotent: the live server's database lives for the session).
    They stay "new" (the officer's map counts new and accepted): the public map counts accepted records
    only, so its periods, which other tests read from the same live server, are not changed."""
    from tests.factories import make_map_report

    with live_server.session_factory.begin() as s:
        if s.query(Report).filter(Report.external_id.like("journey-police-%")).first():
            return
        rng = random.Random(16)
        for i in range(150):
            if i < 90:
                lon, lat = -0.1337 + rng.uniform(-0.002, 0.002), 51.5136 + rng.uniform(-0.001, 0.001)
            else:
                lon, lat = rng.uniform(-0.18, -0.135), rng.uniform(51.495, 51.515)
            when = datetime(2016, 1 + i % 12, 1 + i % 27, 22, tzinfo=UTC)
            make_map_report(
                s, lon=lon, lat=lat, occurred_at=when, source="police", status="new", external_id=f"journey-police-{i}"
            )


def _wait_for_map(page) -> None:
    page.wait_for_selector("#map[data-loaded-wards]", state="attached")
    page.wait_for_selector("#map[data-loaded-hotspots]", state="attached")


def test_officer_moderates_maps_and_exports_with_mistakes(page, live_server):
    original, repeat, other = _reports(live_server)
    _police_2016(live_server)
    sign_in(page, live_server, _officer(live_server), PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 800})

    # 1. The moderation queue, filtered to these reports.
    page.goto(f"{live_server.url}/officer/reports?status=new&category=cyberflashing")
    page.wait_for_selector(f"#sel-{repeat}")
    axe_check(page)
    # Mistake: Accept with nothing ticked. The queue comes back, saying so, with its filters.
    page.click("button[value=accepted]")
    expect(page.locator("#error-summary")).to_contain_text("Tick at least one report first")
    expect(page.locator("#f-category")).to_have_value("cyberflashing")
    expect(page.locator(f"#sel-{repeat}")).to_be_visible()
    axe_check(page)
    # Mistake: mark a duplicate without saying which report it repeats.
    page.check(f"#sel-{repeat}")
    page.click("button[value=duplicate]")
    expect(page.locator("#duplicate_of-error")).to_contain_text("Type the number of the original report")
    expect(page.locator(f"#sel-{repeat}")).to_be_checked()  # the tick is kept
    axe_check(page)
    page.fill("#duplicate_of", str(original))
    page.click("button[value=duplicate]")
    expect(page.locator(".success")).to_contain_text("1 marked duplicate")
    page.check(f"#sel-{other}")
    page.click("button[value=accepted]")
    expect(page.locator(".success")).to_contain_text("1 marked accepted")
    with live_server.session_factory() as s:
        marked = s.get(Report, repeat)
        assert marked.status == "duplicate" and marked.duplicate_of_id == original
        assert s.get(Report, other).status == "accepted"
        ward_code = marked.ward_code

    # 2. The report page names the ward with its code.
    page.goto(f"{live_server.url}/officer/reports/{repeat}")
    expect(page.locator("#report-ward")).to_contain_text(f"({ward_code})")
    assert re.search(r"\w+.* \(" + ward_code + r"\)", page.inner_text("#report-ward"))
    axe_check(page)

    # 3. The map opens on the latest period that has data and says what the data covers.
    page.goto(f"{live_server.url}/officer/maps")
    _wait_for_map(page)
    with live_server.session_factory() as s:
        from nte.maps.filters import parse_filter

        expected, covered = coverage.with_default_period(
            s,
            parse_filter(now=utcnow(), boroughs=live_server.settings.boroughs),
            settings=live_server.settings,
            now=utcnow(),
        )
    expect(page.locator("#f-from")).to_have_value(expected.date_from.isoformat())
    expect(page.locator("#f-to")).to_have_value(expected.date_to.isoformat())
    expect(page.locator("#data-covers")).to_contain_text("(police.uk)")
    expect(page.locator("#data-covers")).to_contain_text("(reports made here)")
    expect(page.locator("#applied")).to_contain_text("the latest period that has data")
    # Compact filters: on a 1280 x 800 laptop the map starts on the first screen.
    assert page.locator("#more-filters").get_attribute("open") is None
    assert page.locator("#map").bounding_box()["y"] < 800
    axe_check(page)
    # And on a 375 px phone: the main filters and their button on the first screen, nothing wider than it.
    page.set_viewport_size({"width": 375, "height": 740})
    button = page.locator("form.filters button[type=submit]").bounding_box()
    assert button["y"] + button["height"] < 740
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.set_viewport_size({"width": 1280, "height": 800})

    # 4. Mistake: the end before the start. The error is beside the field; every other value kept.
    page.fill("#f-from", "2016-12-31")
    page.fill("#f-to", "2016-01-01")
    page.check("#f-source-police")
    page.check("#f-night")
    page.click("details#more-filters summary")
    page.select_option("#f-borough", "E09000033")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    expect(page.locator("#error-summary")).to_contain_text("The end date is before the start date")
    expect(page.locator("#f-to-error")).to_contain_text("The end date is before the start date")
    expect(page.locator("#f-from")).to_have_value("2016-12-31")
    expect(page.locator("#f-source-police")).to_be_checked()
    expect(page.locator("#f-night")).to_be_checked()
    expect(page.locator("#f-borough")).to_have_value("E09000033")
    assert page.locator("#more-filters").get_attribute("open") is not None
    axe_check(page)
    # Fixed: the whole of 2016, police.uk only, every night, all boroughs.
    page.fill("#f-from", "2016-01-01")
    page.fill("#f-to", "2016-12-31")
    page.uncheck("#f-night")
    page.select_option("#f-borough", "")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    _wait_for_map(page)
    assert page.locator("#error-summary").count() == 0
    applied = page.inner_text("#applied")
    assert "01 Jan 2016 to 31 Dec 2016" in applied and "source police" in applied
    total = int(re.search(r"(\d+) reports", applied).group(1))
    assert total >= 150
    axe_check(page)

    # 5. Both layers switch off and on; the ward shading and the outlined cells are told apart.
    hot_cells = int(page.get_attribute("#map", "data-loaded-hotspots"))
    wards = int(page.get_attribute("#map", "data-loaded-wards"))
    assert hot_cells > 0 and wards > 100
    paths = page.locator(".leaflet-overlay-pane path.leaflet-interactive")
    everything = paths.count()
    for label, n in (("Hot spot cells", hot_cells), ("Wards", wards)):
        box = page.locator(".leaflet-control-layers-overlays label", has_text=label).locator("input")
        box.uncheck()
        expect(paths).to_have_count(everything - n)
        box.check()
        expect(paths).to_have_count(everything)
    # Every cell is a square with the dark outline (the points' outline is thinner).
    expect(page.locator('.leaflet-overlay-pane path[stroke="#0b0c0c"][stroke-width="1.5"]')).to_have_count(hot_cells)
    expect(page.locator("#legend-hot")).to_contain_text("outlined squares")
    expect(page.locator("#legend-wards")).to_contain_text("purple")

    # 6. A ward's panel, its name with its code.
    page.locator("table.stats tbody tr th a").first.click()
    page.wait_for_selector("#ward-panel svg.trend-chart")
    assert re.search(r"\(E05\d{6}\)", page.inner_text("#ward-panel h2"))
    axe_check(page)

    # 7. The printable report for the same period and numbers.
    csv_href = page.get_attribute("a[href^='/api/maps/stats.csv']", "href")
    html_href = page.get_attribute("a[href^='/officer/maps/export.html']", "href")
    with page.expect_navigation():
        page.click("#printable-report")
    expect(page.locator("#report-period")).to_have_text("1 Jan 2016 to 31 Dec 2016")
    assert int(page.inner_text("#report-total")) == total
    axe_check(page)

    # 8. The exports download with the same period.
    page.goto(f"{live_server.url}/officer/maps?{csv_href.split('?', 1)[1]}")
    _wait_for_map(page)
    with page.expect_download() as got:
        page.click(f"a[href='{csv_href}']")
    download = got.value
    assert download.suggested_filename == "ward-statistics-2016-01-01-2016-12-31.csv"
    rows = list(csv.DictReader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    assert rows and {(r["period_from"], r["period_to"]) for r in rows} == {("2016-01-01", "2016-12-31")}
    assert sum(int(r["count"]) for r in rows) == total
    with page.expect_download() as got:
        page.click(f"a[href='{html_href}']")
    assert got.value.suggested_filename == "nte-map-2016-01-01-2016-12-31.html"
