"""Which period the printable monthly report covers is a rule of the maps service
(``nte.maps.monthly.report_period``), not of its page: a month asked for, the map's own dates, or
the latest month with data among the sources chosen."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from nte.maps.coverage import MonthRun, SourceCoverage
from nte.maps.exceptions import InvalidMapFilter
from nte.maps.filters import MapFilter
from nte.maps.monthly import report_period

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
MAP = MapFilter(date(2026, 1, 5), date(2026, 3, 9), sources=("police",))
COVERED = [
    SourceCoverage(
        "police", date(2016, 1, 3), date(2016, 12, 30), 900, (MonthRun(date(2016, 1, 1), date(2016, 12, 31)),)
    ),
    SourceCoverage("public", date(2026, 10, 2), date(2026, 11, 18), 40),
]


def test_a_month_asked_for_is_that_calendar_month():
    flt = report_period(MAP, month="2026-02", dates_chosen=True, covered=COVERED, now=NOW)
    assert (flt.date_from, flt.date_to) == (date(2026, 2, 1), date(2026, 2, 28))
    assert flt.sources == ("police",)  # every other part of the map's filter is kept


def test_the_maps_own_dates_are_kept_when_chosen():
    assert report_period(MAP, month=None, dates_chosen=True, covered=COVERED, now=NOW) == MAP


def test_without_dates_the_latest_month_with_data_of_the_sources_chosen():
    flt = report_period(MAP, month=None, dates_chosen=False, covered=COVERED, now=NOW)
    assert (flt.date_from, flt.date_to) == (date(2016, 12, 1), date(2016, 12, 31))
    every_source = MapFilter(MAP.date_from, MAP.date_to)
    flt = report_period(every_source, month=None, dates_chosen=False, covered=COVERED, now=NOW)
    assert (flt.date_from, flt.date_to) == (date(2026, 11, 1), date(2026, 11, 30))
    flt = report_period(every_source, month=None, dates_chosen=False, covered=[], now=NOW)
    assert (flt.date_from, flt.date_to) == (date(2026, 10, 1), date(2026, 10, 31))  # no data: the last full month


def test_a_month_that_is_not_one_is_an_error_naming_the_field():
    with pytest.raises(InvalidMapFilter) as caught:
        report_period(MAP, month="2026-13", dates_chosen=False, covered=COVERED, now=NOW)
    assert caught.value.field == "month"
