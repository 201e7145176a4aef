"""``python main.py maps ...`` on a real (temporary SpatiaLite) database."""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import sessionmaker
from typer.testing import CliRunner

from nte.config import get_settings
from nte.db import engine_for


@pytest.fixture()
def cli_db(tmp_path, monkeypatch):
    from tests.conftest import make_database

    url = make_database("spatialite", "cli", tmp_path, None)
    monkeypatch.setenv("NTE_DATABASE_URL", url)
    get_settings.cache_clear()
    factory = sessionmaker(bind=engine_for(url, get_settings().spatialite_library), expire_on_commit=False)
    yield factory
    get_settings.cache_clear()


def _seed(factory):
    from tests.factories import make_map_report

    rng = random.Random(5)
    with factory.begin() as session:
        for i in range(60):
            make_map_report(
                session,
                lon=-0.1337 + rng.uniform(-0.002, 0.002),
                lat=51.5136 + rng.uniform(-0.001, 0.001),
                occurred_at=datetime(2026, 10, 1 + i % 28, 22, tzinfo=UTC),
            )
        for i in range(40):
            make_map_report(
                session,
                lon=rng.uniform(-0.18, -0.13),
                lat=rng.uniform(51.495, 51.515),
                occurred_at=datetime(2026, 10, 1 + i % 28, 12, tzinfo=UTC),
            )


def _run(*args):
    from nte.maps.cli import app

    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_render_export_and_check(cli_db, tmp_path):
    _seed(cli_db)
    html = tmp_path / "map.html"
    result = _run("render", "--out", str(html), "--borough", "E09000033", "--period", "month-2026-10")
    assert result.exit_code == 0, result.output
    text = html.read_text()
    assert "L.map" in text and "Hotspot cells" in text and "cdn.jsdelivr" not in text
    out = tmp_path / "wards.csv"
    result = _run("export", "--out", str(out), "--period", "month-2026-10", "--hours", "18-06")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert sum(int(r["count"]) for r in rows) == 60
    cells = tmp_path / "cells.geojson"
    assert (
        _run(
            "export",
            "--out",
            str(cells),
            "--format",
            "hotspots",
            "--borough",
            "E09000033",
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-31",
        ).exit_code
        == 0
    )
    assert json.loads(cells.read_text())["features"]
    assert _run("check-wards").exit_code == 0
    assert _run("rebuild-public").exit_code == 0


def test_bad_arguments_exit_2(cli_db, tmp_path):
    assert _run("render", "--out", str(tmp_path / "x.html"), "--period", "week-12").exit_code == 2
    assert _run("export", "--out", str(tmp_path / "x.csv"), "--format", "xlsx").exit_code == 2
    assert _run("export", "--out", str(tmp_path / "x.csv"), "--borough", "E09999999").exit_code == 2
