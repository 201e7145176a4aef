"""Public ward maps: suppression, rounding, fixed calendar periods, frozen publication, and the
differencing guarantee (no two public views can be differenced to reveal a single report)."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from nte.london import LONDON
from nte.maps import public as public_service
from nte.maps import repository as repo
from nte.maps.exceptions import UnknownPeriod
from nte.maps.filters import local_midnight_utc
from nte.scheduler import JOBS
from nte.wards import service as ward_service
from tests.factories import make_map_report

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
#: How many public periods are offered today with no archive years: 12 months, 4 quarters, 2 years.
PERIODS_TODAY = 18
SOHO = (-0.1337, 51.5136)
HACKNEY = (-0.0553, 51.5450)


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, None),
        (1, None),
        (9, None),
        (10, 10),
        (11, 10),
        (12, 10),
        (13, 15),
        (17, 15),
        (18, 20),
        (102, 100),
        (103, 105),
    ],
)
def test_suppression_and_rounding(count, expected):
    assert public_service.suppress(count, threshold=10) == expected
    assert public_service.shown(expected, threshold=10) == ("fewer than 10" if expected is None else str(expected))


def test_published_values_never_reveal_small_counts_or_exact_counts():
    for n in range(0, 500):
        value = public_service.suppress(n, threshold=10)
        assert value is None or (value >= 10 and value % 5 == 0 and abs(value - n) <= 2)
    # Any single report changes a published value in at most one step of the rounding grid, and
    # from 0 up to the threshold it changes nothing at all.
    assert {public_service.suppress(n, threshold=10) for n in range(10)} == {None}


def test_periods_are_a_fixed_list_of_whole_london_calendar_periods():
    periods = public_service.public_periods(NOW)
    assert periods[0].id == "month-2026-10"  # the last full month (closed at least a week ago)
    assert [p.kind for p in periods].count("month") == 12
    assert [p.kind for p in periods].count("quarter") == 4
    assert [p.kind for p in periods].count("year") == 2
    assert {p.id for p in periods if p.kind == "year"} == {"year-2025", "year-2024"}
    assert "quarter-2026-Q3" in {p.id for p in periods}
    for p in periods:
        assert p.start.day == 1
        assert (p.end + timedelta(days=1)).day == 1  # ends on the last day of a month
        assert p.end < date(2026, 11, 22) - timedelta(days=public_service.PUBLICATION_LAG_DAYS)
    # Early in a month, the month just ended is not offered until the lag has passed.
    assert public_service.public_periods(datetime(2026, 11, 3, tzinfo=UTC))[0].id == "month-2026-09"


def test_differencing_guarantee_any_two_views_differ_by_whole_published_months():
    """The report sets behind two distinct public views differ by a union of whole calendar months,
    never by part of a month: so no difference isolates a single report unless that month's own
    published (suppressed, rounded) view already shows it."""
    periods = public_service.public_periods(NOW)
    assert len(periods) >= PERIODS_TODAY, f"{len(periods)} public periods to compare; there were {PERIODS_TODAY}"

    def months_of(p):
        out, day = set(), p.start
        while day <= p.end:
            out.add((day.year, day.month))
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        return out

    published_months = {(p.start.year, p.start.month) for p in periods if p.kind == "month"}
    for a, b in itertools.combinations(periods, 2):
        diff = months_of(a) ^ months_of(b)
        assert diff, f"{a.id} and {b.id} cover the same months"
        # The boundaries of every view are London midnights on the 1st: whole months, nothing finer.
        for p in (a, b):
            for edge in (p.start, p.end + timedelta(days=1)):
                local = local_midnight_utc(edge).astimezone(LONDON)
                assert (local.day, local.hour, local.minute) == (1, 0, 0)
    # Every month inside a quarter offered is itself offered as a month when recent enough.
    for q in (p for p in periods if p.kind == "quarter"):
        assert months_of(q) <= published_months or q.start < min(date(y, m, 1) for y, m in published_months)


def test_public_api_offers_only_the_fixed_periods_and_no_other_filter(client, db):
    periods = client.get("/api/maps/public/periods").json()
    assert len(periods) >= PERIODS_TODAY, f"the API offers {len(periods)} public periods; it offered {PERIODS_TODAY}"
    assert all(p["id"].split("-")[0] in {"month", "quarter", "year"} for p in periods)
    for bad in ("2026-10", "month-2026-11", "month-2019-01", "day-2026-10-01", "year-2026", "x" * 40):
        r = client.get("/api/maps/public/wards.geojson", params={"period": bad})
        assert r.status_code == 422 and r.json()["field"] == "period", bad
    # Parameters of the officer filter are refused, each named (before, they were silently ignored).
    first = periods[0]["id"]
    plain = client.get("/api/maps/public/wards.geojson", params={"period": first, "source": "public"})
    assert plain.status_code == 200 and plain.json()["source"] == "public"
    sneaky = {"from": "2026-10-05", "to": "2026-10-05", "hours": "22-23", "category": "spiking", "status": "new"}
    for name, value in sneaky.items():
        r = client.get("/api/maps/public/wards.geojson", params={"period": first, name: value})
        assert r.status_code == 422 and r.json()["field"] == name, (name, r.text)


def test_public_view_suppresses_rounds_counts_only_accepted_and_is_frozen(db, settings):
    soho = ward_service.locate(db, lon=SOHO[0], lat=SOHO[1], settings=settings)
    hackney = ward_service.locate(db, lon=HACKNEY[0], lat=HACKNEY[1], settings=settings)
    october = datetime(2026, 10, 10, 21, tzinfo=UTC)
    for _ in range(13):
        make_map_report(db, lon=SOHO[0], lat=SOHO[1], occurred_at=october)
    for status in ("new", "spam", "duplicate"):
        make_map_report(db, lon=SOHO[0], lat=SOHO[1], occurred_at=october, status=status)
    for _ in range(3):
        make_map_report(db, lon=HACKNEY[0], lat=HACKNEY[1], occurred_at=october)
    view = public_service.published_view(db, period_id="month-2026-10", settings=settings, now=NOW)
    props = {f["properties"]["code"]: f["properties"] for f in view["features"]}
    site = {code: p["sources"]["site"] for code, p in props.items()}
    assert site[soho.code]["value"] == 15 and site[soho.code]["shown"] == "15"
    assert site[hackney.code]["value"] is None and site[hackney.code]["shown"] == "fewer than 10"
    assert props[soho.code]["sources"]["police"] == {
        "value": None,
        "months_below_threshold": 1,
        "shown": "fewer than 10",
    }
    assert props[soho.code]["value"] == 15 and props[hackney.code]["value"] is None  # what colours the map
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in view["features"])
    assert not any("count" in p or "rate_per_km2" in p for p in props.values())  # no exact figures published
    # One more report (a late one, or one moderated later) changes nothing: the view is frozen.
    make_map_report(db, lon=HACKNEY[0], lat=HACKNEY[1], occurred_at=october)
    for _ in range(7):
        make_map_report(db, lon=HACKNEY[0], lat=HACKNEY[1], occurred_at=october)
    again = public_service.published_view(db, period_id="month-2026-10", settings=settings, now=NOW + timedelta(days=3))
    assert again == view
    # The quarter containing October is published separately with the data as it stands then.
    quarter = public_service.published_view(db, period_id="quarter-2026-Q3", settings=settings, now=NOW)
    assert quarter["period"] == "quarter-2026-Q3"
    with pytest.raises(UnknownPeriod):
        public_service.published_view(db, period_id="month-2026-11", settings=settings, now=NOW)


def test_rebuild_job_publishes_each_offered_period_once(db, settings):
    assert any(job.id == "maps.rebuild_public" for job in JOBS)
    make_map_report(db, lon=SOHO[0], lat=SOHO[1], occurred_at=datetime(2026, 9, 3, tzinfo=UTC))
    built = public_service.rebuild_public(db, settings=settings, now=NOW)
    assert built == len(public_service.public_periods(NOW))
    assert public_service.rebuild_public(db, settings=settings, now=NOW) == 0
    labels = {e.label for e in repo.list_cache(db, kind="public")}
    assert "month-2026-10" in labels and "year-2025" in labels
    # A month later one new month (and nothing else unless a quarter/year closed) is published.
    assert public_service.rebuild_public(db, settings=settings, now=NOW + timedelta(days=31)) == 1


def test_public_page_uses_fixed_periods(client, db):
    r = client.get("/map")
    assert r.status_code == 200
    assert "fewer than 10" in r.text
    assert 'name="period"' in r.text and 'type="date"' not in r.text
    bad = client.get("/map", params={"period": "month-1999-01"})
    assert bad.status_code == 422 and "published periods" in bad.text


def test_archive_years_are_offered_for_older_moderated_data(db, settings):
    """Imported police data from 2016 is published by whole calendar year (disjoint partitions)."""
    make_map_report(db, lon=SOHO[0], lat=SOHO[1], occurred_at=datetime(2016, 6, 3, tzinfo=UTC))
    ids = [p.id for p in public_service.offered_periods(db, settings=settings, now=NOW)]
    assert "year-2016" in ids and "year-2023" in ids and "month-2016-06" not in ids
    years = [p for p in public_service.offered_periods(db, settings=settings, now=NOW) if p.kind == "year"]
    assert all(a.end < b.start or b.end < a.start for i, a in enumerate(years) for b in years[i + 1 :])
    view = public_service.public_view(db, period_id="year-2016", settings=settings, now=NOW)
    assert view["period"] == "year-2016"


def test_a_year_minus_its_last_quarter_reveals_nothing(db, settings):
    """The probe's finding: Hackney Downs, 1 report in January-September 2025 and 12 in Q4. A year
    counted on its own (13 -> "15") minus Q4 ("10") proved at least one report in nine months each
    published as "fewer than 10". Now the year is the sum of its months' published figures."""
    downs = ward_service.locate(db, lon=HACKNEY[0], lat=HACKNEY[1], settings=settings)
    make_map_report(db, lon=HACKNEY[0], lat=HACKNEY[1], occurred_at=datetime(2025, 3, 14, 22, tzinfo=UTC))
    for day in range(1, 13):
        make_map_report(db, lon=HACKNEY[0], lat=HACKNEY[1], occurred_at=datetime(2025, 10, day, 22, tzinfo=UTC))
    now = datetime(2026, 1, 20, 12, tzinfo=UTC)  # 2025 and 2025 Q4 are both offered

    def ward(period_id):
        view = public_service.published_view(db, period_id=period_id, settings=settings, now=now)
        return next(f["properties"]["sources"]["site"] for f in view["features"] if f["id"] == downs.code)

    year, quarter = ward("year-2025"), ward("quarter-2025-Q4")
    assert quarter["value"] == 10 and year["value"] == 10  # October's published 10, nothing else
    assert year["value"] - quarter["value"] == 0  # consistent with no report at all in Jan-Sep
    assert year["months_below_threshold"] == 11 and "fewer than 10 in each of 11 other months" in year["shown"]


def test_every_pair_of_views_differs_only_by_published_months(db, settings):
    """For every pair of offered periods and every ward, the difference of the two published figures
    is exactly the signed sum of the published figures of the months in which they differ: arithmetic
    on public views yields nothing that the month figures (each suppressed and rounded) do not show."""
    rng = __import__("random").Random(7)
    spots = [SOHO, HACKNEY, (-0.1878, 51.4997), (-0.2226, 51.4920)]
    for month_back in range(30):  # October 2026 back to May 2024
        y, m = divmod((2026 * 12 + 9) - month_back, 12)
        for spot in spots:
            for _ in range(rng.choice([0, 1, 3, 8, 9, 10, 12, 14, 20])):
                when = datetime(y, m + 1, 5, 22, tzinfo=UTC)
                source = rng.choice(["public", "police", "import"])
                make_map_report(db, lon=spot[0], lat=spot[1], occurred_at=when, source=source)
    periods = public_service.offered_periods(db, settings=settings, now=NOW)
    assert len(periods) >= PERIODS_TODAY
    where = ward_service.placement(db, settings=settings)
    all_months = sorted({mo for p in periods for mo in public_service.months_of(p)})
    atoms = public_service.freeze_months(db, all_months, where=where, settings=settings, now=NOW)
    threshold = settings.public_suppression_threshold
    for by_source in atoms.values():
        assert set(by_source) == set(public_service.SOURCE_KEYS)
        for figures in by_source.values():
            assert all(v is None or (v >= threshold and v % 5 == 0) for v in figures.values())
    views = {
        p.id: {
            f["id"]: f["properties"]
            for f in public_service.published_view(db, period_id=p.id, settings=settings, now=NOW)["features"]
        }
        for p in periods
    }
    codes = list(next(iter(views.values())))
    assert len(codes) >= 100
    by_id = {p.id: set(public_service.months_of(p)) for p in periods}
    pairs = 0
    for a, b in itertools.combinations(periods, 2):
        only_a, only_b = by_id[a.id] - by_id[b.id], by_id[b.id] - by_id[a.id]
        for code in codes:
            for source in public_service.SOURCE_KEYS:
                va, vb = views[a.id][code]["sources"][source], views[b.id][code]["sources"][source]
                atom = {mo: atoms[mo][source][code] for mo in only_a | only_b}
                expected = sum(atom[mo] or 0 for mo in only_a) - sum(atom[mo] or 0 for mo in only_b)
                assert (va["value"] or 0) - (vb["value"] or 0) == expected, (a.id, b.id, code, source)
                hidden = sum(atom[mo] is None for mo in only_a) - sum(atom[mo] is None for mo in only_b)
                assert va["months_below_threshold"] - vb["months_below_threshold"] == hidden, (a.id, b.id, code)
            # The map's colour is the sum of the published source figures: nothing finer either.
            for view in (views[a.id][code], views[b.id][code]):
                known = [f["value"] for f in view["sources"].values() if f["value"] is not None]
                assert view["value"] == (sum(known) if known else None)
            pairs += 1
    assert pairs >= len(codes) * PERIODS_TODAY * (PERIODS_TODAY - 1) // 2
    # Published to the day, not to the microsecond.
    view = public_service.published_view(db, period_id=periods[0].id, settings=settings, now=NOW)
    assert view["published_on"] == "2026-11-22" and "published_at" not in view


def _police(db, spot, when, n):
    for _ in range(n):
        make_map_report(db, lon=spot[0], lat=spot[1], occurred_at=when, source="police", time_precision="month")


def test_each_source_is_its_own_figure_so_police_uk_cannot_be_subtracted(db, settings):
    """police.uk publishes its records itself: a ward-month figure adding them to reports made here
    (10 police + 3 here = 13, shown as "15") minus police.uk's own 10 would show 3 to 7 reports made
    here, each below the threshold. Each source is suppressed on its own instead."""
    soho = ward_service.locate(db, lon=SOHO[0], lat=SOHO[1], settings=settings)
    october = datetime(2026, 10, 10, 21, tzinfo=UTC)
    _police(db, SOHO, october, 10)
    for _ in range(3):
        make_map_report(db, lon=SOHO[0], lat=SOHO[1], occurred_at=october)
    make_map_report(db, lon=SOHO[0], lat=SOHO[1], occurred_at=october, source="import")
    view = public_service.published_view(db, period_id="month-2026-10", settings=settings, now=NOW)
    props = next(f["properties"] for f in view["features"] if f["id"] == soho.code)
    assert props["sources"]["police"]["value"] == 10
    assert props["sources"]["site"]["value"] is None and props["sources"]["site"]["shown"] == "fewer than 10"
    assert props["value"] == 10  # the map's colour: published figures only, never 13 or 15


def test_the_map_opens_on_the_newest_period_with_figures(db, settings):
    """With only police data from 2016 (the demo's), the last month reads "fewer than 10" everywhere:
    the map opens on 2016 instead, and offers only periods with figures, newest first."""
    _police(db, SOHO, datetime(2016, 6, 1, tzinfo=UTC), 12)
    _police(db, HACKNEY, datetime(2016, 6, 1, tzinfo=UTC), 3)
    # Police-recorded crime opens on 2016; public reports (the default) have no figure at all.
    police = {"settings": settings, "source": "police"}
    assert public_service.opening_period(db, now=NOW, **police).id == "year-2016"
    assert public_service.public_view(db, period_id=None, now=NOW, **police)["period"] == "year-2016"
    assert [p.id for p in public_service.periods_with_figures(db, now=NOW, **police)] == ["year-2016"]
    assert public_service.periods_with_figures(db, settings=settings, now=NOW) == []
    assert public_service.public_view(db, period_id=None, settings=settings, now=NOW)["period"] == "month-2026-10"
    # A month later (November 2026 published), with reports made here in November: that month,
    # then 2016. Reports made in September after it was published change nothing (frozen).
    later = NOW + timedelta(days=31)
    for day in (12, 13):
        for _ in range(6):
            make_map_report(db, lon=SOHO[0], lat=SOHO[1], occurred_at=datetime(2026, 11, day, 22, tzinfo=UTC))
            make_map_report(db, lon=SOHO[0], lat=SOHO[1], occurred_at=datetime(2026, 9, day, 22, tzinfo=UTC))
    ids = [p.id for p in public_service.periods_with_figures(db, settings=settings, now=later, source=None)]
    assert ids == ["month-2026-11", "year-2016"]  # of either source
    assert [p.id for p in public_service.periods_with_figures(db, settings=settings, now=later)] == ["month-2026-11"]
    offered = {p.id for p in public_service.offered_periods(db, settings=settings, now=later)}
    assert set(ids) <= offered
    assert public_service.opening_period(db, settings=settings, now=later).id == "month-2026-11"


def test_with_no_figures_at_all_the_map_opens_on_the_last_month(db, settings):
    assert public_service.periods_with_figures(db, settings=settings, now=NOW) == []
    assert public_service.opening_period(db, settings=settings, now=NOW).id == "month-2026-10"


def test_public_page_opens_on_2016_police_figures_and_names_period_and_source(client, db, settings):
    soho = ward_service.locate(db, lon=SOHO[0], lat=SOHO[1], settings=settings)
    _police(db, SOHO, datetime(2016, 6, 1, tzinfo=UTC), 12)
    _police(db, HACKNEY, datetime(2016, 3, 1, tzinfo=UTC), 3)
    r = client.get("/map", params={"source": "police"})
    assert r.status_code == 200
    assert 'data-period="year-2016"' in r.text and "Figures for 2016: Police-recorded crime" in r.text
    assert "Police-recorded crime" in r.text and "police.uk" in r.text
    options = re.findall(r'<option value="([^"]+)"', r.text)
    assert options == ["year-2016"], options  # only periods with figures
    offered = {p["id"] for p in client.get("/api/maps/public/periods").json()}
    assert 'name="source" value="police"' in r.text  # choosing another period keeps the source
    assert set(options) <= offered
    row = re.search(rf'<tr data-ward="{soho.code}">.*?</tr>', r.text, re.S)
    assert row, "no row for the ward"
    police = re.search(r'data-source="police"[^>]*>([^<]*)<', row.group(0))
    assert police and police.group(1) == "10, with fewer than 10 in each of 11 other months", row.group(0)
    assert "fewer than 10 in each month" in r.text  # Hackney's 3, hidden, never 0
    assert '<span lang="en">data.police.uk' in r.text


@pytest.mark.parametrize("bad", ["month-1999-01", "month-2016-06", "2016", "year-2016'", "day-2016-01-01"])
def test_public_page_bad_period_is_a_422_naming_it_and_shows_the_opening_period(client, db, bad):
    _police(db, SOHO, datetime(2016, 6, 1, tzinfo=UTC), 12)
    r = client.get("/map", params={"period": bad, "source": "police"})
    assert r.status_code == 422, bad
    assert "Choose one of the published periods in the list." in r.text and 'href="#period"' in r.text
    assert 'data-period="year-2016"' in r.text
    too_long = client.get("/map", params={"period": "x" * 41})
    assert too_long.status_code == 422 and "period" in too_long.text


def test_public_page_in_arabic_reads_the_catalogue(client, db):
    _police(db, SOHO, datetime(2016, 6, 1, tzinfo=UTC), 12)
    _police(db, HACKNEY, datetime(2016, 3, 1, tzinfo=UTC), 3)
    r = client.get("/map", params={"lang": "ar", "source": "police"})
    assert r.status_code == 200
    assert "fewer than" not in r.text and "أقل من 10" in r.text
    assert "Police-recorded crime" not in r.text and "جرائم سجّلتها الشرطة" in r.text
    assert '<span lang="en">data.police.uk' in r.text  # the licence stays English, marked as such
    assert "<bdi>Westminster</bdi>" in r.text
    bad = client.get("/map", params={"lang": "ar", "period": "month-1999-01"})
    assert bad.status_code == 422 and "اختر إحدى الفترات المنشورة في القائمة." in bad.text
