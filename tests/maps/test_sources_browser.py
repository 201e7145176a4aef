"""The officer's map in a real browser shows both sources, labelled, their counts kept apart: an
officer follows a link with a misspelt filter and reads what is wrong (the rest of the filter kept),
puts it right, sees public reports and police-recorded crime counted apart in the summary, the legend,
the table and a ward's panel, with police.uk credited; then ticks police-recorded crime only. axe
passes at each step."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from playwright.sync_api import expect

from nte.auth import service as auth_service
from nte.db import utcnow
from tests.support.browser import axe_check, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "a sources journey password"  # noqa: S105
#: March 2015: no other browser test has records then. Status "new": the officer map counts them,
#: the public map (accepted records only) does not, so other tests' public periods are unchanged.
WHEN = {"from": "2015-03-01", "to": "2015-03-31"}
PUBLIC_N, POLICE_N = 30, 20


@pytest.fixture()
def seeded(live_server):
    from nte.reports.models import Report
    from tests.factories import make_map_report

    rng = random.Random(18)
    with live_server.session_factory.begin() as s:
        for i in range(PUBLIC_N + POLICE_N):
            police = i >= PUBLIC_N
            make_map_report(
                s,
                lon=-0.1337 + rng.uniform(-0.004, 0.004),
                lat=51.5136 + rng.uniform(-0.002, 0.002),
                occurred_at=datetime(2015, 3, 1 + i % 28, 0 if police else 22, tzinfo=UTC),
                source="police" if police else "public",
                time_precision="month" if police else "exact",
                status="new",
                external_id=f"sources-browser-{i}",
            )
        email = f"sources-officer-{uuid4().hex[:6]}@example.org"
        auth_service.create_user(
            s, email=email, display_name="Sources officer", role="officer", password=PASSWORD, confirmed_at=utcnow()
        )
    yield email
    with live_server.session_factory.begin() as s:
        for report in s.query(Report).filter(Report.external_id.like("sources-browser-%")):
            s.delete(report)


def _wait_for_map(page) -> None:
    page.wait_for_selector("#map[data-loaded-wards]", state="attached")


def test_the_officer_map_shows_both_sources_labelled_and_counted_apart(page, live_server, seeded):
    sign_in(page, live_server, seeded, PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 800})
    # The mistake: a link with a misspelt filter. Said in words, beside a 422; the dates are kept.
    response = page.goto(f"{live_server.url}/officer/maps?from={WHEN['from']}&to={WHEN['to']}&categroy=spiking")
    assert response is not None and response.status == 422
    expect(page.locator("#error-summary")).to_contain_text("This map has no filter called 'categroy'")
    expect(page.locator("#f-from")).to_have_value(WHEN["from"])
    axe_check(page)
    # Put right: the form does not carry the misspelt name.
    with page.expect_navigation():
        page.get_by_role("button", name="Update map").click()
    _wait_for_map(page)
    assert "categroy" not in page.url and f"from={WHEN['from']}" in page.url
    both = "public reports and police-recorded crime"
    expect(page.locator("#legend-source")).to_contain_text(both)
    expect(page.locator('[data-source-total="public"]')).to_have_text(f"public reports {PUBLIC_N}")
    expect(page.locator('[data-source-total="police"]')).to_have_text(f"police-recorded crime {POLICE_N}")
    expect(page.locator('th[data-source="public"]')).to_have_text("Public reports")
    expect(page.locator('th[data-source="police"]')).to_have_text("Police-recorded crime")
    expect(page.locator("#police-attribution")).to_contain_text("Open Government Licence v3.0")
    expect(page.locator(".leaflet-control-layers")).to_contain_text(f"Wards: {both} per km²")
    axe_check(page)
    # A ward's panel keeps the two counts apart.
    page.locator("table.stats a[data-panel]").first.click()
    panel = page.locator("#ward-panel")
    expect(panel.locator('[data-figure="source-public"]')).to_be_visible()
    expect(panel.locator('[data-figure="source-police"]')).to_be_visible()
    counts = [int(panel.locator(f'[data-figure="source-{k}"]').inner_text()) for k in ("public", "police")]
    assert sum(counts) == int(panel.locator('[data-figure="count"]').inner_text()) > 0
    expect(panel).to_contain_text("Open Government Licence v3.0")
    axe_check(page)
    # Police-recorded crime only: its label everywhere, no public column.
    page.get_by_label("Police-recorded crime (police.uk)").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Update map").click()
    _wait_for_map(page)
    assert "source=police" in page.url
    expect(page.locator("#legend-source")).to_have_text("Counting: police-recorded crime")
    expect(page.locator('[data-source-total="police"]')).to_have_text(f"police-recorded crime {POLICE_N}")
    assert page.locator('th[data-source="public"]').count() == 0
    expect(page.locator("#police-attribution")).to_be_visible()
    axe_check(page)
