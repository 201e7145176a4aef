"""Recurring shift series: wall-clock expansion, clock changes, edits, validation.

UK clock changes used throughout: 2027-03-28 01:00 GMT -> 02:00 BST (spring
forward, Sunday) and 2027-10-31 02:00 BST -> 01:00 GMT (fall back, Sunday).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from nte.patrols.recurrence import (
    InvalidSeries,
    NightChange,
    Occurrence,
    ShiftSeriesSpec,
    describe,
    materialise,
    occurs_on,
    orphaned_dates,
)

LONDON = ZoneInfo("Europe/London")
H = timedelta(hours=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def spec(rrule: str = "FREQ=WEEKLY;BYDAY=FR", **overrides: object) -> ShiftSeriesSpec:
    values: dict[str, object] = {
        "rrule": rrule,
        "start_date": date(2027, 1, 1),
        "start_time": time(22, 0),
        "end_time": time(4, 0),
    }
    values.update(overrides)
    return ShiftSeriesSpec(**values)  # type: ignore[arg-type]


def year_2027(s: ShiftSeriesSpec) -> list[Occurrence]:
    return materialise(s, window_start=utc(2027, 1, 1), window_end=utc(2028, 1, 1))


def by_date(occurrences: list[Occurrence]) -> dict[date, Occurrence]:
    return {o.occurrence_date: o for o in occurrences}


# --- clock changes -------------------------------------------------------------


def test_saturday_night_is_5h_on_spring_forward_and_7h_on_fall_back() -> None:
    nights = by_date(year_2027(spec("FREQ=WEEKLY;BYDAY=SA", start_date=date(2027, 1, 2))))

    spring = nights[date(2027, 3, 27)]
    assert spring.start_at == utc(2027, 3, 27, 22)  # 22:00 GMT
    assert spring.end_at == utc(2027, 3, 28, 3)  # 04:00 BST
    assert spring.duration == 5 * H

    autumn = nights[date(2027, 10, 30)]
    assert autumn.start_at == utc(2027, 10, 30, 21)  # 22:00 BST
    assert autumn.end_at == utc(2027, 10, 31, 4)  # 04:00 GMT
    assert autumn.duration == 7 * H

    others = [o.duration for d, o in nights.items() if d not in (date(2027, 3, 27), date(2027, 10, 30))]
    assert set(others) == {6 * H}
    assert len(nights) == 52


def test_local_start_and_end_stay_on_the_wall_clock_all_year() -> None:
    nights = year_2027(spec("FREQ=WEEKLY;BYDAY=SA", start_date=date(2027, 1, 2)))
    assert len(nights) >= 52, f"{len(nights)} Saturday nights in 2027 to check; there are 52"
    for occurrence in nights:
        start = occurrence.start_at.astimezone(LONDON)
        end = occurrence.end_at.astimezone(LONDON)
        assert (start.time(), end.time()) == (time(22), time(4))
        assert start.date() == occurrence.occurrence_date
        assert end.date() == occurrence.occurrence_date + timedelta(days=1)
        assert occurrence.start_at.tzinfo is UTC


def test_friday_nights_are_never_affected_because_uk_clocks_change_on_sunday() -> None:
    nights = by_date(year_2027(spec()))
    assert {o.duration for o in nights.values()} == {6 * H}
    # The Fridays either side of each change move in UTC, not on the wall clock.
    assert nights[date(2027, 3, 26)].start_at == utc(2027, 3, 26, 22)
    assert nights[date(2027, 4, 2)].start_at == utc(2027, 4, 2, 21)
    assert nights[date(2027, 10, 29)].start_at == utc(2027, 10, 29, 21)
    assert nights[date(2027, 11, 5)].start_at == utc(2027, 11, 5, 22)


def test_saturday_to_sunday_shift_starting_after_midnight() -> None:
    # Series on Sundays 00:30-03:30: crosses the change itself on both nights.
    nights = by_date(
        year_2027(
            spec("FREQ=WEEKLY;BYDAY=SU", start_date=date(2027, 1, 3), start_time=time(0, 30), end_time=time(3, 30))
        )
    )
    assert nights[date(2027, 3, 28)].duration == 2 * H
    assert nights[date(2027, 10, 31)].duration == 4 * H


def test_non_existent_local_time_uses_the_offset_before_the_gap() -> None:
    # 01:30 does not exist on 2027-03-28: read as 01:30 GMT (= 02:30 BST).
    nights = by_date(
        year_2027(spec("FREQ=DAILY", start_date=date(2027, 3, 27), start_time=time(1, 30), end_time=time(5)))
    )
    assert nights[date(2027, 3, 27)].start_at == utc(2027, 3, 27, 1, 30)
    assert nights[date(2027, 3, 28)].start_at == utc(2027, 3, 28, 1, 30)
    assert nights[date(2027, 3, 28)].end_at == utc(2027, 3, 28, 4)  # 05:00 BST
    assert nights[date(2027, 3, 28)].duration == timedelta(hours=2, minutes=30)


def test_ambiguous_local_time_is_its_first_occurrence() -> None:
    # 01:30 happens twice on 2027-10-31: the BST one (00:30 UTC) is used.
    nights = by_date(
        year_2027(spec("FREQ=DAILY", start_date=date(2027, 10, 30), start_time=time(1, 30), end_time=time(3)))
    )
    assert nights[date(2027, 10, 31)].start_at == utc(2027, 10, 31, 0, 30)
    assert nights[date(2027, 10, 31)].duration == timedelta(hours=2, minutes=30)
    assert nights[date(2027, 11, 1)].duration == timedelta(hours=1, minutes=30)


def test_start_in_the_gap_with_an_end_just_after_it_gives_zero_not_negative() -> None:
    s = spec("FREQ=DAILY", start_date=date(2027, 3, 28), start_time=time(1, 30), end_time=time(2, 15))
    night = by_date(year_2027(s))[date(2027, 3, 28)]
    assert night.duration == timedelta(0)
    assert night.end_at == night.start_at


def test_other_time_zone() -> None:
    # New York changes on 2027-03-14 (Sunday 02:00 -> 03:00).
    nights = by_date(year_2027(spec("FREQ=WEEKLY;BYDAY=SA", start_date=date(2027, 1, 2), tz="America/New_York")))
    assert nights[date(2027, 3, 13)].duration == 5 * H
    assert nights[date(2027, 3, 13)].start_at == utc(2027, 3, 14, 3)
    assert nights[date(2027, 3, 27)].duration == 6 * H


# --- exceptions and per-night changes ------------------------------------------


def test_exceptions_are_kept_and_flagged_cancelled() -> None:
    s = spec(exceptions={date(2027, 12, 24), date(2027, 12, 31)})
    nights = by_date(year_2027(s))
    assert nights[date(2027, 12, 24)].cancelled
    assert nights[date(2027, 12, 31)].cancelled
    assert not nights[date(2027, 12, 17)].cancelled
    assert len(nights) == 53  # 2027 has 53 Fridays; none dropped
    assert nights[date(2027, 12, 24)].start_at == utc(2027, 12, 24, 22)


def test_change_of_times_on_one_night() -> None:
    s = spec(changes={date(2027, 7, 2): NightChange(start_time=time(23, 30), end_time=time(5))})
    nights = by_date(year_2027(s))
    changed = nights[date(2027, 7, 2)]
    assert changed.changed and not changed.cancelled
    assert changed.start_at == utc(2027, 7, 2, 22, 30)
    assert changed.end_at == utc(2027, 7, 3, 4)
    assert changed.duration == timedelta(hours=5, minutes=30)
    assert not nights[date(2027, 7, 9)].changed


def test_change_of_end_only_can_make_the_night_end_the_same_day() -> None:
    s = spec(changes={date(2027, 7, 2): NightChange(end_time=time(23, 45))})
    night = by_date(year_2027(s))[date(2027, 7, 2)]
    assert night.duration == timedelta(hours=1, minutes=45)


def test_moved_night_keeps_its_generated_date_as_key() -> None:
    s = spec(changes={date(2027, 12, 24): NightChange(moved_to=date(2027, 12, 23))})
    nights = year_2027(s)
    moved = by_date(nights)[date(2027, 12, 24)]
    assert moved.changed
    assert moved.start_at == utc(2027, 12, 23, 22)
    assert moved.end_at == utc(2027, 12, 24, 4)
    assert [o.start_at for o in nights] == sorted(o.start_at for o in nights)


def test_night_moved_into_the_window_from_outside_it_is_included() -> None:
    s = spec(changes={date(2027, 6, 4): NightChange(moved_to=date(2027, 3, 3))})
    window = {"window_start": utc(2027, 3, 2), "window_end": utc(2027, 3, 4)}
    assert [o.occurrence_date for o in materialise(s, **window)] == [date(2027, 6, 4)]
    # ... and it is no longer in its original place.
    june = materialise(s, window_start=utc(2027, 6, 1), window_end=utc(2027, 6, 8))
    assert june == []


def test_cancelled_and_changed_night_keeps_the_changed_times() -> None:
    s = spec(
        exceptions={date(2027, 7, 2)},
        changes={date(2027, 7, 2): NightChange(start_time=time(21))},
    )
    night = by_date(year_2027(s))[date(2027, 7, 2)]
    assert night.cancelled and night.changed
    assert night.start_at == utc(2027, 7, 2, 20)


def test_orphaned_exception_and_change_dates_are_ignored_and_reported() -> None:
    s = spec(
        exceptions={date(2027, 7, 3)},  # a Saturday: not in a Friday series
        changes={
            date(2027, 7, 4): NightChange(start_time=time(21)),
            date(2027, 7, 9): NightChange(start_time=time(21)),
        },
    )
    assert orphaned_dates(s) == {date(2027, 7, 3), date(2027, 7, 4)}
    nights = by_date(year_2027(s))
    assert date(2027, 7, 3) not in nights and date(2027, 7, 4) not in nights
    assert not any(o.cancelled for o in nights.values())
    assert occurs_on(s, date(2027, 7, 9)) and not occurs_on(s, date(2027, 7, 8))


# --- windows, COUNT, UNTIL -------------------------------------------------------


def test_night_under_way_at_window_start_is_included() -> None:
    s = spec()
    # Friday 2027-07-02 22:00 BST (21:00 UTC) to Saturday 04:00 BST (03:00 UTC).
    got = materialise(s, window_start=utc(2027, 7, 3, 2), window_end=utc(2027, 7, 3, 3))
    assert [o.occurrence_date for o in got] == [date(2027, 7, 2)]


def test_window_is_half_open() -> None:
    s = spec()
    ends_at_start = materialise(s, window_start=utc(2027, 7, 3, 3), window_end=utc(2027, 7, 9))
    assert ends_at_start == []
    starts_at_end = materialise(s, window_start=utc(2027, 7, 2), window_end=utc(2027, 7, 2, 21))
    assert starts_at_end == []
    touches = materialise(s, window_start=utc(2027, 7, 2), window_end=utc(2027, 7, 2, 21, 0, 1))
    assert len(touches) == 1


def test_window_in_another_offset_gives_the_same_nights() -> None:
    s = spec()
    a = materialise(s, window_start=utc(2027, 7, 1), window_end=utc(2027, 8, 1))
    tz = ZoneInfo("Asia/Tokyo")
    b = materialise(s, window_start=utc(2027, 7, 1).astimezone(tz), window_end=utc(2027, 8, 1).astimezone(tz))
    assert a == b and len(a) == 5


def test_window_before_series_start_and_old_series() -> None:
    s = spec(start_date=date(2019, 1, 4))
    assert materialise(s, window_start=utc(2018, 1, 1), window_end=utc(2018, 12, 1)) == []
    recent = year_2027(s)
    assert len(recent) == 53
    # Restarting the rule near the window must not shift anything.
    full = spec(start_date=date(2027, 1, 1))
    assert recent == year_2027(full)


def test_interval_keeps_its_phase_for_old_series() -> None:
    fortnightly = spec("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", start_date=date(2019, 1, 4))
    dates = [o.occurrence_date for o in year_2027(fortnightly)]
    # 2019-01-04 + 2k weeks; 2027-01-08 is 418 weeks later (even).
    assert dates[0] == date(2027, 1, 8)
    assert all((d - date(2019, 1, 4)).days % 14 == 0 for d in dates)
    every_third_day = spec("FREQ=DAILY;INTERVAL=3", start_date=date(2020, 2, 29))
    dates = [o.occurrence_date for o in year_2027(every_third_day)]
    assert all((d - date(2020, 2, 29)).days % 3 == 0 for d in dates)
    assert len(dates) in (121, 122)


def test_count_limits_the_series() -> None:
    s = spec("FREQ=WEEKLY;BYDAY=FR;COUNT=4")
    got = year_2027(s)
    assert [o.occurrence_date for o in got] == [
        date(2027, 1, 1),
        date(2027, 1, 8),
        date(2027, 1, 15),
        date(2027, 1, 22),
    ]
    # COUNT counts from the series start, not from the window.
    late = materialise(s, window_start=utc(2027, 1, 20), window_end=utc(2027, 3, 1))
    assert [o.occurrence_date for o in late] == [date(2027, 1, 22)]


def test_until_as_date_includes_that_whole_local_day() -> None:
    s = spec("FREQ=WEEKLY;BYDAY=FR;UNTIL=20270129")
    assert year_2027(s)[-1].occurrence_date == date(2027, 1, 29)
    assert len(year_2027(s)) == 5


def test_until_in_utc_is_compared_in_local_time() -> None:
    # 2027-07-02 21:00Z is 22:00 BST: that Friday is the last night.
    s = spec("FREQ=WEEKLY;BYDAY=FR;UNTIL=20270702T210000Z")
    assert year_2027(s)[-1].occurrence_date == date(2027, 7, 2)
    s = spec("FREQ=WEEKLY;BYDAY=FR;UNTIL=20270702T205959Z")
    assert year_2027(s)[-1].occurrence_date == date(2027, 6, 25)


def test_start_date_not_matching_the_rule_starts_at_the_first_match() -> None:
    s = spec(start_date=date(2027, 1, 6))  # a Wednesday
    assert year_2027(s)[0].occurrence_date == date(2027, 1, 8)


def test_monthly_last_friday() -> None:
    s = spec("FREQ=MONTHLY;BYDAY=-1FR")
    dates = [o.occurrence_date for o in year_2027(s)]
    assert len(dates) == 12
    assert dates[2] == date(2027, 3, 26) and dates[9] == date(2027, 10, 29)


def test_rrule_prefix_and_case_are_accepted() -> None:
    assert year_2027(spec("RRULE:freq=weekly;byday=fr")) == year_2027(spec())


# --- validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"rrule": "FREQ=WEEKLY;BYDAY=XX"}, "rrule"),
        ({"rrule": "WEEKLY"}, "rrule"),
        ({"rrule": ""}, "rrule"),
        ({"rrule": "BYDAY=FR"}, "rrule"),
        ({"rrule": "FREQ=HOURLY"}, "rrule"),
        ({"rrule": "FREQ=MINUTELY;INTERVAL=30"}, "rrule"),
        ({"rrule": "FREQ=DAILY;BYHOUR=22"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;COUNT=3;UNTIL=20271231"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;COUNT=0"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;INTERVAL=0"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;UNTIL=2027"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;UNTIL=20271331"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;BOGUS=1"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;FREQ=DAILY"}, "rrule"),
        ({"rrule": "DTSTART:20270101T220000\nRRULE:FREQ=WEEKLY"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;UNTIL=20261231"}, "rrule"),  # no nights at all
        ({"end_time": time(22, 0)}, "end_time"),
        ({"start_time": time(22, 0, tzinfo=UTC)}, "start_time"),
        ({"start_date": datetime(2027, 1, 1)}, "start_date"),
        ({"tz": "Europe/Lundun"}, "tz"),
        ({"tz": "../etc/passwd"}, "tz"),
        ({"tz": ""}, "tz"),
        ({"exceptions": {datetime(2027, 1, 1)}}, "exceptions"),
        ({"changes": {date(2027, 1, 1): NightChange()}}, "changes"),
        ({"changes": {date(2027, 1, 1): NightChange(end_time=time(22))}}, "changes"),
        ({"changes": {date(2027, 1, 1): NightChange(start_time=time(1), end_time=time(1))}}, "changes"),
        ({"changes": {date(2027, 1, 1): (time(1), time(2))}}, "changes"),
    ],
)
def test_invalid_input_names_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidSeries) as caught:
        spec(**overrides)
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).startswith(f"{field}: ")


def test_finer_than_daily_message_is_clear() -> None:
    with pytest.raises(InvalidSeries, match="finer than DAILY"):
        spec("FREQ=HOURLY")


@pytest.mark.parametrize(
    ("window_start", "window_end"),
    [
        (datetime(2027, 1, 1), utc(2027, 2, 1)),
        (utc(2027, 1, 1), datetime(2027, 2, 1)),
        (utc(2027, 2, 1), utc(2027, 1, 1)),
    ],
)
def test_window_must_be_aware_and_ordered(window_start: datetime, window_end: datetime) -> None:
    with pytest.raises(ValueError, match="window"):
        materialise(spec(), window_start=window_start, window_end=window_end)


def test_spec_is_hashable_and_compares_by_value() -> None:
    a = spec(exceptions=[date(2027, 1, 1)])
    b = spec(exceptions={date(2027, 1, 1)})
    assert a == b and hash(a) == hash(b)
    assert isinstance(a.exceptions, frozenset)


# --- describe -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rrule", "text"),
    [
        ("FREQ=WEEKLY;BYDAY=FR", "Every Friday, 22:00-04:00 (Europe/London)"),
        ("FREQ=WEEKLY", "Every Friday, 22:00-04:00 (Europe/London)"),
        ("FREQ=WEEKLY;BYDAY=SA,FR", "Every Friday and Saturday, 22:00-04:00 (Europe/London)"),
        ("FREQ=WEEKLY;BYDAY=MO,WE,FR", "Every Monday, Wednesday and Friday, 22:00-04:00 (Europe/London)"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", "Every 2 weeks on Friday, 22:00-04:00 (Europe/London)"),
        ("FREQ=DAILY", "Every day, 22:00-04:00 (Europe/London)"),
        ("FREQ=DAILY;INTERVAL=3", "Every 3 days, 22:00-04:00 (Europe/London)"),
        ("FREQ=MONTHLY;BYDAY=1FR", "Monthly on the first Friday, 22:00-04:00 (Europe/London)"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "Monthly on the last Friday, 22:00-04:00 (Europe/London)"),
        ("FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1", "Monthly on the last Friday, 22:00-04:00 (Europe/London)"),
        ("FREQ=MONTHLY;BYMONTHDAY=15", "Monthly on day 15, 22:00-04:00 (Europe/London)"),
        ("FREQ=YEARLY", "Every year on 1 January, 22:00-04:00 (Europe/London)"),
        ("FREQ=WEEKLY;BYDAY=FR;COUNT=10", "Every Friday, 22:00-04:00 (Europe/London), 10 times"),
        (
            "FREQ=WEEKLY;BYDAY=FR;UNTIL=20271231",
            "Every Friday, 22:00-04:00 (Europe/London), until 31 December 2027",
        ),
        (
            "FREQ=MONTHLY;BYMONTH=12;BYDAY=FR",
            "Custom rule FREQ=MONTHLY;BYMONTH=12;BYDAY=FR, 22:00-04:00 (Europe/London)",
        ),
    ],
)
def test_describe(rrule: str, text: str) -> None:
    assert describe(spec(rrule)) == text


# --- speed ---------------------------------------------------------------------------


def test_a_year_of_50_weekly_series() -> None:
    # How fast this is lives in bench/bench_patrols.py ("a year of shifts for 50 series"), not here.
    rules = ["FREQ=WEEKLY;BYDAY=FR", "FREQ=WEEKLY;BYDAY=FR,SA", "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA"]
    series = [spec(rules[i % 3], start_date=date(2019 + i % 8, 1, 4)) for i in range(50)]
    total = sum(len(year_2027(s)) for s in series)
    assert total > 2500
