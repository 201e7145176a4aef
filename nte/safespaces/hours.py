"""Opening hours of Safe Spaces, and "is it open now?" (pure: no database, no web).

Model
-----
* Weekly intervals in Europe/London wall-clock time, any number per day. An interval belongs to the
  day it *starts* on; if its closing time is not after its opening time it runs past midnight
  (Fri 20:00-04:00 is Friday 20:00 until Saturday 04:00). ``24:00`` is allowed as a closing time
  (00:00-24:00 is a whole day); a closing time equal to the opening time is an error.
* Date overrides (bank holidays, closures): for a local date D, either closed or special intervals
  (which may cross midnight too). **An override for D replaces the intervals that start on D, and
  nothing else**: an overnight interval that started on D-1 still runs into D's early hours, unless
  D-1 has an override of its own. So "closed on 25 Dec" still lets Christmas Eve's 20:00-04:00 run
  until 04:00 on the 25th; to close that too, override 24 Dec.

Clock changes
-------------
Every opening and closing time is a wall-clock time on a date; it denotes the **first instant at
which London clocks read that time or later**. Consequences:

* ordinary times: the obvious instant;
* ambiguous times (01:30 on the fall-back night happens twice): the first occurrence (BST,
  ``fold=0``); during the repeated hour the clocks have already passed 01:30 once, so an interval
  closing at 01:30 is closed throughout the second 01:00-02:00;
* non-existent times (01:30 on the spring-forward night): the moment the clocks jump (01:00 GMT,
  shown as 02:00 BST). An interval lying wholly inside the gap is never open.

So Sat 22:00-Sun 04:00 lasts 5 real hours on the spring-forward night and 7 on the fall-back night.

Evaluation works on integer "wall minutes" (local date ordinal * 1440 + minute of day), where the
rule above makes "open at instant t" equivalent to ``start <= position(t) < end``. A weekly schedule
is precompiled into one sorted tuple of merged intervals in week minutes, searched with ``bisect``
(about 2-4 microseconds per call); a day-by-day walk is used instead when an override falls within
``HORIZON_DAYS`` of the date, or an opening or closing falls in a spring-forward gap.

Results (:class:`OpenStatus`) carry aware UTC datetimes; :meth:`OpenStatus.describe` renders them in
London time.

"Closed when unsure" (the NHS Find a Pharmacy precedent): hours never confirmed, or last confirmed
more than ``stale_after_days`` before the local date of ``at``, are never reported open.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import pairwise

from nte.london import LONDON, london_today, to_london

HORIZON_DAYS = 14
"""How far ahead ``opens_at`` and ``open_until`` look; beyond it they are ``None``."""
DEFAULT_STALE_AFTER_DAYS = 90

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday names of the JSON form, Monday = 0 as in ``date.weekday()``."""
TEXT_DAY_NAMES = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
"""Weekday names of the text (OSM opening_hours subset) form."""
_SHORT_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_DAY = 1440
_WEEK = 7 * _DAY
_HORIZON = HORIZON_DAYS * _DAY
_TIME = re.compile(r"(\d{1,2}):(\d{2})")


class InvalidHours(ValueError):
    """Opening hours that cannot be accepted; ``field`` names the offending entry."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# --- the model ---------------------------------------------------------------------------------


def _check_span(start: int, end: int, *, field: str) -> None:
    if not 0 <= start < _DAY:
        raise InvalidHours(field, f"opening minute {start} is outside 0..1439 (00:00-23:59)")
    if not 0 <= end <= _DAY:
        raise InvalidHours(field, f"closing minute {end} is outside 0..1440 (00:00-24:00)")
    if start == end:
        raise InvalidHours(
            field,
            f"closing time equals opening time {format_time(start)}; use 00:00-24:00 for a whole day",
        )


@dataclass(frozen=True, slots=True)
class Interval:
    """Open from ``start`` to ``end``, in minutes after local midnight.

    ``end`` is 0..1440 (1440 = 24:00); ``end <= start`` means the interval runs past midnight into
    the next day (so a closing time of 00:00 means midnight, the same as 24:00).
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        _check_span(self.start, self.end, field="interval")

    @property
    def relative_end(self) -> int:
        """The closing minute counted from the opening day's midnight (> start, < 2880)."""
        return self.end if self.end > self.start else self.end + _DAY


@dataclass(frozen=True, slots=True)
class WeeklyInterval:
    """An interval starting every week on ``day`` (0 = Monday ... 6 = Sunday)."""

    day: int
    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.day <= 6:
            raise InvalidHours("day", f"weekday {self.day} is outside 0 (Monday)..6 (Sunday)")
        _check_span(self.start, self.end, field="interval")

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)


@dataclass(frozen=True, slots=True)
class DateOverride:
    """Replaces the weekly intervals that start on ``date``; no intervals means closed all day."""

    date: date
    intervals: tuple[Interval, ...] = ()

    @property
    def closed(self) -> bool:
        return not self.intervals


DaySpans = tuple[tuple[int, int], ...]
"""Sorted (start, relative end) minute pairs of one day."""


@dataclass(frozen=True, slots=True)
class _Compiled:
    by_weekday: tuple[DaySpans, ...]
    overrides: dict[int, DaySpans]
    override_days: tuple[int, ...]
    week_starts: tuple[int, ...]
    week_ends: tuple[int, ...]
    always_open: bool

    def spans_on(self, day: int) -> DaySpans:
        """The intervals starting on local date ordinal ``day``."""
        spans = self.overrides.get(day)
        return self.by_weekday[(day + 6) % 7] if spans is None else spans


def _spans(intervals: Iterable[Interval]) -> DaySpans:
    return tuple(sorted((i.start, i.relative_end) for i in intervals))


def _merge(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _compile(weekly: Sequence[WeeklyInterval], overrides: Sequence[DateOverride]) -> _Compiled:
    by_weekday = tuple(_spans(w.interval for w in weekly if w.day == day) for day in range(7))
    # Three copies of the week, merged, so that any position in week 0 finds both the run
    # containing it and the next start; a run as long as the week means always open.
    copies = [
        (shift + day * _DAY + start, shift + day * _DAY + end)
        for shift in (-_WEEK, 0, _WEEK)
        for day, spans in enumerate(by_weekday)
        for start, end in spans
    ]
    merged = _merge(copies)
    return _Compiled(
        by_weekday=by_weekday,
        overrides={o.date.toordinal(): _spans(o.intervals) for o in overrides},
        override_days=tuple(sorted(o.date.toordinal() for o in overrides)),
        week_starts=tuple(start for start, _ in merged),
        week_ends=tuple(end for _, end in merged),
        always_open=any(end - start >= _WEEK for start, end in merged),
    )


@dataclass(frozen=True, slots=True)
class Schedule:
    """Weekly opening hours plus date overrides. Build with the constructor, :meth:`from_json`
    or :func:`parse_opening_hours`; entries are kept sorted, and a date may be overridden once."""

    weekly: tuple[WeeklyInterval, ...] = ()
    overrides: tuple[DateOverride, ...] = ()
    _compiled: _Compiled = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        weekly = tuple(sorted(self.weekly, key=lambda w: (w.day, w.start, w.end)))
        overrides = tuple(sorted(self.overrides, key=lambda o: o.date))
        for previous, current in pairwise(overrides):
            if previous.date == current.date:
                raise InvalidHours("overrides", f"date {current.date.isoformat()} is overridden twice")
        object.__setattr__(self, "weekly", weekly)
        object.__setattr__(self, "overrides", overrides)
        object.__setattr__(self, "_compiled", _compile(weekly, overrides))

    @classmethod
    def always_open(cls) -> Schedule:
        """24/7."""
        return cls(weekly=tuple(WeeklyInterval(day, 0, _DAY) for day in range(7)))

    def with_overrides(self, overrides: Iterable[DateOverride]) -> Schedule:
        return Schedule(weekly=self.weekly, overrides=tuple(overrides))

    def to_json(self) -> dict[str, list[list[object]]]:
        """``{"weekly": [["fri", "20:00", "04:00"], ...], "overrides": [["2026-12-25", "closed"],
        ["2026-12-26", [["10:00", "16:00"]]], ...]}``"""
        return {
            "weekly": [[DAY_NAMES[w.day], format_time(w.start), format_time(w.end)] for w in self.weekly],
            "overrides": [
                [
                    o.date.isoformat(),
                    "closed" if o.closed else [[format_time(i.start), format_time(i.end)] for i in o.intervals],
                ]
                for o in self.overrides
            ],
        }

    @classmethod
    def from_json(cls, data: object) -> Schedule:
        """Inverse of :meth:`to_json`; raises :class:`InvalidHours` naming the offending entry."""
        if not isinstance(data, dict):
            raise InvalidHours("hours", f"expected an object with 'weekly' and 'overrides', got {_show(data)}")
        unknown = sorted(repr(key) for key in data if key not in {"weekly", "overrides"})
        if unknown:
            raise InvalidHours("hours", f"unknown key(s) {', '.join(unknown)}")
        weekly = [
            _weekly_from_json(entry, field=f"weekly[{index}]")
            for index, entry in enumerate(_json_list(data.get("weekly", []), field="weekly"))
        ]
        overrides: list[DateOverride] = []
        seen: dict[date, int] = {}
        for index, entry in enumerate(_json_list(data.get("overrides", []), field="overrides")):
            override = _override_from_json(entry, field=f"overrides[{index}]")
            if override.date in seen:
                raise InvalidHours(
                    f"overrides[{index}]",
                    f"date {override.date.isoformat()} already has an override (overrides[{seen[override.date]}])",
                )
            seen[override.date] = index
            overrides.append(override)
        return cls(weekly=tuple(weekly), overrides=tuple(overrides))

    def to_text(self) -> str:
        """The weekly hours in the text form :func:`parse_opening_hours` reads (overrides are not
        part of it), e.g. ``"Mo-Th 09:00-18:00; Fr 09:00-18:00,20:00-04:00"``."""
        per_day = [tuple(w for w in self.weekly if w.day == day) for day in range(7)]
        if all(len(spans) == 1 and (spans[0].start, spans[0].end) == (0, _DAY) for spans in per_day):
            return "24/7"
        groups: dict[tuple[tuple[int, int], ...], list[int]] = {}
        for day, spans in enumerate(per_day):
            if spans:
                groups.setdefault(tuple((w.start, w.end) for w in spans), []).append(day)
        if not groups:
            return "off"
        return "; ".join(
            f"{_format_days(days)} {','.join(f'{format_time(s)}-{format_time(e)}' for s, e in spans)}"
            for spans, days in groups.items()
        )


# --- evaluation ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenStatus:
    """Whether a Safe Space is open at ``at``.

    Datetimes are aware UTC, so that comparing and subtracting them is always right (London
    datetimes in the repeated fall-back hour compare unequal to every other zone, PEP 495);
    :meth:`describe` shows London local time.
    """

    at: datetime
    is_open: bool
    open_until: datetime | None = None
    """End of the current opening (back-to-back and overlapping intervals merged); None when
    closed, or when open beyond the horizon (24/7)."""
    opens_at: datetime | None = None
    """Next opening when closed; None when open, unsure, or nothing within ``HORIZON_DAYS``."""
    unsure_reason: str | None = None
    """Why the space is reported closed whatever its hours say (stale or unconfirmed hours)."""
    confirmed_on: date | None = None
    """When unsure because the hours are stale: the London date they were last confirmed."""

    def describe(self) -> str:
        """``"open until 04:00"``, ``"opens at 09:00"``, ``"opens Sat 09:00"``, ``"open 24/7"``,
        ``"closed"``, ``"closed (hours never confirmed)"``; times in London local time."""
        if self.unsure_reason is not None:
            return f"closed ({self.unsure_reason})"
        today = london_today(self.at)
        if self.is_open:
            if self.open_until is None:
                return "open 24/7"
            # a bare time means its next occurrence, which is unambiguous within a day
            until = to_london(self.open_until)
            if self.open_until - self.at < timedelta(days=1):
                return f"open until {until:%H:%M}"
            return f"open until {_day_and_time(until, today=today)}"
        if self.opens_at is None:
            return "closed"
        opens = to_london(self.opens_at)
        if opens.date() == today:
            return f"opens at {opens:%H:%M}"
        return f"opens {_day_and_time(opens, today=today)}"


def status_at(
    schedule: Schedule,
    at: datetime,
    *,
    hours_confirmed_date: date | None,
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS,
) -> OpenStatus:
    """Whether ``schedule`` is open at the aware instant ``at`` (any time zone).

    Never open when the hours were never confirmed, or confirmed more than ``stale_after_days``
    days before ``at``'s London date.
    """
    utc, today, position = _position(at)
    reason = unsure_reason(hours_confirmed_date=hours_confirmed_date, on=today, stale_after_days=stale_after_days)
    if reason is not None:
        return OpenStatus(at=utc, is_open=False, unsure_reason=reason, confirmed_on=hours_confirmed_date)
    is_open, end, start = _evaluate(schedule._compiled, position)
    if is_open:
        return OpenStatus(at=utc, is_open=True, open_until=None if end is None else _instant(end)[0])
    return OpenStatus(at=utc, is_open=False, opens_at=None if start is None else _instant(start)[0])


def unsure_reason(*, hours_confirmed_date: date | None, on: date, stale_after_days: int) -> str | None:
    """Why hours cannot be trusted on local date ``on``, or None when they can."""
    if stale_after_days < 0:
        raise ValueError(f"stale_after_days must be >= 0, got {stale_after_days}")
    if hours_confirmed_date is None:
        return "hours never confirmed"
    if (on - hours_confirmed_date).days > stale_after_days:
        return f"hours not confirmed since {hours_confirmed_date.isoformat()}"
    return None


def _evaluate(c: _Compiled, position: int) -> tuple[bool, int | None, int | None]:
    """(is open, end of the current opening, next start) in wall minutes; ends and starts beyond
    the horizon are None."""
    day = position // _DAY
    if c.override_days:
        first = bisect_left(c.override_days, day - 1)
        if first < len(c.override_days) and c.override_days[first] <= day + HORIZON_DAYS + 1:
            return _evaluate_by_day(c, position)
    if c.always_open:
        return True, None, None
    if not c.week_starts:
        return False, None, None
    offset = position - (position - _DAY) % _WEEK  # wall minute of this week's Monday 00:00
    week_minute = position - offset
    index = bisect_right(c.week_starts, week_minute) - 1
    if c.week_ends[index] > week_minute:
        end = offset + c.week_ends[index]
        if _instant(end)[1] != end:  # closes inside a spring-forward gap: may run on past it
            return _evaluate_by_day(c, position)
        return True, end, None
    start = offset + c.week_starts[index + 1]
    if _instant(start)[1] != start:  # opens inside a spring-forward gap: may never really open
        return _evaluate_by_day(c, position)
    return False, None, start


def _evaluate_by_day(c: _Compiled, position: int) -> tuple[bool, int | None, int | None]:
    horizon = position + _HORIZON
    end = _covering_end(c, position)
    if end is None:
        return False, None, _next_start(c, position, horizon=horizon)
    while True:
        end = _instant(end)[1]  # a closing inside a spring-forward gap happens when clocks jump
        if end > horizon:
            return True, None, None
        later = _covering_end(c, end)
        if later is None:
            return True, end, None
        end = later


def _covering_end(c: _Compiled, minute: int) -> int | None:
    """The latest end of the intervals with start <= minute < end (wall minutes), if any."""
    day = minute // _DAY
    latest: int | None = None
    for start_day in (day - 1, day):
        base = start_day * _DAY
        for start, end in c.spans_on(start_day):
            if base + start <= minute < base + end and (latest is None or base + end > latest):
                latest = base + end
    return latest


def _next_start(c: _Compiled, minute: int, *, horizon: int) -> int | None:
    day = minute // _DAY
    for start_day in range(day, day + HORIZON_DAYS + 1):
        base = start_day * _DAY
        for start, end in c.spans_on(start_day):
            if base + start > minute and _instant(base + start)[1] < base + end:  # not lost in a gap
                return base + start if base + start <= horizon else None
    return None


# --- wall minutes <-> instants -----------------------------------------------------------------


def _offset(moment: datetime) -> timedelta:
    offset = moment.utcoffset()
    if offset is None:  # pragma: no cover - LONDON always answers
        raise ValueError("time zone gave no UTC offset")
    return offset


def _minutes(delta: timedelta) -> int:
    return delta // timedelta(minutes=1)


def _wall_minute(local: datetime) -> int:
    return local.toordinal() * _DAY + local.hour * 60 + local.minute


def _utc_at(minute: int) -> datetime:
    day, minute_of_day = divmod(minute, _DAY)
    return datetime.fromordinal(day).replace(tzinfo=UTC) + timedelta(minutes=minute_of_day)


def _first_minute_with_offset(low: int, high: int, *, offset: timedelta) -> int:
    """Smallest UTC minute in (low, high] at which London has ``offset``; it has it at ``high``
    and not at ``low``. Clock changes fall on whole minutes."""
    while high - low > 1:
        middle = (low + high) // 2
        if _offset(_utc_at(middle).astimezone(LONDON)) == offset:
            high = middle
        else:
            low = middle
    return high


@lru_cache(maxsize=8192)
def _instant(minute: int) -> tuple[datetime, int]:
    """The instant (UTC) wall minute ``minute`` denotes (first instant whose clock reads it or
    later), and the wall minute shown at that instant: ``minute`` itself, except inside a spring-forward
    gap where it is the end of the gap."""
    day, minute_of_day = divmod(minute, _DAY)
    local = datetime.fromordinal(day).replace(hour=minute_of_day // 60, minute=minute_of_day % 60, tzinfo=LONDON)
    before, after = _offset(local), _offset(local.replace(fold=1))
    if before >= after:  # an ordinary time, or the first occurrence of an ambiguous one
        return local.astimezone(UTC), minute
    change = _first_minute_with_offset(minute - _minutes(after), minute - _minutes(before), offset=after)
    moment = _utc_at(change)
    return moment, _wall_minute(moment.astimezone(LONDON))


def _position(at: datetime) -> tuple[datetime, date, int]:
    """``at`` in UTC, its London date, and the wall minute to compare with schedule minutes: the minute on the
    clock, except in the repeated hour of a fall-back night, where every instant of the second
    pass sits just before the end of the repeated hour (the clocks passed all of it once)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"at must be timezone-aware, got naive {at.isoformat()}")
    # Cache on the UTC instant: London datetimes differing only in fold compare and hash equal.
    return _position_of_utc(at.astimezone(UTC))


@lru_cache(maxsize=256)
def _position_of_utc(at: datetime) -> tuple[datetime, date, int]:
    local = at.astimezone(LONDON)
    if not local.fold:
        return at, local.date(), _wall_minute(local)
    before, after = _offset(local.replace(fold=0)), _offset(local)
    now = _wall_minute(local) - _minutes(after)  # UTC minute
    change = _first_minute_with_offset(now - _minutes(before - after), now, offset=after)
    return at, local.date(), change + _minutes(before) - 1


# --- hour-of-week prefilter ----------------------------------------------------------------------

WEEK_HOURS = 7 * 24
#: The prefilter string of a space that may be open at any hour (also the safe value when unsure).
ANY_WEEK_HOUR = "1" * WEEK_HOURS
NO_WEEK_HOUR = "0" * WEEK_HOURS


def week_hours(schedule: Schedule | None) -> str:
    """168 characters, Monday 00:00-01:00 first: ``"1"`` where ``schedule`` may be open during
    that hour of the London week in *some* week, ``"0"`` where it is closed in every week.

    A superset, for a database prefilter of "open at t" (``nte.safespaces`` keeps it in a column):
    the weekly intervals and every date override's intervals, each marking the hours it touches.
    ``status_at(schedule, t).is_open`` implies the character at :func:`week_hour` (t) is ``"1"``:
    "open" means ``start <= position(t) < end`` in wall minutes (ends moved out of a spring-forward
    gap stay within the hour the gap ends, which no instant's position falls in), and the hour of
    ``position(t)`` is what :func:`week_hour` returns. No hours at all: all ``"0"`` (never open)."""
    if schedule is None:
        return NO_WEEK_HOUR
    marks = bytearray(b"0" * WEEK_HOURS)
    spans = [(w.day, w.start, w.interval.relative_end) for w in schedule.weekly]
    spans += [(o.date.weekday(), i.start, i.relative_end) for o in schedule.overrides for i in o.intervals]
    for day, start, end in spans:
        first, last = (day * _DAY + start) // 60, (day * _DAY + end - 1) // 60
        for hour in range(first, last + 1):
            marks[hour % WEEK_HOURS] = ord("1")
    return marks.decode()


def week_hour(at: datetime) -> tuple[int, date]:
    """The hour of the London week (0 = Monday 00:00-01:00 ... 167) of the aware instant ``at``,
    as the hours engine places it (the second pass of a fall-back night's repeated hour counts as
    that hour), and ``at``'s London date (for "closed when unsure")."""
    _, today, position = _position(at)
    day, minute = divmod(position, _DAY)
    return ((day + 6) % 7) * 24 + minute // 60, today


# --- JSON form -----------------------------------------------------------------------------------


def format_time(minute: int) -> str:
    """``"HH:MM"`` for a minute of the day 0..1440 (1440 is ``"24:00"``)."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_time(text: object, *, field: str, closing: bool = False) -> int:
    """Minutes after midnight of ``"HH:MM"`` (``"24:00"`` only when ``closing``)."""
    match = _TIME.fullmatch(text.strip()) if isinstance(text, str) else None
    what = "closing" if closing else "opening"
    if match is None:
        raise InvalidHours(field, f"{what} time {_show(text)} is not HH:MM")
    hours, minutes = int(match[1]), int(match[2])
    if closing and (hours, minutes) == (24, 0):
        return _DAY
    if hours > 23 or minutes > 59:
        latest = "24:00" if closing else "23:59"
        raise InvalidHours(field, f"{what} time {_show(text)} is not between 00:00 and {latest}")
    return hours * 60 + minutes


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _json_list(value: object, *, field: str) -> list[object]:
    if not isinstance(value, list | tuple):
        raise InvalidHours(field, f"expected a list, got {_show(value)}")
    return list(value)


def _interval_from_json(value: object, *, field: str) -> Interval:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise InvalidHours(field, f"expected [opens, closes], got {_show(value)}")
    start = parse_time(value[0], field=field)
    end = parse_time(value[1], field=field, closing=True)
    _check_span(start, end, field=field)
    return Interval(start, end)


def _weekly_from_json(value: object, *, field: str) -> WeeklyInterval:
    if not isinstance(value, list | tuple) or len(value) != 3:
        raise InvalidHours(
            field,
            f'expected [day, opens, closes] such as ["fri", "20:00", "04:00"], got {_show(value)}',
        )
    name = value[0]
    if not isinstance(name, str) or name.lower() not in DAY_NAMES:
        raise InvalidHours(field, f"unknown day {_show(name)} (use {', '.join(DAY_NAMES)})")
    interval = _interval_from_json(value[1:], field=field)
    return WeeklyInterval(DAY_NAMES.index(name.lower()), interval.start, interval.end)


def _override_from_json(value: object, *, field: str) -> DateOverride:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise InvalidHours(field, f'expected [date, "closed" or [[opens, closes], ...]], got {_show(value)}')
    raw_date, hours = value
    try:
        if not isinstance(raw_date, str):
            raise ValueError
        day = date.fromisoformat(raw_date)
    except ValueError:
        raise InvalidHours(field, f"{_show(raw_date)} is not a date (YYYY-MM-DD)") from None
    if hours == "closed":
        return DateOverride(day)
    intervals = [
        _interval_from_json(entry, field=f"{field} interval {index}")
        for index, entry in enumerate(_json_list(hours, field=field))
    ]
    return DateOverride(day, tuple(sorted(intervals, key=lambda i: (i.start, i.end))))


# --- text form (a small subset of OSM opening_hours) ------------------------------------------------

_TEXT_DAYS = {name.lower(): day for day, name in enumerate(TEXT_DAY_NAMES)}
_SPAN = re.compile(r"(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})")
_CLOSED_WORDS = ("off", "closed")


def parse_opening_hours(text: str) -> Schedule:
    """Weekly hours from text such as ``"Mo-Fr 09:00-18:00; Sa 10:00-16:00; Fr-Sa 20:00-04:00"``.

    Rules are separated by ``;``. A rule is days then hours: days ``Mo`` ``Tu`` ``We`` ``Th`` ``Fr``
    ``Sa`` ``Su`` (any case), ranges ``Mo-Fr`` (``Sa-Mo`` wraps), comma lists ``Mo,We,Fr-Sa``, or
    nothing for every day; hours are comma-separated ``HH:MM-HH:MM`` (crossing midnight allowed,
    ``24:00`` as closing) or ``off``/``closed``. ``24/7`` alone means always open.

    Unlike full OSM, a later rule *adds* hours to its days (the example above opens Friday twice);
    only ``off`` removes what earlier rules gave. Anything else (public holidays ``PH``, months,
    week numbers, comments) is rejected: enter bank holidays as date overrides.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidHours("opening_hours", "no opening hours given")
    per_day: list[list[Interval]] = [[] for _ in range(7)]
    rules = [rule.strip() for rule in text.split(";")]
    if not any(rules):
        raise InvalidHours("opening_hours", "no opening hours given")
    for number, rule in enumerate(rules, start=1):
        if not rule:
            continue
        field = f"opening_hours rule {number} {rule!r}"
        days, hours = _parse_rule(rule, field=field)
        for day in days:
            if hours is None:
                per_day[day].clear()
            else:
                per_day[day].extend(hours)
    return Schedule(weekly=tuple(WeeklyInterval(day, i.start, i.end) for day in range(7) for i in per_day[day]))


def _parse_rule(rule: str, *, field: str) -> tuple[list[int], list[Interval] | None]:
    """(days, intervals) of one rule; intervals None for ``off``."""
    if rule == "24/7":
        return list(range(7)), [Interval(0, _DAY)]
    closing_word = next((w for w in _CLOSED_WORDS if rule.lower().endswith(w)), None)
    if closing_word is not None:
        days_text, hours_text = rule[: -len(closing_word)].strip(), None
    else:
        digit = re.search(r"\d", rule)
        if digit is None:
            raise InvalidHours(field, "no hours (add HH:MM-HH:MM, or 'off')")
        days_text, hours_text = rule[: digit.start()].strip(), rule[digit.start() :].strip()
    days = _parse_days(days_text, field=field) if days_text else list(range(7))
    if hours_text is None:
        return days, None
    if hours_text == "24/7":
        raise InvalidHours(field, "'24/7' must stand alone; for whole days write 00:00-24:00")
    intervals = []
    for part in hours_text.split(","):
        span = _SPAN.fullmatch(part.strip())
        if span is None:
            raise InvalidHours(
                field,
                f"cannot read {part.strip()!r}: expected HH:MM-HH:MM (several separated by commas) or 'off'",
            )
        start = parse_time(span[1], field=field)
        end = parse_time(span[2], field=field, closing=True)
        _check_span(start, end, field=field)
        intervals.append(Interval(start, end))
    return days, intervals


def _parse_days(text: str, *, field: str) -> list[int]:
    days: list[int] = []
    for item in text.split(","):
        ends = [part.strip().lower() for part in item.split("-")]
        for name in ends:
            if name not in _TEXT_DAYS:
                hint = (
                    "public and school holidays are not supported: enter them as date overrides"
                    if name in {"ph", "sh"}
                    else f"use {' '.join(TEXT_DAY_NAMES)}"
                )
                raise InvalidHours(field, f"unknown day {name!r} ({hint})")
        first, last = _TEXT_DAYS[ends[0]], _TEXT_DAYS[ends[-1]]
        if len(ends) > 2:
            raise InvalidHours(field, f"cannot read day range {item.strip()!r}")
        days.extend((first + step) % 7 for step in range((last - first) % 7 + 1))
    return sorted(set(days))


def _format_days(days: Sequence[int]) -> str:
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(
        TEXT_DAY_NAMES[run[0]] if len(run) == 1 else f"{TEXT_DAY_NAMES[run[0]]}-{TEXT_DAY_NAMES[run[-1]]}"
        for run in runs
    )


def _day_and_time(moment: datetime, *, today: date) -> str:
    """``"Sat 09:00"``, or ``"Sat 12 Dec 09:00"`` a week or more away (a weekday alone would be
    ambiguous)."""
    weekday = _SHORT_DAY_NAMES[moment.weekday()]
    if (moment.date() - today).days >= 7:
        return f"{weekday} {moment.day} {_MONTH_NAMES[moment.month - 1]} {moment:%H:%M}"
    return f"{weekday} {moment:%H:%M}"
