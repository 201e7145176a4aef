"""Opening-hours engine: boundaries, overnight and merged intervals, overrides, clock changes,
stale confirmation, JSON and text forms, and a brute-force cross-check with hypothesis."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nte.safespaces.hours import (
    HORIZON_DAYS,
    DateOverride,
    Interval,
    InvalidHours,
    OpenStatus,
    Schedule,
    WeeklyInterval,
    parse_opening_hours,
    status_at,
    week_hour,
    week_hours,
)

LONDON = ZoneInfo("Europe/London")
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
CONFIRMED = date(2027, 1, 1)  # recent enough for every instant below unless a test says otherwise


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0, *, fold: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, us, tzinfo=LONDON, fold=fold)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """Instants in the repeated fall-back hour: a London datetime there never equals a datetime
    in another zone (PEP 495), so tests state them in UTC."""
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def hm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def weekly(*entries: tuple[int, str, str]) -> Schedule:
    return Schedule(weekly=tuple(WeeklyInterval(day, hm(start), hm(end)) for day, start, end in entries))


def status(schedule: Schedule, moment: datetime, *, confirmed: date | None = None) -> OpenStatus:
    confirmed = confirmed or moment.astimezone(LONDON).date()
    return status_at(schedule, moment, hours_confirmed_date=confirmed)


def real_hours(start: datetime, end: datetime) -> float:
    return (end.astimezone(UTC) - start.astimezone(UTC)) / timedelta(hours=1)


# 2027-03-05 is a Friday.
FRIDAY_NIGHTS = weekly((FRI, "20:00", "04:00"))


# --- boundaries and overnight intervals ----------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (at(2027, 3, 5, 19, 59, 59), False),
        (at(2027, 3, 5, 20, 0), True),
        (at(2027, 3, 5, 23, 59, 59, 999999), True),
        (at(2027, 3, 6, 0, 0), True),
        (at(2027, 3, 6, 3, 59, 59, 999999), True),
        (at(2027, 3, 6, 4, 0), False),
        (at(2027, 3, 7, 2, 0), False),  # Saturday night: no Saturday interval
    ],
)
def test_overnight_interval_boundaries(moment: datetime, is_open: bool) -> None:
    assert status(FRIDAY_NIGHTS, moment).is_open is is_open


def test_overnight_interval_reports_its_real_end_and_next_opening() -> None:
    opened = status(FRIDAY_NIGHTS, at(2027, 3, 6, 2, 0))
    assert opened.open_until == at(2027, 3, 6, 4, 0)
    assert opened.opens_at is None
    assert opened.describe() == "open until 04:00"

    closed = status(FRIDAY_NIGHTS, at(2027, 3, 6, 4, 0))
    assert closed.open_until is None
    assert closed.opens_at == at(2027, 3, 12, 20, 0)
    assert closed.describe() == "opens Fri 20:00"


def test_opens_at_across_the_week_boundary() -> None:
    schedule = weekly((MON, "09:00", "17:00"))
    sunday_night = status(schedule, at(2027, 3, 7, 23, 30))
    assert sunday_night.opens_at == at(2027, 3, 8, 9, 0)
    assert sunday_night.describe() == "opens Mon 09:00"
    monday_evening = status(schedule, at(2027, 3, 8, 17, 0))
    assert monday_evening.opens_at == at(2027, 3, 15, 9, 0)
    assert monday_evening.describe() == "opens Mon 15 Mar 09:00"


def test_sunday_overnight_runs_into_monday() -> None:
    schedule = weekly((SUN, "22:00", "02:00"))
    assert status(schedule, at(2027, 3, 8, 1, 59)).is_open
    assert not status(schedule, at(2027, 3, 8, 2, 0)).is_open
    assert status(schedule, at(2027, 3, 7, 23, 0)).open_until == at(2027, 3, 8, 2, 0)


def test_several_intervals_per_day() -> None:
    schedule = weekly((WED, "09:00", "12:00"), (WED, "14:00", "17:00"), (WED, "20:00", "23:00"))
    assert status(schedule, at(2027, 3, 3, 11, 0)).open_until == at(2027, 3, 3, 12, 0)
    lunch = status(schedule, at(2027, 3, 3, 12, 0))
    assert not lunch.is_open
    assert lunch.describe() == "opens at 14:00"
    assert status(schedule, at(2027, 3, 3, 17, 30)).opens_at == at(2027, 3, 3, 20, 0)
    assert status(schedule, at(2027, 3, 3, 23, 0)).opens_at == at(2027, 3, 10, 9, 0)


def test_back_to_back_intervals_merge_across_midnight() -> None:
    schedule = weekly((FRI, "20:00", "24:00"), (SAT, "00:00", "04:00"))
    opened = status(schedule, at(2027, 3, 5, 21, 0))
    assert opened.open_until == at(2027, 3, 6, 4, 0)
    assert opened.describe() == "open until 04:00"
    assert status(schedule, at(2027, 3, 5, 23, 59, 59)).is_open
    assert status(schedule, at(2027, 3, 6, 0, 0)).is_open


def test_overlapping_intervals_merge() -> None:
    schedule = weekly((FRI, "09:00", "18:00"), (FRI, "17:00", "02:00"), (SAT, "01:00", "03:00"))
    assert status(schedule, at(2027, 3, 5, 10, 0)).open_until == at(2027, 3, 6, 3, 0)


def test_midnight_closing_written_as_00_00_equals_24_00() -> None:
    as_zero, as_24 = weekly((FRI, "20:00", "00:00")), weekly((FRI, "20:00", "24:00"))
    for moment in (at(2027, 3, 5, 23, 59), at(2027, 3, 6, 0, 0)):
        assert status(as_zero, moment) == status(as_24, moment)
    assert status(as_zero, at(2027, 3, 5, 21, 0)).describe() == "open until 00:00"


def test_24_hours_and_24_7() -> None:
    whole_friday = weekly((FRI, "00:00", "24:00"))
    assert status(whole_friday, at(2027, 3, 5, 0, 0)).open_until == at(2027, 3, 6, 0, 0)
    assert not status(whole_friday, at(2027, 3, 6, 0, 0)).is_open

    always = Schedule.always_open()
    for moment in (at(2027, 3, 28, 1, 30), at(2027, 10, 31, 1, 30, fold=1), at(2027, 6, 1, 12, 0)):
        result = status(always, moment)
        assert result.is_open and result.open_until is None
        assert result.describe() == "open 24/7"
    assert parse_opening_hours("24/7") == always


def test_empty_schedule_is_never_open() -> None:
    result = status(Schedule(), at(2027, 3, 5, 12, 0))
    assert (result.is_open, result.open_until, result.opens_at) == (False, None, None)
    assert result.describe() == "closed"


def test_status_is_the_same_whatever_the_time_zone_of_at() -> None:
    moment = at(2027, 7, 2, 21, 30)
    in_utc = status(FRIDAY_NIGHTS, moment.astimezone(UTC))
    in_new_york = status(FRIDAY_NIGHTS, moment.astimezone(ZoneInfo("America/New_York")))
    assert in_utc == in_new_york == status(FRIDAY_NIGHTS, moment)
    assert in_utc.open_until is not None and in_utc.open_until.tzinfo is UTC
    assert in_utc.describe() == "open until 04:00"


def test_naive_instant_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        status_at(FRIDAY_NIGHTS, datetime(2027, 3, 5, 21, 0), hours_confirmed_date=CONFIRMED)


# --- overrides ---------------------------------------------------------------------------------


def test_closed_override_closes_intervals_starting_that_day() -> None:
    schedule = FRIDAY_NIGHTS.with_overrides([DateOverride(date(2027, 3, 12))])
    result = status(schedule, at(2027, 3, 12, 21, 0))
    assert not result.is_open
    assert result.opens_at == at(2027, 3, 19, 20, 0)
    # the week before is untouched
    assert status(schedule, at(2027, 3, 5, 21, 0)).is_open


def test_special_hours_override() -> None:
    boxing_day = date(2026, 12, 26)  # a Saturday
    schedule = weekly((SAT, "20:00", "04:00")).with_overrides(
        [DateOverride(boxing_day, (Interval(hm("10:00"), hm("16:00")),))]
    )
    assert status(schedule, at(2026, 12, 26, 12, 0)).open_until == at(2026, 12, 26, 16, 0)
    assert not status(schedule, at(2026, 12, 26, 21, 0)).is_open
    assert status(schedule, at(2026, 12, 26, 9, 0)).describe() == "opens at 10:00"


def test_override_keeps_the_previous_nights_overnight_interval() -> None:
    # Christmas Eve 2026 is a Thursday: Thu 20:00-04:00 still runs into a closed Christmas Day.
    schedule = weekly((THU, "20:00", "04:00")).with_overrides([DateOverride(date(2026, 12, 25))])
    early = status(schedule, at(2026, 12, 25, 3, 0))
    assert early.is_open and early.open_until == at(2026, 12, 25, 4, 0)
    assert not status(schedule, at(2026, 12, 25, 20, 0)).is_open


def test_override_of_the_previous_day_removes_its_overnight_interval() -> None:
    schedule = weekly((THU, "20:00", "04:00")).with_overrides(
        [DateOverride(date(2026, 12, 24)), DateOverride(date(2026, 12, 25))]
    )
    assert not status(schedule, at(2026, 12, 25, 3, 0)).is_open
    assert status(schedule, at(2026, 12, 24, 21, 0)).opens_at == at(2026, 12, 31, 20, 0)


def test_override_can_cross_midnight_and_merge_with_the_next_day() -> None:
    new_years_eve = date(2026, 12, 31)  # Thursday
    schedule = weekly((FRI, "00:00", "06:00")).with_overrides(
        [DateOverride(new_years_eve, (Interval(hm("20:00"), hm("03:00")),))]
    )
    result = status(schedule, at(2026, 12, 31, 22, 0))
    assert result.open_until == at(2027, 1, 1, 6, 0)


def test_far_away_override_does_not_change_this_week() -> None:
    far = FRIDAY_NIGHTS.with_overrides([DateOverride(date(2027, 6, 4))])
    for moment in (at(2027, 3, 5, 21, 0), at(2027, 3, 6, 4, 0), at(2027, 3, 3, 12, 0)):
        assert status(far, moment) == status(FRIDAY_NIGHTS, moment)


def test_override_beyond_horizon_gives_no_opening() -> None:
    schedule = Schedule().with_overrides([DateOverride(date(2027, 3, 30), (Interval(600, 700),))])
    assert status(schedule, at(2027, 3, 10, 12, 0)).opens_at is None
    assert status(schedule, at(2027, 3, 20, 12, 0)).opens_at == at(2027, 3, 30, 10, 0)


def test_24_7_with_a_closure_shows_the_closing_time() -> None:
    schedule = Schedule.always_open().with_overrides([DateOverride(date(2027, 3, 12))])
    result = status(schedule, at(2027, 3, 10, 12, 0))
    assert result.open_until == at(2027, 3, 12, 0, 0)
    assert result.describe() == "open until Fri 00:00"
    assert status(schedule, at(2027, 3, 12, 0, 0)).opens_at == at(2027, 3, 13, 0, 0)


# --- clock changes -------------------------------------------------------------------------------

SATURDAY_NIGHTS = weekly((SAT, "22:00", "04:00"))


@pytest.mark.parametrize(
    ("saturday", "hours"),
    [
        (date(2027, 3, 27), 5),
        (date(2027, 10, 30), 7),
        (date(2026, 10, 24), 7),
        (date(2027, 3, 20), 6),
    ],
)
def test_saturday_night_lasts_5_or_7_real_hours_on_clock_change_nights(saturday: date, hours: int) -> None:
    opening = datetime.combine(saturday, time(22, 0), LONDON)
    assert status(SATURDAY_NIGHTS, opening).is_open
    result = status(SATURDAY_NIGHTS, opening + timedelta(hours=1))
    assert result.open_until is not None
    assert real_hours(opening, result.open_until) == hours
    assert result.open_until == datetime.combine(saturday + timedelta(days=1), time(4, 0), LONDON)
    last_second = result.open_until.astimezone(UTC) - timedelta(seconds=1)
    assert status(SATURDAY_NIGHTS, last_second).is_open
    assert not status(SATURDAY_NIGHTS, result.open_until).is_open


def test_every_real_minute_of_the_spring_forward_night_is_open() -> None:
    start = at(2027, 3, 27, 22, 0).astimezone(UTC)
    minutes = [start + timedelta(minutes=m) for m in range(-1, 5 * 60 + 1)]
    flags = [status(SATURDAY_NIGHTS, m).is_open for m in minutes]
    assert flags == [False] + [True] * (5 * 60) + [False]


def test_every_real_minute_of_the_fall_back_night_is_open() -> None:
    start = at(2027, 10, 30, 22, 0).astimezone(UTC)
    flags = [status(SATURDAY_NIGHTS, start + timedelta(minutes=m)).is_open for m in range(-1, 7 * 60 + 1)]
    assert flags == [False] + [True] * (7 * 60) + [False]


def test_non_existent_opening_time_opens_when_the_clocks_jump() -> None:
    # 01:30 does not exist on 2027-03-28: the clocks go from 01:00 GMT to 02:00 BST.
    schedule = weekly((SUN, "01:30", "03:00"))
    before = status(schedule, at(2027, 3, 28, 0, 59))
    assert not before.is_open
    assert before.opens_at == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)
    assert before.opens_at.astimezone(LONDON).hour == 2
    assert before.describe() == "opens at 02:00"
    assert status(schedule, datetime(2027, 3, 28, 1, 0, tzinfo=UTC)).is_open
    assert status(schedule, at(2027, 3, 28, 2, 59)).is_open
    assert not status(schedule, at(2027, 3, 28, 3, 0)).is_open


def test_interval_inside_the_spring_forward_gap_never_opens() -> None:
    schedule = weekly((SUN, "01:10", "01:50"))
    start = datetime(2027, 3, 28, 0, 0, tzinfo=UTC)
    assert not any(status(schedule, start + timedelta(minutes=m)).is_open for m in range(120))
    # and the next opening is the following week's, which exists
    assert status(schedule, start).opens_at == at(2027, 4, 4, 1, 10)


def test_closing_in_the_gap_merges_with_an_opening_after_it() -> None:
    # 01:00 closing and 02:00 opening are the same instant on the spring-forward night.
    schedule = weekly((SAT, "22:00", "01:00"), (SUN, "02:00", "05:00"))
    result = status(schedule, at(2027, 3, 27, 23, 0))
    assert result.open_until == at(2027, 3, 28, 5, 0)
    assert real_hours(at(2027, 3, 27, 22, 0), result.open_until) == 6
    # on an ordinary night there is an hour's break
    assert status(schedule, at(2027, 3, 20, 23, 0)).open_until == at(2027, 3, 21, 1, 0)


def test_ambiguous_closing_time_is_its_first_occurrence() -> None:
    # 01:30 happens twice on 2027-10-31; a 01:30 closing is the first (BST) one.
    schedule = weekly((SAT, "22:00", "01:30"))
    first = status(schedule, at(2027, 10, 31, 1, 15, fold=0))
    assert first.is_open and first.open_until == utc(2027, 10, 31, 0, 30)
    assert first.describe() == "open until 01:30"
    assert not status(schedule, at(2027, 10, 31, 1, 15, fold=1)).is_open
    assert not status(schedule, at(2027, 10, 31, 1, 45, fold=1)).is_open


def test_ambiguous_opening_time_is_its_first_occurrence() -> None:
    schedule = weekly((SUN, "01:30", "03:00"))
    assert not status(schedule, at(2027, 10, 31, 1, 15, fold=0)).is_open
    assert status(schedule, at(2027, 10, 31, 1, 15, fold=0)).opens_at == utc(2027, 10, 31, 0, 30)
    assert status(schedule, at(2027, 10, 31, 1, 45, fold=0)).is_open
    # the whole repeated hour counts as after 01:30
    assert status(schedule, at(2027, 10, 31, 1, 0, fold=1)).is_open
    assert status(schedule, at(2027, 10, 31, 1, 59, fold=1)).open_until == at(2027, 10, 31, 3, 0)
    assert real_hours(at(2027, 10, 31, 1, 30, fold=0), at(2027, 10, 31, 3, 0)) == 2.5


def test_interval_ending_just_after_the_repeated_hour() -> None:
    schedule = weekly((SUN, "01:00", "02:00"))
    assert real_hours(at(2027, 10, 31, 1, 0), at(2027, 10, 31, 2, 0)) == 2
    start = utc(2027, 10, 31, 0, 0)  # 01:00 BST
    flags = [status(schedule, start + timedelta(minutes=m)).is_open for m in range(-1, 121)]
    assert flags == [False] + [True] * 120 + [False]


def test_autumn_2026_fall_back_night() -> None:
    schedule = weekly((SAT, "23:00", "01:30"))
    assert real_hours(at(2026, 10, 24, 23, 0), at(2026, 10, 25, 1, 30)) == 2.5
    assert status(schedule, at(2026, 10, 25, 1, 29, fold=0)).is_open
    assert not status(schedule, at(2026, 10, 25, 1, 29, fold=1)).is_open


# --- closed when unsure ------------------------------------------------------------------------------


def test_hours_confirmed_89_or_90_days_ago_are_trusted() -> None:
    moment = at(2027, 3, 5, 21, 0)
    for days in (89, 90):
        result = status_at(FRIDAY_NIGHTS, moment, hours_confirmed_date=date(2027, 3, 5) - timedelta(days=days))
        assert result.is_open and result.unsure_reason is None


def test_hours_confirmed_91_days_ago_are_not_trusted() -> None:
    confirmed = date(2027, 3, 5) - timedelta(days=91)
    result = status_at(FRIDAY_NIGHTS, at(2027, 3, 5, 21, 0), hours_confirmed_date=confirmed)
    assert (result.is_open, result.open_until, result.opens_at) == (False, None, None)
    assert result.unsure_reason == f"hours not confirmed since {confirmed.isoformat()}"
    assert result.describe() == f"closed (hours not confirmed since {confirmed.isoformat()})"


def test_never_confirmed_hours_are_not_trusted() -> None:
    result = status_at(Schedule.always_open(), at(2027, 3, 5, 21, 0), hours_confirmed_date=None)
    assert not result.is_open
    assert result.unsure_reason == "hours never confirmed"


def test_stale_after_days_is_configurable_and_uses_the_london_date() -> None:
    # 23:30 UTC on 31 May 2027 is already 1 June in London (BST)
    moment = datetime(2027, 5, 31, 23, 30, tzinfo=UTC)
    always = Schedule.always_open()
    assert status_at(always, moment, hours_confirmed_date=date(2027, 5, 31), stale_after_days=1).is_open
    assert not status_at(always, moment, hours_confirmed_date=date(2027, 5, 31), stale_after_days=0).is_open
    with pytest.raises(ValueError, match="stale_after_days"):
        status_at(always, moment, hours_confirmed_date=date(2027, 5, 31), stale_after_days=-1)


# --- JSON form -----------------------------------------------------------------------------------


def test_json_round_trip() -> None:
    data = {
        "weekly": [["fri", "20:00", "04:00"], ["mon", "09:00", "18:00"], ["sat", "00:00", "24:00"]],
        "overrides": [["2026-12-26", [["10:00", "16:00"]]], ["2026-12-25", "closed"]],
    }
    schedule = Schedule.from_json(data)
    assert schedule.to_json() == {
        "weekly": [["mon", "09:00", "18:00"], ["fri", "20:00", "04:00"], ["sat", "00:00", "24:00"]],
        "overrides": [["2026-12-25", "closed"], ["2026-12-26", [["10:00", "16:00"]]]],
    }
    assert Schedule.from_json(schedule.to_json()) == schedule


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ([], "hours", "expected an object"),
        ({"weekly": [], "extra": 1}, "hours", "unknown key"),
        ({"weekly": "fri 20:00-04:00"}, "weekly", "expected a list"),
        ({"weekly": [["fri", "20:00"]]}, "weekly[0]", "expected [day, opens, closes]"),
        (
            {"weekly": [["mon", "09:00", "17:00"], ["fry", "20:00", "04:00"]]},
            "weekly[1]",
            "unknown day 'fry'",
        ),
        (
            {"weekly": [["fri", "20:00", "20:00"]]},
            "weekly[0]",
            "closing time equals opening time 20:00",
        ),
        (
            {"weekly": [["fri", "24:00", "04:00"]]},
            "weekly[0]",
            "opening time '24:00' is not between",
        ),
        (
            {"weekly": [["fri", "20:00", "24:30"]]},
            "weekly[0]",
            "closing time '24:30' is not between",
        ),
        ({"weekly": [["fri", "8pm", "04:00"]]}, "weekly[0]", "opening time '8pm' is not HH:MM"),
        ({"weekly": [["fri", 1200, "04:00"]]}, "weekly[0]", "opening time 1200 is not HH:MM"),
        ({"overrides": [["2026-13-01", "closed"]]}, "overrides[0]", "is not a date"),
        ({"overrides": [["2026-12-25", "shut"]]}, "overrides[0]", "expected a list"),
        (
            {"overrides": [["2026-12-25", [["10:00", "10:00"]]]]},
            "overrides[0] interval 0",
            "equals",
        ),
        (
            {"overrides": [["2026-12-25", "closed"], ["2026-12-25", [["10:00", "12:00"]]]]},
            "overrides[1]",
            "already has an override (overrides[0])",
        ),
    ],
)
def test_json_validation_names_the_offending_entry(data: object, field: str, message: str) -> None:
    with pytest.raises(InvalidHours) as raised:
        Schedule.from_json(data)
    assert raised.value.field == field
    assert message in raised.value.message
    assert str(raised.value).startswith(f"{field}: ")
    assert isinstance(raised.value, ValueError)


def test_constructing_an_invalid_interval_fails() -> None:
    with pytest.raises(InvalidHours, match="closing time equals opening time 09:00"):
        WeeklyInterval(MON, 540, 540)
    with pytest.raises(InvalidHours, match="weekday 7"):
        WeeklyInterval(7, 540, 600)
    with pytest.raises(InvalidHours, match="overridden twice"):
        Schedule(overrides=(DateOverride(date(2027, 1, 1)), DateOverride(date(2027, 1, 1))))


# --- text form -------------------------------------------------------------------------------------


def test_parse_the_officer_form_example() -> None:
    schedule = parse_opening_hours("Mo-Fr 09:00-18:00; Sa 10:00-16:00; Fr-Sa 20:00-04:00")
    assert schedule == weekly(
        *[(day, "09:00", "18:00") for day in (MON, TUE, WED, THU, FRI)],
        (SAT, "10:00", "16:00"),
        (FRI, "20:00", "04:00"),
        (SAT, "20:00", "04:00"),
    )
    assert schedule.to_text() == "Mo-Th 09:00-18:00; Fr 09:00-18:00,20:00-04:00; Sa 10:00-16:00,20:00-04:00"
    assert parse_opening_hours(schedule.to_text()) == schedule


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mo,We,Fr 10:00-12:00",
            weekly((MON, "10:00", "12:00"), (WED, "10:00", "12:00"), (FRI, "10:00", "12:00")),
        ),
        (
            "Sa-Mo 22:00-02:00",
            weekly((SAT, "22:00", "02:00"), (SUN, "22:00", "02:00"), (MON, "22:00", "02:00")),
        ),
        ("fr 09:00-12:00, 13:00-17:00", weekly((FRI, "09:00", "12:00"), (FRI, "13:00", "17:00"))),
        ("Mo-Su 09:00-17:00; Su off", weekly(*[(d, "09:00", "17:00") for d in range(6)])),
        (
            "24/7; Tu closed",
            Schedule(weekly=tuple(WeeklyInterval(d, 0, 1440) for d in range(7) if d != TUE)),
        ),
        ("09:00-17:00", weekly(*[(d, "09:00", "17:00") for d in range(7)])),
        ("off", Schedule()),
        ("Fr 20:00-24:00;", weekly((FRI, "20:00", "24:00"))),
        ("Mo 9:00-17:00", weekly((MON, "09:00", "17:00"))),
    ],
)
def test_parse_text_forms(text: str, expected: Schedule) -> None:
    assert parse_opening_hours(text) == expected
    assert parse_opening_hours(expected.to_text()) == expected


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("", "opening_hours", "no opening hours"),
        (" ; ", "opening_hours", "no opening hours"),
        (
            "Mo-Fr 09:00-18:00; Mon 10:00-12:00",
            "opening_hours rule 2 'Mon 10:00-12:00'",
            "unknown day 'mon'",
        ),
        ("PH off", "opening_hours rule 1 'PH off'", "enter them as date overrides"),
        ("Mo-Fr", "opening_hours rule 1 'Mo-Fr'", "no hours"),
        (
            "Mo 09:00-09:00",
            "opening_hours rule 1 'Mo 09:00-09:00'",
            "closing time equals opening time",
        ),
        ("Mo 09:00-25:00", "opening_hours rule 1 'Mo 09:00-25:00'", "closing time '25:00'"),
        ("Mo 9am-5pm", "opening_hours rule 1 'Mo 9am-5pm'", "expected HH:MM-HH:MM"),
        ("Mo 09:00-12:00+", "opening_hours rule 1 'Mo 09:00-12:00+'", "cannot read '09:00-12:00+'"),
        ("Jan Mo 09:00-12:00", "opening_hours rule 1 'Jan Mo 09:00-12:00'", "unknown day"),
        (
            "Mo-Tu-We 09:00-12:00",
            "opening_hours rule 1 'Mo-Tu-We 09:00-12:00'",
            "cannot read day range",
        ),
        ("Mo 24/7", "opening_hours rule 1 'Mo 24/7'", "must stand alone"),
    ],
)
def test_parse_errors_name_the_rule(text: str, field: str, message: str) -> None:
    with pytest.raises(InvalidHours) as raised:
        parse_opening_hours(text)
    assert raised.value.field == field
    assert message in raised.value.message


# --- cross-check against a brute-force model ---------------------------------------------------------


def first_instant_showing(local: datetime) -> datetime:
    """The documented meaning of a wall-clock time: the first UTC minute whose London clock reads
    ``local`` or later, found by stepping minute by minute."""
    moment = (local - timedelta(hours=3)).replace(tzinfo=UTC)
    while moment.astimezone(LONDON).replace(tzinfo=None, fold=0) < local:
        moment += timedelta(minutes=1)
    return moment


def brute_intervals(schedule: Schedule, first_day: date, days: int) -> list[tuple[datetime, datetime]]:
    """Real (UTC) intervals of the openings starting on ``days`` dates from ``first_day``, merged."""
    overrides = {o.date: o.intervals for o in schedule.overrides}
    spans = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        intervals = overrides.get(day, tuple(w.interval for w in schedule.weekly if w.day == day.weekday()))
        midnight = datetime.combine(day, time())
        for interval in intervals:
            start = first_instant_showing(midnight + timedelta(minutes=interval.start))
            end = first_instant_showing(midnight + timedelta(minutes=interval.relative_end))
            if start < end:
                spans.append((start, end))
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


CLOCK_CHANGES = [
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
    datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
    datetime(2027, 3, 28, 1, 0, tzinfo=UTC),
    datetime(2027, 10, 31, 1, 0, tzinfo=UTC),
]
minutes_of_day = st.one_of(
    st.sampled_from([0, 30, 60, 90, 120, 150, 180, 240, 1200, 1320, 1410, 1439]),
    st.integers(0, 95).map(lambda quarter: quarter * 15),
    st.integers(0, 1439),
)


@st.composite
def intervals(draw: st.DrawFn) -> Interval:
    start = draw(minutes_of_day)
    end = draw(st.one_of(st.just(1440), minutes_of_day).filter(lambda end: end != start))
    return Interval(start, end)


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    base = draw(
        st.one_of(
            st.sampled_from(CLOCK_CHANGES),
            st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 1)).map(lambda d: d.replace(tzinfo=UTC)),
        )
    )
    minutes = draw(st.integers(-36 * 60, 36 * 60))
    seconds = draw(st.sampled_from([0, 0, 1, 59.999999]))
    return (base + timedelta(minutes=minutes, seconds=seconds)).replace(second=0, microsecond=0) + timedelta(
        seconds=seconds
    )


@st.composite
def schedules_near(draw: st.DrawFn, moment: datetime) -> Schedule:
    weekly_intervals = draw(
        st.lists(st.tuples(st.integers(0, 6), intervals()), max_size=6).map(
            lambda entries: tuple(WeeklyInterval(day, i.start, i.end) for day, i in entries)
        )
    )
    today = moment.astimezone(LONDON).date()
    override_days = draw(st.sets(st.integers(-2, 9), max_size=3))
    overrides = tuple(
        DateOverride(today + timedelta(days=offset), tuple(draw(st.lists(intervals(), max_size=2))))
        for offset in sorted(override_days)
    )
    return Schedule(weekly=weekly_intervals, overrides=overrides)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_status_agrees_with_brute_force_model(data: st.DataObject) -> None:
    moment = data.draw(instants())
    schedule = data.draw(schedules_near(moment))
    today = moment.astimezone(LONDON).date()
    spans = brute_intervals(schedule, today - timedelta(days=2), 11)  # openings up to 8 days ahead
    covering = [(start, end) for start, end in spans if start <= moment < end]
    later = [start for start, _ in spans if start > moment]

    result = status(schedule, moment)

    assert result.is_open is bool(covering)
    if covering:
        ((_, end),) = covering
        if end < moment + timedelta(days=6):
            assert result.open_until == end
    elif later and later[0] < moment + timedelta(days=6):
        assert result.opens_at == later[0]
    elif not schedule.overrides and not schedule.weekly:
        assert result.opens_at is None


@settings(max_examples=60, deadline=None)
@given(
    weekly_intervals=st.lists(st.tuples(st.integers(0, 6), intervals()), max_size=8),
)
def test_text_and_json_forms_round_trip(weekly_intervals: list[tuple[int, Interval]]) -> None:
    schedule = Schedule(weekly=tuple(WeeklyInterval(day, i.start, i.end) for day, i in weekly_intervals))
    assert Schedule.from_json(schedule.to_json()) == schedule
    reparsed = parse_opening_hours(schedule.to_text())
    if schedule.to_text() == "24/7":
        assert reparsed == Schedule.always_open()
    else:
        assert reparsed == schedule


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_week_hours_prefilter_never_hides_an_open_space(data: st.DataObject) -> None:
    # The database prefilter ("may be open in this hour of the week") must be a superset of
    # "open", at any instant: clock-change nights, overrides, overnight intervals included.
    moment = data.draw(instants())
    schedule = data.draw(schedules_near(moment))
    hour, today = week_hour(moment)
    assert today == moment.astimezone(LONDON).date()
    if status_at(schedule, moment, hours_confirmed_date=today).is_open:
        assert week_hours(schedule)[hour] == "1", (moment, schedule)


def test_week_hours_marks_the_hours_an_interval_touches() -> None:
    late = Schedule(weekly=(WeeklyInterval(FRI, hm("20:00"), hm("04:00")),))
    marked = [i for i, c in enumerate(week_hours(late)) if c == "1"]
    assert marked == [FRI * 24 + h for h in range(20, 24)] + [SAT * 24 + h for h in range(4)]
    # a minute into an hour marks that hour; closing on the hour does not mark the next one
    odd = Schedule(
        weekly=(WeeklyInterval(SUN, hm("23:59"), hm("00:01")), WeeklyInterval(TUE, hm("09:30"), hm("10:00")))
    )
    assert [i for i, c in enumerate(week_hours(odd)) if c == "1"] == [MON * 24, TUE * 24 + 9, SUN * 24 + 23]
    # overrides add the hours of their special intervals (a superset: any week could be that date)
    special = Schedule(overrides=(DateOverride(date(2026, 12, 26), (Interval(hm("10:00"), hm("12:00")),)),))
    assert [i for i, c in enumerate(week_hours(special)) if c == "1"] == [SAT * 24 + 10, SAT * 24 + 11]
    assert week_hours(None) == "0" * 168
    assert week_hours(Schedule.always_open()) == "1" * 168


def test_week_hour_of_instants() -> None:
    assert week_hour(at(2026, 12, 7, 0, 0)) == (0, date(2026, 12, 7))  # Monday 00:00
    assert week_hour(at(2026, 12, 13, 23, 59)) == (167, date(2026, 12, 13))  # Sunday 23:59
    # the second 01:xx of the fall-back night counts as 01:xx, like the first
    assert week_hour(utc(2027, 10, 31, 0, 30))[0] == SUN * 24 + 1
    assert week_hour(utc(2027, 10, 31, 1, 30))[0] == SUN * 24 + 1
    # the clocks jump from 01:00 GMT to 02:00 BST on the spring-forward night: that instant is 02:xx
    assert week_hour(utc(2027, 3, 28, 1, 0))[0] == SUN * 24 + 2


def test_brute_force_helper_resolves_gap_and_fold_as_documented() -> None:
    assert first_instant_showing(datetime(2027, 3, 28, 1, 30)) == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)
    assert first_instant_showing(datetime(2027, 10, 31, 1, 30)) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_horizon_constant() -> None:
    assert HORIZON_DAYS == 14
