"""``python main.py wards ...`` (and ``maps export --vintage``) as an officer or admin runs them,
on a fresh database per backend (these commands commit): list, import a reprojected one-borough
vintage, activate it in one borough and back, refusals that change nothing, resumable assignment."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyproj
import pytest
import shapely
import sqlalchemy as sa
from shapely.geometry import mapping, shape
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from nte import cli
from nte.config import get_settings
from nte.db import engine_for

ROOT = Path(__file__).resolve().parents[2]
WARDS_2022 = ROOT / "nte" / "data" / "wards-2022" / "six-boroughs-wards-may2022.geojson"
CRIME = ROOT / "nte" / "data" / "crime"
WESTMINSTER, HACKNEY = "E09000033", "E09000012"
SIX = ["E09000001", "E09000012", "E09000013", "E09000020", "E09000032", "E09000033"]
NEW = "2030-05"
#: Police records loaded per borough: Westminster's fall inside the new vintage, Hackney's outside it.
SLICE = {"westminster": 400, "hackney": 150}


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_db(backend, tmp_path_factory, request) -> Iterator[dict]:
    """A fresh database for this module and backend, with a slice of the real 2016 police records."""
    from tests.conftest import make_database

    cluster = request.getfixturevalue("pg_cluster") if backend == "postgis" else None
    tmp = tmp_path_factory.mktemp(f"wards-cli-{backend}")
    url = make_database(backend, "nte_wards_cli", tmp, cluster)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NTE_DATABASE_URL", url)
        get_settings.cache_clear()
        factory = sessionmaker(bind=engine_for(url, get_settings().spatialite_library), expire_on_commit=False)
        _load_police_slice(factory)
        yield {"url": url, "factory": factory, "tmp": tmp}
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch, request):
    """Tables printed one row per line (a wide terminal), and this module's database in the settings."""
    monkeypatch.setattr(cli.console, "_width", 400)
    if "cli_db" in request.fixturenames:
        monkeypatch.setenv("NTE_DATABASE_URL", request.getfixturevalue("cli_db")["url"])
        get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _load_police_slice(factory: sessionmaker[Session]) -> None:
    from nte.reports.importer import import_stream

    for borough, rows in SLICE.items():
        path = CRIME / f"2016-metropolitan-street-api-{borough}-violence-public-order.csv.gz"
        with gzip.open(path, "rt", encoding="utf-8") as stream:
            lines = [next(stream) for _ in range(rows + 1)]  # the header and the first rows
        with factory.begin() as session:
            summary, errors = import_stream(
                session,
                stream=io.BytesIO("".join(lines).encode()),
                filename=path.name[:-3],
                settings=get_settings(),
                now=datetime(2026, 11, 1, tzinfo=UTC),
            )
        # A few of the police points fall just outside the served wards and are refused by the importer.
        assert summary.inserted > rows * 0.9 and all(e.reason == "outside_area" for e in errors), summary


def _westminster_in_27700(tmp: Path, *, crs_member: bool) -> Path:
    """Westminster's May 2022 wards with codes 'T...', in British National Grid metres."""
    collection = json.loads(WARDS_2022.read_text())
    to_bng = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform
    features = []
    for feature in collection["features"]:
        props = dict(feature["properties"])
        if props["LAD22CD"] != WESTMINSTER:
            continue
        props["WD22CD"] = "T" + props["WD22CD"]
        features.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": mapping(shapely.transform(shape(feature["geometry"]), to_bng, interleaved=False)),
            }
        )
    assert len(features) == 18
    out: dict = {"type": "FeatureCollection", "features": features}
    if crs_member:
        out["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}
    path = tmp / ("westminster-27700.geojson" if crs_member else "westminster-27700-no-crs.geojson")
    path.write_text(json.dumps(out))
    return path


def _import_args(path: Path, *extra: str) -> list[str]:
    return ["wards", "import", str(path), "--vintage", NEW, "--name", "Test 2030", "--attribution", "OGL", *extra]


@pytest.fixture(scope="module")
def imported(cli_db) -> dict:
    """``wards import`` of the reprojected Westminster file as vintage 2030-05 (run once per backend)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cli.console, "_width", 400)
        mp.setenv("NTE_DATABASE_URL", cli_db["url"])
        get_settings.cache_clear()
        path = _westminster_in_27700(cli_db["tmp"], crs_member=True)
        result = _run(*_import_args(path))
    get_settings.cache_clear()
    return {"result": result, "path": path, "no_crs": _westminster_in_27700(cli_db["tmp"], crs_member=False)}


# --- helpers -------------------------------------------------------------------------------------


def _run(*args: str, app=None) -> Result:
    return CliRunner().invoke(app or cli.app, list(args))


def _table(output: str) -> list[list[str]]:
    """The body rows of a rich table in ``output`` (cells stripped; header rows included)."""
    rows = []
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("│") and line.endswith("│"):
            rows.append([c.strip() for c in line[1:-1].split("│")])
    return rows


def _listing() -> tuple[str, dict[str, dict[str, str]]]:
    result = _run("wards", "list")
    assert result.exit_code == 0, result.output
    header = ["vintage", "name", "boroughs (wards)", "current in", "assigned", "outside", "attribution"]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in _table(result.stdout) if r[0] != "vintage"}
    assert rows, result.output
    return result.stdout, rows


def _reports(factory) -> int:
    with factory.begin() as session:
        return int(session.scalar(sa.text("SELECT count(*) FROM report")))


def _ward_set_id(factory, vintage: str) -> int:
    with factory.begin() as session:
        found = session.scalar(sa.text("SELECT id FROM ward_set WHERE vintage = :v"), {"v": vintage})
    assert found is not None, vintage
    return int(found)


def _report_rows(factory, vintage: str) -> dict[int, int]:
    """report id -> number of its assignment rows in ``vintage``."""
    with factory.begin() as session:
        rows = session.execute(
            sa.text(
                "SELECT subject_id, count(*) FROM ward_assignment "
                "WHERE subject = 'report' AND ward_set_id = :s GROUP BY subject_id"
            ),
            {"s": _ward_set_id(factory, vintage)},
        ).all()
    return {int(i): int(n) for i, n in rows}


def _current(factory) -> dict[str, str]:
    from nte.wards import service as ward_service

    with factory.begin() as session:
        where = ward_service.placement(session, settings=get_settings())
        return {b: where.vintage_of(b) for b in SIX}


def _state(factory) -> tuple:
    """What a refusal must leave alone: the listing, the ward sets, wards, current sets, assignments."""
    with factory.begin() as session:
        counts = tuple(
            int(session.scalar(sa.text(f"SELECT count(*) FROM {t}")))  # noqa: S608 (fixed names)
            for t in ("ward_set", "ward", "ward_current", "ward_assignment", "audit_event")
        )
        sets = session.execute(sa.text("SELECT vintage, version FROM ward_set ORDER BY vintage")).all()
    return _listing()[0], counts, tuple(map(tuple, sets)), _current(factory)


def _switched(result: Result) -> list[str]:
    """The '<borough>: now <vintage> (was ...).' lines ``wards activate`` printed."""
    return [line.strip() for line in result.stdout.splitlines() if ": now " in line]


def _one_error_line(result: Result, *needles: str) -> str:
    """Exit 2, no traceback, and exactly one line of output: 'Error: ...' naming the problem."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # typer.Exit, not a crash
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: "), lines[0]
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# --- 1. list -------------------------------------------------------------------------------------


def test_list_shows_both_vintages_where_current_and_assigned(cli_db):
    total = _reports(cli_db["factory"])
    assert sum(SLICE.values()) * 0.9 < total <= sum(SLICE.values())
    _out, rows = _listing()
    assert {"2022-05", "2013-12"} <= set(rows)
    may, dec = rows["2022-05"], rows["2013-12"]
    assert may["current in"].split(", ") == SIX
    assert dec["current in"] == "-"
    assert "E09000033 (18)" in may["boroughs (wards)"] and "E09000033 (20)" in dec["boroughs (wards)"]
    for row in (may, dec):
        assert int(row["assigned"]) > 0
        # Every police record is in a served ward or counted outside, once per vintage.
        assert int(row["assigned"]) + int(row["outside"]) == total, row


# --- 2. import, activate one borough, switch back ------------------------------------------------


def test_import_reprojected_one_borough_vintage(cli_db, imported):
    result = imported["result"]
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "Reprojected from EPSG:27700 to WGS84" in text
    assert f"Imported 18 wards of {WESTMINSTER} as vintage {NEW} ('Test 2030')" in text
    assert "current now in: no borough" in text  # Westminster already had May 2022
    factory = cli_db["factory"]
    # The assignment table: 2030-05 reports, inside (Westminster) and outside (Hackney) both counted.
    table = {r[1]: r for r in _table(result.stdout) if r[0] == NEW}
    assert set(table) == {"reports", "venues", "safe spaces"}, result.stdout
    _key, _label, now, inside, outside = table["reports"]
    total = _reports(factory)
    assert int(now) == total and int(inside) + int(outside) == total
    assert int(inside) >= SLICE["westminster"] - 5 and int(outside) >= SLICE["hackney"]
    with factory.begin() as session:
        may_westminster = session.scalar(
            sa.text(
                "SELECT count(*) FROM ward_assignment WHERE subject = 'report' AND ward_set_id = :s "
                "AND borough_code = :b"
            ),
            {"s": _ward_set_id(factory, "2022-05"), "b": WESTMINSTER},
        )
    assert int(inside) == may_westminster  # the same boundaries, reprojected there and back
    _out, rows = _listing()
    assert rows[NEW]["boroughs (wards)"] == f"{WESTMINSTER} (18)" and rows[NEW]["current in"] == "-"
    assert rows["2022-05"]["current in"].split(", ") == SIX


def test_activate_one_borough_then_switch_back(cli_db, imported):
    assert imported["result"].exit_code == 0, imported["result"].output
    factory = cli_db["factory"]
    assert set(_current(factory).values()) == {"2022-05"}
    with factory.begin() as session:
        audits_before = int(session.scalar(sa.text("SELECT count(*) FROM audit_event WHERE action = 'wards.activate'")))
    try:
        result = _run("wards", "activate", "--vintage", NEW, "--borough", WESTMINSTER)
        assert result.exit_code == 0, result.output
        assert _switched(result) == [f"{WESTMINSTER}: now {NEW} (was 2022-05)."]
        current = _current(factory)
        assert current[WESTMINSTER] == NEW
        assert {b: v for b, v in current.items() if b != WESTMINSTER} == {b: "2022-05" for b in SIX[:-1]}
        _out, rows = _listing()
        assert rows[NEW]["current in"] == WESTMINSTER
        assert rows["2022-05"]["current in"].split(", ") == [b for b in SIX if b != WESTMINSTER]
        with factory.begin() as session:
            events = session.execute(
                sa.text("SELECT detail FROM audit_event WHERE action = 'wards.activate' ORDER BY id")
            ).all()
        assert len(events) == audits_before + 1
        detail = events[-1][0] if isinstance(events[-1][0], dict) else json.loads(events[-1][0])
        assert detail == {"vintage": NEW, "boroughs": [{"borough": WESTMINSTER, "from": "2022-05"}]}
    finally:
        back = _run("wards", "activate", "--vintage", "2022-05", "--borough", WESTMINSTER)
    assert back.exit_code == 0, back.output
    assert _switched(back) == [f"{WESTMINSTER}: now 2022-05 (was {NEW})."]
    assert set(_current(factory).values()) == {"2022-05"}


def test_activate_a_six_borough_vintage_in_one_borough_only(cli_db):
    """December 2013 holds all six boroughs: --borough switches Westminster alone, and back."""
    factory = cli_db["factory"]
    assert set(_current(factory).values()) == {"2022-05"}
    try:
        result = _run("wards", "activate", "--vintage", "2013-12", "--borough", WESTMINSTER)
        assert result.exit_code == 0, result.output
        assert _switched(result) == [f"{WESTMINSTER}: now 2013-12 (was 2022-05)."]
        current = _current(factory)
        assert current == {b: "2013-12" if b == WESTMINSTER else "2022-05" for b in SIX}
        _out, rows = _listing()
        assert rows["2013-12"]["current in"] == WESTMINSTER
    finally:
        back = _run("wards", "activate", "--vintage", "2022-05", "--borough", WESTMINSTER)
    assert back.exit_code == 0, back.output
    assert _switched(back) == [f"{WESTMINSTER}: now 2022-05 (was 2013-12)."]
    assert set(_current(factory).values()) == {"2022-05"}


# --- 3. mistakes ---------------------------------------------------------------------------------


def test_mistakes_exit_2_with_one_line_and_change_nothing(cli_db, imported, tmp_path):
    assert imported["result"].exit_code == 0, imported["result"].output
    factory = cli_db["factory"]
    before = _state(factory)
    from nte.maps.cli import app as maps_app

    out = tmp_path / "never.csv"
    mistakes = [
        (_import_args(imported["path"]), ["already holds", WESTMINSTER]),
        (_import_args(imported["path"], "--borough", HACKNEY), [HACKNEY, "has no wards in this file"]),
        (["wards", "import", str(imported["no_crs"]), "--vintage", "2031-05", "--name", "T31", "--attribution", "O"],
         ["EPSG:27700"]),
        (["wards", "import", str(imported["no_crs"]), "--vintage", "2031-05", "--name", "T31", "--attribution", "O",
          "--crs", "EPSG:999999"], ["Unknown CRS", "EPSG:999999"]),
        (["wards", "activate", "--vintage", "1999-01"], ["1999-01", "2013-12", "2022-05", NEW]),
        (["wards", "activate", "--vintage", NEW, "--borough", HACKNEY], [HACKNEY, NEW]),
    ]  # fmt: skip
    for args, needles in mistakes:
        _one_error_line(_run(*args), *needles)
        assert _state(factory) == before, args
    # maps export: nte/maps/cli.py's error console hard-wraps at 80 columns (no soft_wrap, unlike
    # nte/cli.py's), so its one message can arrive on two lines; it is still one message, exit 2.
    result = _run("export", "--out", str(out), "--vintage", "1999-01", app=maps_app)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert result.stdout.strip() == "" and result.stderr.count("Error:") == 1, result.output
    message = " ".join(result.stderr.split())
    assert "no ward boundaries of that vintage" in message and "(2013-12, 2022-05, 2030-05)" in message, message
    assert _state(factory) == before and not out.exists()


# --- 4. resumable assignment ---------------------------------------------------------------------


def test_assign_resumes_after_half_the_rows_are_lost(cli_db, imported):
    assert imported["result"].exit_code == 0, imported["result"].output
    factory = cli_db["factory"]
    rows = _report_rows(factory, NEW)
    total = _reports(factory)
    assert len(rows) == total > 0 and set(rows.values()) == {1}
    lost = sorted(rows)[::2]
    set_id = _ward_set_id(factory, NEW)
    with factory.begin() as session:
        session.execute(
            sa.text(
                "DELETE FROM ward_assignment WHERE subject = 'report' AND ward_set_id = :s AND subject_id IN "
                f"({', '.join(str(i) for i in lost)})"  # noqa: S608 (integers)
            ),
            {"s": set_id},
        )
    assert len(_report_rows(factory, NEW)) == total - len(lost)
    result = _run("wards", "assign", "--vintage", NEW)
    assert result.exit_code == 0, result.output
    table = {r[1]: r for r in _table(result.stdout) if r[0] == NEW}
    assert table["reports"][2] == str(len(lost)), result.stdout
    again = _report_rows(factory, NEW)
    assert again == rows  # every report has exactly one 2030-05 row again
    second = _run("wards", "assign", "--vintage", NEW)
    assert second.exit_code == 0, second.output
    table = {r[1]: r for r in _table(second.stdout) if r[0] == NEW}
    assert set(table) == {"reports", "venues", "safe spaces"}
    assert all(r[2] == "0" for r in table.values()), second.stdout
    assert _report_rows(factory, NEW) == rows


# --- 5. maps export in a vintage -----------------------------------------------------------------


@pytest.mark.parametrize(("vintage", "westminster_wards", "key"), [("2013-12", 20, "2013-12"), (None, 18, "2022-05")])
def test_maps_export_csv_in_a_vintage(cli_db, tmp_path, vintage, westminster_wards, key):
    from nte.maps.cli import app as maps_app

    out = tmp_path / "wards.csv"
    args = ["export", "--out", str(out), "--format", "csv", "--from", "2016-01-01", "--to", "2016-12-31"]
    result = _run(*args, *(["--vintage", vintage] if vintage else []), app=maps_app)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows
    assert {r["ward_vintage"] for r in rows} == {key}
    westminster = [r for r in rows if r["borough_code"] == WESTMINSTER]
    assert len(westminster) == len({r["ward_code"] for r in westminster}) == westminster_wards
    assert sum(int(r["count"]) for r in westminster) > 0
