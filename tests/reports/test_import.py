"""Importing police.uk CSV (original and API variant), our CSV and GeoJSON: counts, idempotency,
per-line errors with reasons, encodings, and whole-batch durability."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from nte.db import utcnow
from nte.reports.exceptions import InvalidImport
from nte.reports.importer import import_file, import_stream
from nte.reports.models import Report, ReportCategory, ReportImport
from nte.wards.models import WardAssignment

# The original police.uk file (797 rows), vendored with its attribution in tests/data/ATTRIBUTION.md.
CITY = Path(__file__).resolve().parents[1] / "data" / "2020-01-city-of-london-street.csv.gz"
VENDORED = Path(__file__).resolve().parents[2] / "nte" / "data" / "crime"
HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
    "Last outcome category,Context"
)
ROW = "{id},2020-01,City of London Police,City of London Police,{lon},{lat},On or near X,E01000001,City 001A,{t},,"


def _run(db, settings, data: bytes, name="street.csv", **kw):
    return import_stream(db, stream=io.BytesIO(data), filename=name, settings=settings, now=utcnow(), **kw)


def _imported(db) -> int:
    return db.scalar(sa.select(sa.func.count(Report.id)).where(Report.import_batch_id.is_not(None)))


def test_real_police_file_counts_errors_and_idempotency(db, settings, tmp_path):
    errors = tmp_path / "errors.csv"
    summary, kept = import_file(db, path=CITY, settings=settings, now=utcnow(), error_path=errors)
    # SOURCES.md: 797 rows, 68 without coordinates, 663 inside the six boroughs, 66 outside.
    assert summary.file_format == "police" and summary.rows_read == 797
    assert summary.rejected == {"no_coordinates": 68, "outside_area": 66}
    assert summary.inserted + summary.already_present == 663  # a few Crime IDs repeat within the file
    lines = list(csv.DictReader(errors.open()))
    assert len(lines) == 134 and {row["reason"] for row in lines} == {"no coordinates", "outside the service area"}
    sample = db.scalars(sa.select(Report).where(Report.import_batch_id == summary.import_id).limit(50)).all()
    for r in sample:
        assert r.source == "police" and r.time_precision == "month" and r.status == "accepted"
        assert r.occurred_at.isoformat() == "2020-01-01T00:00:00+00:00" and r.easting and r.northing
        assert r.main_category.startswith("police:") and r.external_id.startswith(("police:", "police-sha:"))
        assert r.borough_code in settings.boroughs
    again, _ = import_file(db, path=CITY, settings=settings, now=utcnow())
    assert again.inserted == 0 and again.already_present == 663
    record = db.get(ReportImport, summary.import_id)
    assert record.inserted == summary.inserted and record.rejected == 134 and record.finished_at


def test_api_variant_keeps_identical_rows_once_each(db, settings):
    with gzip.open(VENDORED / "2016-metropolitan-street-api-kensington-and-chelsea-violence-public-order.csv.gz") as f:
        head = b"".join(f.readline() for _ in range(600))
    summary, _ = _run(db, settings, head, name="api.csv")
    assert summary.file_format == "police-api" and summary.rows_read == 599
    assert summary.inserted + summary.rejected_total == 599 and summary.inserted > 590
    cats = set(
        db.scalars(sa.select(ReportCategory.category).join(Report).where(Report.import_batch_id == summary.import_id))
    )
    assert cats <= {"police:violence-and-sexual-offences", "police:public-order"}
    again, _ = _run(db, settings, head, name="api.csv")
    assert again.inserted == 0 and again.already_present == summary.inserted


def test_bom_crlf_and_windows_encoding(db, settings):
    rows = [
        HEADER,
        ROW.format(id="bom1", lon=-0.0925, lat=51.5155, t="Public order"),
        ROW.format(id="bom2", lon=-0.0930, lat=51.5150, t="Violence and sexual offences").replace(
            "On or near X", "On or near Caf\u00e9 Street"
        ),
    ]
    text = "\r\n".join(rows) + "\r\n"
    summary, _ = _run(db, settings, b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert summary.inserted == 2 and summary.rejected_total == 0
    # The same rows saved by Excel in Windows-1252: the é line is reported under UTF-8, kept with cp1252.
    cp = text.replace("bom", "cp").encode("cp1252")
    bad, kept = _run(db, settings, cp)
    assert bad.inserted == 1 and bad.rejected == {"encoding": 1} and kept[0].line == 3
    good, _ = _run(db, settings, cp, encoding="cp1252")
    assert good.inserted == 1 and good.already_present == 1
    utf16, _ = _run(db, settings, text.replace("bom", "u16").encode("utf-16"))
    assert utf16.inserted == 2


def test_malformed_rows_are_reported_and_valid_rows_kept(db, settings):
    data = "\n".join(
        [
            HEADER,
            ROW.format(id="ok1", lon=-0.0925, lat=51.5155, t="Public order"),
            "too,few,columns",
            ROW.format(id="m1", lon="abc", lat=51.5, t="Public order"),
            ROW.format(id="m2", lon=-0.09, lat="nan", t="Public order"),
            ROW.format(id="m3", lon=-0.0925, lat=51.5155, t="Public order").replace("2020-01", "Jan 2020"),
            ROW.format(id="m4", lon=-0.0925, lat=51.5155, t=""),
            ROW.format(id="far", lon=-2.24, lat=53.48, t="Public order"),
            ROW.format(id="none", lon="", lat="", t="Public order"),
            ROW.format(id="ok2", lon=-0.0926, lat=51.5156, t="Public order"),
        ]
    ).encode()
    summary, kept = _run(db, settings, data)
    assert summary.inserted == 2
    reasons = {e.line: e.reason for e in kept}
    assert reasons == {
        3: "bad_row",
        4: "bad_row",
        5: "bad_row",
        6: "bad_row",
        7: "bad_row",
        8: "outside_area",
        9: "no_coordinates",
    }
    assert "columns" in kept[0].detail


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (b"", "file"),
        (b"name,address\nx,y\n", "file"),
    ],
)
def test_unusable_files_are_refused(db, settings, data, field):
    with pytest.raises(InvalidImport) as exc:
        _run(db, settings, data)
    assert exc.value.field == field


def test_our_csv_round_trip_and_geojson(db, settings):
    csv_data = (
        b"occurred_at,lat,lon,main_category,categories,factors,description\n"
        b"2026-03-14T23:30:00+00:00,51.5132,-0.1337,followed,followed;spiking,poor_lighting,call 07700 900123\n"
        b"2026-03-14,51.5155,-0.0925,verbal_harassment,,,\n"
        b"2026-03,51.5155,-0.0925,cyberflashing,,,\n"
        b"2026-03-14T23:30:00,51.5132,-0.1337,burglary,,,\n"
    )
    summary, kept = _run(db, settings, csv_data, name="ours.csv")
    assert summary.file_format == "nte-csv" and summary.inserted == 3
    assert [(e.line, e.reason) for e in kept] == [(5, "bad_row")]
    first = db.scalars(sa.select(Report).where(Report.import_batch_id == summary.import_id).order_by(Report.id)).all()
    assert [r.time_precision for r in first] == ["exact", "approximate", "month"]
    assert sorted(c.category for c in first[0].categories) == ["followed", "spiking"]
    assert "[phone removed]" in first[0].description and first[0].source == "import"
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [-0.1337, 51.5132]},
        "properties": {"occurred_at": "2026-03-14T22:00:00Z", "category": "spiking"},
    }
    collection = {
        "type": "FeatureCollection",
        "features": [
            feature,
            {**feature, "geometry": None},
            {**feature, "geometry": {"type": "LineString", "coordinates": []}},
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [-0.0925, 51.5155]},
                "properties": {"Crime type": "Public order", "Month": "2020-01", "Crime ID": "geo-1"},
            },
        ],
    }
    geo, geo_errors = _run(db, settings, json.dumps(collection).encode(), name="points.geojson")
    assert geo.file_format == "geojson" and geo.inserted == 2
    assert [(e.line, e.reason) for e in geo_errors] == [(2, "no_coordinates"), (3, "bad_row")]
    again, _ = _run(db, settings, json.dumps(collection).encode(), name="points.geojson")
    assert again.inserted == 0 and again.already_present == 2


def test_a_killed_import_leaves_whole_batches_and_a_rerun_completes_once(engine, settings, tmp_path):
    """Batches are committed one by one; a crash mid-way loses only the open batch, and the re-run
    adds exactly the missing rows."""
    rows = [HEADER] + [
        ROW.format(id=f"kill-{i}", lon=-0.0925 + i * 1e-5, lat=51.5155, t="Public order") for i in range(250)
    ]
    path = tmp_path / "kill.csv"
    path.write_text("\n".join(rows) + "\n")
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    batches = 0

    class Killed(Exception):
        pass

    try:
        with pytest.raises(Killed), factory() as session:

            def checkpoint():
                nonlocal batches
                session.commit()
                batches += 1
                if batches == 2:
                    raise Killed()

            import_file(session, path=path, settings=settings, now=utcnow(), batch_size=100, checkpoint=checkpoint)
        with factory() as session:
            stored = session.scalar(sa.select(sa.func.count(Report.id)).where(Report.external_id.like("police:kill-%")))
        assert stored == 200  # two whole batches, nothing of the third
        with factory() as session:
            summary, _ = import_file(
                session, path=path, settings=settings, now=utcnow(), batch_size=100, checkpoint=session.commit
            )
        assert summary.inserted == 50 and summary.already_present == 200
        with factory() as session:
            assert (
                session.scalar(sa.select(sa.func.count(Report.id)).where(Report.external_id.like("police:kill-%")))
                == 250
            )
    finally:
        with factory.begin() as session:
            ids = sa.select(Report.id).where(Report.external_id.like("police:kill-%"))
            session.execute(
                sa.delete(WardAssignment).where(WardAssignment.subject == "report", WardAssignment.subject_id.in_(ids))
            )
            session.execute(sa.delete(ReportCategory).where(ReportCategory.report_id.in_(ids)))
            session.execute(sa.delete(Report).where(Report.external_id.like("police:kill-%")))
            session.execute(sa.delete(ReportImport).where(ReportImport.filename == "kill.csv"))


def test_demo_loader_is_idempotent(db):
    from rich.console import Console

    from nte.reports.demo import load_police_records

    console = Console(file=io.StringIO())
    load_police_records(db, console)
    first = _imported(db)
    assert first > 39_000
    assert db.scalar(sa.select(sa.func.count(Report.id)).where(Report.main_category == "police:public-order")) > 8000
    load_police_records(db, console)
    assert _imported(db) == first


def test_ids_already_present_are_found_whatever_their_characters(db, settings):
    # The PostgreSQL look-up sends the ids as one text split by the server on "\x1f": ids that
    # contain it (or quotes, commas, braces) take the plain IN path and are still found.
    from nte.reports import repository as repo

    odd = ["plain", "with,comma", 'quote"d', "{brace}", "tab\tid", "unit\x1fsep", "é-unicode"]
    body = "\n".join(
        ["external_id,occurred_at,lon,lat,category"]
        + [f'"{v.replace(chr(34), chr(34) * 2)}",2026-01-10T22:00:00Z,-0.1337,51.5136,verbal_harassment' for v in odd]
    )
    summary, errors = _run(db, settings, body.encode(), name="ours.csv")
    assert summary.inserted == len(odd), errors
    stored = set(db.scalars(sa.select(Report.external_id)))
    assert len(stored) == len(odd)
    for probe in (sorted(stored), sorted(stored)[:1], [s for s in stored if "\x1f" not in s]):
        assert repo.existing_external_ids(db, [*probe, "not-there"]) == set(probe)
    assert repo.existing_external_ids(db, []) == set()
    # the same file again: every row is already present
    again, _ = _run(db, settings, body.encode(), name="ours.csv")
    assert (again.inserted, again.already_present) == (0, len(odd))


def test_reserved_ids_are_new_and_distinct_and_rows_keep_them(db, settings):
    from nte.spatial import reserve_ids

    body = "\n".join(
        ["external_id,occurred_at,lon,lat,category"]
        + [f"r{i},2026-01-10T22:00:00Z,-0.1337,51.5136,verbal_harassment" for i in range(30)]
    )
    summary, errors = _run(db, settings, body.encode(), name="ours.csv")
    assert summary.inserted == 30, errors
    highest = db.scalar(sa.select(sa.func.max(Report.id)))
    ids = reserve_ids(db, Report.__table__, 500)
    assert len(ids) == len(set(ids)) == 500 and min(ids) > highest
    assert all(isinstance(i, int) for i in ids)
    assert reserve_ids(db, Report.__table__, 0) == []
    # every imported report has its categories under the id it was given
    orphans = db.scalar(
        sa.select(sa.func.count())
        .select_from(ReportCategory)
        .where(~ReportCategory.report_id.in_(sa.select(Report.id)))
    )
    assert orphans == 0
