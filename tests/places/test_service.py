"""Postcode imports (ONSPD and Code-Point Open, real formats) and place search ranking."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from nte.db import utcnow
from nte.places import repository as repo
from nte.places import service
from nte.places.formats import UnreadableFile
from nte.places.models import PlacePostcode
from tests.factories import make_safe_space, make_venue

HERE = Path(__file__).resolve().parent
ONSPD = HERE / "onspd-sample.csv"
CODEPOINT = HERE / "codepoint-sample.csv"


def _import(db, settings, path: Path, fmt, **kw):
    with path.open(encoding="utf-8-sig", newline="") as fh:
        summary = service.import_postcodes(db, lines=fh, fmt=fmt, settings=settings, now=utcnow(), **kw)
    db.flush()
    return summary


def _stored(db) -> dict[str, PlacePostcode]:
    return {p.postcode: p for p in db.scalars(sa.select(PlacePostcode))}


def test_onspd_import_counts_names_bad_rows_and_keeps_terminated_postcodes(db, settings):
    summary = _import(db, settings, ONSPD, "onspd")
    assert (summary.read, summary.inserted, summary.updated) == (8, 7, 0)
    assert (summary.outside, summary.terminated, summary.bad) == (1, 1, 5)
    bad = {row.line: row.reason for row in summary.bad_rows}
    assert set(bad) == {9, 10, 11, 12, 13}
    assert "not a UK postcode" in bad[9]
    assert "not numbers" in bad[10]
    assert "no coordinates" in bad[11]
    assert "doterm" in bad[12]
    assert "columns" in bad[13]
    stored = _stored(db)
    assert set(stored) == {"SW1A 2AA", "SW1A 1AA", "WC2H 9NG", "W1D 3QF", "EC2N 2DB", "E8 3RL", "N1 9GU"}
    assert "EH1 1YZ" not in stored  # Edinburgh: outside the served area's box
    # Terminated: kept (people still write old postcodes) and flagged with the month.
    assert stored["EC2N 2DB"].terminated_date == date(2009, 12, 1)
    assert stored["SW1A 2AA"].terminated_date is None
    assert {p.source for p in stored.values()} == {"onspd"}
    assert not any(p.approximate for p in stored.values())
    assert (stored["SW1A 2AA"].outward, stored["SW1A 2AA"].sector) == ("SW1A", "SW1A 2")
    point = repo.postcode_row(db, "SW1A 2AA")
    assert (point.lon, point.lat) == pytest.approx((-0.12764, 51.503396))
    # N1 9GU had no lat/long: its grid reference was converted.
    n1 = repo.postcode_row(db, "N1 9GU")
    assert (n1.lon, n1.lat) == pytest.approx((-0.121445, 51.535336), abs=1e-5)


def test_onspd_reimport_updates_and_never_duplicates(db, settings):
    _import(db, settings, ONSPD, "onspd")
    db.execute(sa.update(PlacePostcode).where(PlacePostcode.postcode == "SW1A 2AA").values(source="demo-derived"))
    again = _import(db, settings, ONSPD, "onspd")
    assert (again.inserted, again.updated, again.bad) == (0, 7, 5)
    assert repo.count_postcodes(db) == 7
    assert db.scalar(sa.select(PlacePostcode.source).where(PlacePostcode.postcode == "SW1A 2AA")) == "onspd"


def test_import_all_keeps_postcodes_outside_the_served_area(db, settings):
    summary = _import(db, settings, ONSPD, "onspd", keep_all=True)
    assert (summary.inserted, summary.outside) == (8, 0)
    edinburgh = repo.postcode_row(db, "EH1 1YZ")
    assert edinburgh.lat == pytest.approx(55.952)


def test_codepoint_import_converts_the_grid_and_names_bad_rows(db, settings):
    summary = _import(db, settings, CODEPOINT, "codepoint")
    assert (summary.read, summary.inserted, summary.outside, summary.bad) == (8, 7, 1, 4)
    bad = {row.line: row.reason for row in summary.bad_rows}
    assert set(bad) == {6, 7, 8, 9}
    assert "not a UK postcode" in bad[6] and "quality 90" in bad[7] and "not numbers" in bad[8] and "columns" in bad[9]
    stored = _stored(db)
    assert {p.source for p in stored.values()} == {"codepoint-open"}
    assert stored["E8 3RL"].approximate is True  # quality 60: the sector's mean
    assert stored["SW6 1AA"].approximate is False
    downing = repo.postcode_row(db, "SW1A 2AA")
    # Easting 530047, northing 179951 is 10 Downing Street.
    assert downing.lon == pytest.approx(-0.12764, abs=0.0003) and downing.lat == pytest.approx(51.5034, abs=0.0003)
    again = _import(db, settings, CODEPOINT, "codepoint")
    assert (again.inserted, again.updated) == (0, 7)
    assert repo.count_postcodes(db) == 7


def test_a_file_in_the_other_format_is_refused_before_anything_is_written(db, settings):
    with pytest.raises(UnreadableFile, match="pcds"):
        _import(db, settings, CODEPOINT, "onspd")
    with pytest.raises(UnreadableFile, match="header"):
        _import(db, settings, ONSPD, "codepoint")
    assert repo.count_postcodes(db) == 0


def test_batches_write_everything(db, settings, monkeypatch):
    monkeypatch.setattr(service, "BATCH_ROWS", 2)
    summary = _import(db, settings, ONSPD, "onspd")
    assert summary.inserted == 7 and repo.count_postcodes(db) == 7


def test_demo_fill_is_one_mean_point_per_postcode_and_leaves_real_points_alone(db, settings):
    _import(db, settings, CODEPOINT, "codepoint")
    inserted, updated = service.fill_from_points(
        db,
        points=[("wc2h9ng", -0.1310, 51.5130), ("WC2H 9NG", -0.1320, 51.5140), ("SW1A 2AA", 0.0, 51.0), ("bad", 0, 0)],
        now=utcnow(),
    )
    db.flush()
    assert (inserted, updated) == (1, 0)
    soho = repo.postcode_row(db, "WC2H 9NG")
    assert (soho.lon, soho.lat) == pytest.approx((-0.1315, 51.5135))
    assert soho.approximate is True and soho.source == "demo-derived"
    assert repo.postcode_row(db, "SW1A 2AA").source == "codepoint-open"  # not overwritten


def test_the_shipped_demo_data_fills_the_table(db):
    from nte.places.demo import load_postcodes

    added = load_postcodes(db)
    db.flush()
    assert added > 500
    assert load_postcodes(db) == 0  # idempotent
    assert repo.count_postcodes(db, source="demo-derived") == added


# --- search ------------------------------------------------------------------------------------------


def _labels(db, settings, q, **kw):
    return [(p.kind, p.label) for p in service.search(db, q=q, settings=settings, **kw)]


def test_search_ranks_prefix_before_contains_and_ignores_case_and_accents(db, settings):
    make_venue(db, status="verified", name="Café Soho", address="12-14 Old Compton Street, London")
    make_venue(db, status="verified", name="The Soho Tavern", address="3 Dean Street, London")
    make_venue(db, status="verified", name="Sohoton", address="9 Frith Street, London")
    found = _labels(db, settings, "SOHO")
    names = [label for kind, label in found if kind == "venue"]
    # Starts with "soho" (Sohoton), then a word starting with it (Café Soho? no: "The Soho Tavern"
    # and "Café Soho" both have a word "soho"), prefix first.
    assert names[0] == "Sohoton"
    assert set(names[1:]) == {"Café Soho", "The Soho Tavern"}
    assert _labels(db, settings, "cafe soho")[0] == ("venue", "Café Soho")
    assert ("street", "Old Compton Street") in _labels(db, settings, "old compton")
    assert ("street", "Old Compton Street") in _labels(db, settings, "compton")


def test_search_finds_wards_with_their_names(db, settings):
    found = service.search(db, q="west end", settings=settings)
    assert found[0].kind == "ward" and found[0].label == "West End" and found[0].ward_name == "West End"
    assert found[0].approximate is True


def test_search_never_returns_unverified_or_withdrawn_venues_or_safe_spaces(db, settings):
    make_venue(db, status="submitted", name="Hidden Unverified Bar", address="1 Secret Street, London")
    make_venue(db, status="withdrawn", name="Hidden Withdrawn Bar", address="2 Quiet Street, London")
    make_safe_space(db, name="Hidden Unverified Haven", address="5 Lost Lane, London")
    make_venue(db, status="verified", name="Shown Verified Bar", address="3 Open Street, London")
    make_safe_space(db, name="Shown Verified Haven", address="7 Found Lane, London", status="verified")
    labels = [label for _, label in _labels(db, settings, "hidden", limit=20)]
    assert labels == []
    assert ("venue", "Shown Verified Bar") in _labels(db, settings, "shown")
    assert ("safe_space", "Shown Verified Haven") in _labels(db, settings, "shown")
    assert ("street", "Found Lane") in _labels(db, settings, "found lane")
    assert _labels(db, settings, "secret street") == [] and _labels(db, settings, "lost lane") == []


def test_postcode_results_come_first(db, settings):
    service.fill_from_points(db, points=[("SW1A 2AA", -0.1276, 51.5034), ("SW1E 5HX", -0.14, 51.497)], now=utcnow())
    make_venue(db, status="verified", name="SW1 Bar", address="1 Victoria Street, London")
    found = _labels(db, settings, "SW1")
    assert found[:2] == [("postcode", "SW1A"), ("postcode", "SW1E")]
    assert ("venue", "SW1 Bar") in found


@pytest.mark.parametrize(
    ("address", "street"),
    [
        ("12-14 Old Compton Street, London", "Old Compton Street"),
        ("The Shard, 32 London Bridge Street, London", "London Bridge Street"),
        ("Unit 3, 5 Kingsland Road", "Kingsland Road"),
        ("London", None),
        ("", None),
    ],
)
def test_street_of_an_address(address, street):
    assert service.street_of(address) == street


def test_fold():
    assert service.fold("  St. Mary's  CAFÉ ") == "st mary s cafe"
