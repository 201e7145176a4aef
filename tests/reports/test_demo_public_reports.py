"""The demo's public map shows public reports: ``main.py demo`` loads invented public reports through
the public intake (accepted by the demo officer), so the map's default view (public reports) has a
ward with a published figure and wards suppressed below the threshold; a second run adds nothing."""

from __future__ import annotations

import io
from collections import Counter
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from rich.console import Console

from nte.cli import DEMO_STEPS
from nte.reports import demo as reports_demo
from nte.reports.models import WARD_SUBJECT, Report
from nte.wards.models import WardAssignment, WardSet
from tests.factories import make_user

LONDON = ZoneInfo("Europe/London")
OFFICER = "officer@demo.nte-safe.invalid"


def _demo_reports(db) -> list[Report]:
    return list(db.scalars(sa.select(Report).where(Report.external_id.like("demo-public:%")).order_by(Report.id)))


def _load(db) -> str:
    from nte.reports.demo import load_demo_public_reports

    out = io.StringIO()
    load_demo_public_reports(db, Console(file=out, width=200))
    db.flush()
    return out.getvalue()


def test_the_demo_loads_invented_public_reports_and_a_second_run_adds_none(db, settings):
    assert reports_demo.load_demo_public_reports in DEMO_STEPS
    make_user(db, role="officer", email=OFFICER)
    said = _load(db)
    reports = _demo_reports(db)
    assert 300 <= len(reports) <= 900, len(reports)
    assert f"{len(reports)} invented demo reports added" in said, said
    assert {r.source for r in reports} == {"public"}
    assert {r.description for r in reports} == {"Demo report (invented)."}
    statuses = Counter(r.status for r in reports)
    assert statuses["accepted"] > 0.9 * len(reports) and set(statuses) <= {"accepted", "new"}, statuses
    # Inside the served area, with a ward in every vintage (the intake assigned them).
    assert {r.borough_code for r in reports} <= set(settings.boroughs)
    from nte.reports.demo import DEMO_WARDS

    assert {r.ward_code for r in reports} == set(DEMO_WARDS)  # each point inside its chosen May 2022 ward
    vintages = db.scalar(sa.select(sa.func.count(WardSet.id)))
    assert vintages >= 2
    placed = db.scalar(
        sa.select(sa.func.count())
        .select_from(WardAssignment)
        .where(
            WardAssignment.subject == WARD_SUBJECT,
            WardAssignment.subject_id.in_([r.id for r in reports]),
            WardAssignment.ward_code.is_not(None),
        )
    )
    assert placed == vintages * len(reports)
    # Mostly at night (20:00 to 04:00 London time), and every one exactly located.
    night = [r for r in reports if not 4 <= r.occurred_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(LONDON).hour < 20]
    assert len(night) > 0.66 * len(reports), (len(night), len(reports))
    assert all(r.geom is not None and r.location_precision == "exact" for r in reports)

    again = _load(db)
    assert len(_demo_reports(db)) == len(reports)
    assert "0 invented demo reports added" in again, again


def test_the_public_maps_default_view_shows_a_published_ward_and_suppressed_ones(db, client, settings):
    make_user(db, role="officer", email=OFFICER)
    _load(db)
    r = client.get("/api/maps/public/wards.geojson")
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["source"] == "public"
    features = view["features"]
    assert features
    published = {f["properties"]["code"]: f["properties"]["value"] for f in features}
    assert any(v is not None for v in published.values()), view["period"]
    # A ward with demo reports in that month but fewer than the threshold is shown as suppressed.
    month = view["months"][0]
    assert view["period"] == f"month-{month}"
    in_month = Counter(
        r.ward_code
        for r in _demo_reports(db)
        if r.status == "accepted"
        and f"{r.occurred_at.replace(tzinfo=ZoneInfo('UTC')).astimezone(LONDON):%Y-%m}" == month
    )
    threshold = settings.public_suppression_threshold
    below = [code for code, n in in_month.items() if 0 < n < threshold]
    above = [code for code, n in in_month.items() if n >= threshold]
    assert below and above, in_month
    assert all(published[code] is None for code in below)
    assert all(published[code] is not None for code in above)
    shown = {f["properties"]["code"]: f["properties"]["shown"] for f in features}
    assert shown[below[0]] == f"fewer than {threshold}"


def test_without_the_demo_officer_nothing_is_loaded(db):
    said = _load(db)
    assert "skipped" in said
    assert _demo_reports(db) == []
