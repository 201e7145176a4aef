"""Recurring patrol shifts: expand a series into concrete nights.

Pure logic, no database and no web. A coordinator describes a series once
("every Friday, 22:00-04:00, Europe/London") and this module turns it into
occurrences with real UTC instants for a time window.

How times are handled
---------------------
* The rule is expanded in **local wall-clock time**: dateutil sees naive local
  datetimes, so "every Friday 22:00" stays 22:00 local across clock changes.
  Each local start/end is then localised with :mod:`zoneinfo` and converted
  to UTC, so ``duration`` is the real elapsed time: a Saturday 22:00-04:00
  shift lasts 5 h on the spring-forward night (2027-03-28, Europe/London) and
  7 h on the fall-back night (2027-10-31).
* The end time is on the next day when ``end_time <= start_time`` (22:00 ->
  04:00), otherwise on the same day. The same rule applies to per-night
  changes, evaluated against the night's effective start time.
* Local times that do not exist or exist twice are resolved as RFC 5545
  section 3.3.5 does for DATE-TIME with TZID, which is also what calendar
  clients do with our feed:

  - a **non-existent** time (in the spring-forward gap, e.g. 01:30 on
    2027-03-28 in London) uses the UTC offset *before* the gap, so 01:30 is
    01:30 GMT = 02:30 BST;
  - an **ambiguous** time (in the fall-back overlap, e.g. 01:30 on
    2027-10-31) is its *first* occurrence, so 01:30 BST = 00:30 UTC.

  Both are ``fold=0`` in PEP 495 terms. In the one pathological case where
  this makes the end not later than the start (a start inside the gap and an
  end less than an hour after it) the occurrence gets ``end_at == start_at``
  (zero duration) rather than a negative one; a per-night change fixes it.

RFC 5545 subset
---------------
``rrule`` is one RRULE value (an optional ``RRULE:`` prefix is accepted),
without DTSTART/EXDATE/RDATE lines: the start comes from ``start_date`` and
``start_time`` and cancellations from ``exceptions``. FREQ must be DAILY or
coarser and BYHOUR/BYMINUTE/BYSECOND are refused: a series repeats at most
once a day, at ``start_time``. ``UNTIL`` may be a date (inclusive: the whole
local day), a floating local date-time, or a UTC date-time ending in ``Z``
(converted to local time). Unlike RFC 5545, and like dateutil, ``start_date``
is only a night of the series when the rule generates it: "from Wednesday,
every Friday" starts on the Friday.

Validation errors raise :class:`InvalidSeries`, a :class:`ValueError` naming
the offending field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dateutil.rrule

__all__ = [
    "WEEKDAY_CODES",
    "InvalidSeries",
    "NightChange",
    "Occurrence",
    "ShiftSeriesSpec",
    "describe",
    "plain_words",
    "rule_until",
    "weekdays_of",
    "weekly_rule",
    "with_until",
    "materialise",
    "occurrence_on",
    "occurs_on",
    "orphaned_dates",
]

DEFAULT_TZ = "Europe/London"

_FREQS = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY")
_TOO_FINE = ("HOURLY", "MINUTELY", "SECONDLY")
_KNOWN_PARTS = frozenset(
    {
        "FREQ",
        "UNTIL",
        "COUNT",
        "INTERVAL",
        "BYSECOND",
        "BYMINUTE",
        "BYHOUR",
        "BYDAY",
        "BYMONTHDAY",
        "BYYEARDAY",
        "BYWEEKNO",
        "BYMONTH",
        "BYSETPOS",
        "WKST",
    }
)
_TIME_OF_DAY_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
_UNTIL_RE = re.compile(r"^(\d{8})(?:T(\d{6})(Z?))?$")
_DAY_NAMES = {
    "MO": "Monday",
    "TU": "Tuesday",
    "WE": "Wednesday",
    "TH": "Thursday",
    "FR": "Friday",
    "SA": "Saturday",
    "SU": "Sunday",
}
_DAY_ORDER = tuple(_DAY_NAMES)
_BYDAY_RE = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")

# How far before the window start a night may begin and still overlap it:
# a shift lasts at most 24 h of wall-clock time (+1 h on a fall-back night).
_LOOKBACK = timedelta(days=2)
_LOOKAHEAD = timedelta(days=1)
_ONE_DAY = timedelta(days=1)


class InvalidSeries(ValueError):
    """A shift series (or a per-night change) that cannot be used.

    ``field`` names the input at fault (``rrule``, ``start_date``,
    ``start_time``, ``end_time``, ``tz``, ``exceptions`` or ``changes``) so
    that a form or API can attach the message to it.
    """

    def __init__(self, *, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class NightChange:
    """A change to one night of a series, keyed by its generated local date.

    Unset parts keep the series' values. ``moved_to`` moves the night to
    another local date (the start time applies on that date). The end is on
    the next day when the effective end time is not after the effective start
    time, as for the series.
    """

    start_time: time | None = None
    end_time: time | None = None
    moved_to: date | None = None


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One night of a series.

    ``occurrence_date`` is the local date the rule generated: a stable key
    that does not change when the night is moved or re-timed.
    ``start_at``/``end_at`` are aware UTC datetimes and ``duration`` is the
    real elapsed time between them.
    """

    occurrence_date: date
    start_at: datetime
    end_at: datetime
    duration: timedelta
    cancelled: bool
    changed: bool


@dataclass(frozen=True)
class ShiftSeriesSpec:
    """A recurring shift: an RFC 5545 RRULE anchored at a local date and time.

    Validated on construction (:class:`InvalidSeries`). ``exceptions`` are
    cancelled local dates; ``changes`` maps a generated local date to a
    :class:`NightChange`. Keys that the rule never generates are ignored by
    :func:`materialise` (see :func:`orphaned_dates` to check them on write).
    """

    rrule: str
    start_date: date
    start_time: time
    end_time: time
    tz: str = DEFAULT_TZ
    exceptions: frozenset[date] = frozenset()
    changes: Mapping[date, NightChange] = field(default_factory=dict, hash=False)

    # Derived once, on construction.
    _zone: ZoneInfo = field(init=False, repr=False, compare=False, hash=False)
    _rule: dateutil.rrule.rrule = field(init=False, repr=False, compare=False, hash=False)
    _parts: dict[str, str] = field(init=False, repr=False, compare=False, hash=False)
    _period_days: int | None = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.start_date, date) or isinstance(self.start_date, datetime):
            raise InvalidSeries(field="start_date", message="must be a date")
        for name in ("start_time", "end_time"):
            value = getattr(self, name)
            if not isinstance(value, time):
                raise InvalidSeries(field=name, message="must be a time of day")
            if value.tzinfo is not None:
                raise InvalidSeries(field=name, message="must be a local wall-clock time without tzinfo")
        if self.end_time == self.start_time:
            raise InvalidSeries(field="end_time", message="must differ from start_time")

        zone = _load_zone(self.tz)
        exceptions = frozenset(self.exceptions)
        for day in exceptions:
            if not isinstance(day, date) or isinstance(day, datetime):
                raise InvalidSeries(field="exceptions", message=f"{day!r} is not a date")
        changes = dict(self.changes)
        for day, change in changes.items():
            _check_change(day, change, self.start_time, self.end_time)

        dtstart = datetime.combine(self.start_date, self.start_time)
        parts = _parse_rrule_parts(self.rrule)
        rule = _build_rule(parts, dtstart, zone)
        if rule.after(dtstart, inc=True) is None:
            raise InvalidSeries(field="rrule", message="generates no nights from start_date")

        # DAILY and WEEKLY rules without COUNT can be restarted a whole number
        # of periods later without changing any later night; that keeps the
        # expansion cost proportional to the window, not to the series' age.
        period_days: int | None = None
        if "COUNT" not in parts and parts["FREQ"] in ("DAILY", "WEEKLY"):
            interval = int(parts.get("INTERVAL", "1"))
            period_days = interval * (7 if parts["FREQ"] == "WEEKLY" else 1)

        object.__setattr__(self, "exceptions", exceptions)
        object.__setattr__(self, "changes", changes)
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(self, "_rule", rule)
        object.__setattr__(self, "_parts", parts)
        object.__setattr__(self, "_period_days", period_days)

    def _rule_from(self, earliest: datetime) -> dateutil.rrule.rrule:
        """The rule, restarted as late as possible but not after ``earliest``."""
        dtstart = datetime.combine(self.start_date, self.start_time)
        if self._period_days is None or earliest <= dtstart:
            return self._rule
        periods = (earliest - dtstart).days // self._period_days
        if periods <= 0:
            return self._rule
        return self._rule.replace(dtstart=dtstart + timedelta(days=periods * self._period_days))


def materialise(spec: ShiftSeriesSpec, *, window_start: datetime, window_end: datetime) -> list[Occurrence]:
    """The nights of ``spec`` that overlap ``[window_start, window_end)``.

    A night is included when ``start_at < window_end`` and
    ``end_at > window_start``, so a shift already under way at the window
    start is included. Cancelled nights are included with ``cancelled=True``
    (a calendar must keep them as STATUS:CANCELLED). A night moved by a
    per-night change is included according to where it now is. Sorted by
    ``start_at``, then ``occurrence_date``.
    """
    _check_window(window_start, window_end)
    zone = spec._zone
    lo = window_start.astimezone(zone).replace(tzinfo=None) - _LOOKBACK
    hi = window_end.astimezone(zone).replace(tzinfo=None) + _LOOKAHEAD

    rule = spec._rule_from(lo)
    days = {generated.date() for generated in rule.between(lo, hi, inc=True)}
    # A night generated outside the range may have been moved into it.
    for day, change in spec.changes.items():
        if (
            change.moved_to is not None
            and day not in days
            and lo.date() <= change.moved_to <= hi.date()
            and occurs_on(spec, day)
        ):
            days.add(day)

    occurrences = []
    for day in days:
        occurrence = _occurrence(spec, day, zone)
        if occurrence.start_at < window_end and occurrence.end_at > window_start:
            occurrences.append(occurrence)
    occurrences.sort(key=lambda o: (o.start_at, o.occurrence_date))
    return occurrences


def occurs_on(spec: ShiftSeriesSpec, day: date) -> bool:
    """Whether the rule generates a night on local date ``day``."""
    target = datetime.combine(day, spec.start_time)
    rule = spec._rule_from(target)
    found: datetime | None = rule.after(target, inc=True)
    return found == target


def occurrence_on(spec: ShiftSeriesSpec, day: date) -> Occurrence | None:
    """The night the rule generates on local date ``day`` (with its per-night change applied and
    ``cancelled`` set when it is an exception), or None when the rule does not generate that date.

    This answers for one night without any window: a service deciding whether a stored night still
    belongs to the series asks this, whatever window it materialises."""
    if not occurs_on(spec, day):
        return None
    return _occurrence(spec, day, spec._zone)


def orphaned_dates(spec: ShiftSeriesSpec) -> set[date]:
    """Exception and change dates that the rule never generates.

    :func:`materialise` ignores them; a service can call this on write to
    refuse a cancellation or change for a night that is not in the series.
    """
    keys = set(spec.exceptions) | set(spec.changes)
    return {day for day in keys if not occurs_on(spec, day)}


def describe(spec: ShiftSeriesSpec) -> str:
    """Human text, e.g. ``"Every Friday, 22:00-04:00 (Europe/London)"``."""
    parts = spec._parts
    text = _describe_rule(parts, spec.start_date)
    hours = f"{spec.start_time:%H:%M}-{spec.end_time:%H:%M}"
    result = f"{text}, {hours} ({spec.tz})"
    if "COUNT" in parts:
        count = int(parts["COUNT"])
        result += ", once" if count == 1 else f", {count} times"
    elif "UNTIL" in parts:
        result += f", until {_long_date(_local_until(parts['UNTIL'], spec._zone).date())}"
    return result


#: Weekday codes Monday..Sunday, as RFC 5545 spells them (BYDAY) and as the pickers post them.
WEEKDAY_CODES = _DAY_ORDER
_DATEUTIL_DAYS = dict(
    zip(
        _DAY_ORDER,
        (
            dateutil.rrule.MO,
            dateutil.rrule.TU,
            dateutil.rrule.WE,
            dateutil.rrule.TH,
            dateutil.rrule.FR,
            dateutil.rrule.SA,
            dateutil.rrule.SU,
        ),
        strict=True,
    )
)


def weekly_rule(weekdays: Iterable[str], *, interval: int = 1, until: date | None = None) -> str:
    """The RRULE value for the pickers: every ``interval`` weeks on ``weekdays`` (codes MO..SU),
    up to and including the local date ``until``. Built with dateutil's ``rrule`` (its ``str()`` is
    RFC 5545), so the text is what :class:`ShiftSeriesSpec` parses back; ``UNTIL`` is written as a
    date (the whole local day counts, see the module notes).

    >>> weekly_rule(["SA", "FR"], until=date(2027, 2, 27))
    'FREQ=WEEKLY;UNTIL=20270227;BYDAY=FR,SA'
    """
    codes = sorted(
        {str(code).upper() for code in weekdays}, key=lambda c: _DAY_ORDER.index(c) if c in _DAY_ORDER else 9
    )
    unknown = [code for code in codes if code not in _DATEUTIL_DAYS]
    if unknown:
        raise InvalidSeries(field="weekdays", message=f"unknown weekday {unknown[0]}")
    if not codes:
        raise InvalidSeries(field="weekdays", message="choose at least one weekday")
    if interval not in (1, 2, 3, 4):
        raise InvalidSeries(field="interval", message="repeat every 1 to 4 weeks")
    rule = dateutil.rrule.rrule(
        dateutil.rrule.WEEKLY,
        interval=interval,
        byweekday=[_DATEUTIL_DAYS[code] for code in codes],
        dtstart=datetime(2000, 1, 3),  # only the rule part is kept; the start comes from the series
        until=datetime.combine(until, time(23, 59, 59)) if until is not None else None,
    )
    body = str(rule).split("RRULE:", 1)[1]
    parts = [part for part in body.split(";") if not part.startswith("UNTIL=")]
    if until is not None:
        parts.insert(1, f"UNTIL={until:%Y%m%d}")
    return ";".join(parts)


def with_until(rrule: str, until: date) -> str:
    """``rrule`` ending on the local date ``until`` (inclusive): UNTIL set or replaced, COUNT dropped."""
    parts = _parse_rrule_parts(rrule)
    parts.pop("COUNT", None)
    parts.pop("UNTIL", None)
    items = list(parts.items())
    items.insert(1, ("UNTIL", f"{until:%Y%m%d}"))
    return ";".join(f"{key}={value}" for key, value in items)


def rule_until(rrule: str, tz: str = DEFAULT_TZ) -> date | None:
    """The last local date the rule may generate (its UNTIL), or None when it has none."""
    parts = _parse_rrule_parts(rrule)
    if "UNTIL" not in parts:
        return None
    return _local_until(parts["UNTIL"], _load_zone(tz)).date()


def weekdays_of(rrule: str) -> tuple[list[str], int] | None:
    """(weekday codes, interval) when ``rrule`` is a plain weekly rule the pickers can show, else None."""
    try:
        parts = _parse_rrule_parts(rrule)
    except InvalidSeries:
        return None
    if parts.get("FREQ") != "WEEKLY" or not set(parts) <= {"FREQ", "INTERVAL", "UNTIL", "BYDAY", "WKST"}:
        return None
    codes = parts.get("BYDAY", "").split(",")
    if not all(code in _DAY_NAMES for code in codes):
        return None
    interval = int(parts.get("INTERVAL", "1"))
    return sorted(set(codes), key=_DAY_ORDER.index), interval


def plain_words(spec: ShiftSeriesSpec) -> str:
    """The series in plain words, e.g. "Every Friday and Saturday, 22:00 to 03:00, from 4 Dec 2026
    until 27 Feb 2027" (London time is implied; another zone is named)."""
    parts = spec._parts
    text = _describe_rule(parts, spec.start_date)
    if parts["FREQ"] == "WEEKLY" and int(parts.get("INTERVAL", "1")) == 2 and text.startswith("Every 2 weeks on "):
        text = "Every other " + text.removeprefix("Every 2 weeks on ")
    result = f"{text}, {spec.start_time:%H:%M} to {spec.end_time:%H:%M}"
    if spec.tz != DEFAULT_TZ:
        result += f" ({spec.tz})"
    result += f", from {_short_date(spec.start_date)}"
    if "COUNT" in parts:
        count = int(parts["COUNT"])
        result += ", once" if count == 1 else f", {count} times"
    elif "UNTIL" in parts:
        result += f" until {_short_date(_local_until(parts['UNTIL'], spec._zone).date())}"
    return result


def _short_date(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


# --- internals ---------------------------------------------------------------


def _load_zone(key: str) -> ZoneInfo:
    if not isinstance(key, str) or not key:
        raise InvalidSeries(field="tz", message="must be an IANA time zone name")
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidSeries(field="tz", message=f"unknown time zone {key!r}") from exc


def _check_change(day: object, change: object, start: time, end: time) -> None:
    if not isinstance(day, date) or isinstance(day, datetime):
        raise InvalidSeries(field="changes", message=f"key {day!r} is not a date")
    if not isinstance(change, NightChange):
        raise InvalidSeries(field="changes", message=f"{day}: expected a NightChange")
    if change.start_time is None and change.end_time is None and change.moved_to is None:
        raise InvalidSeries(field="changes", message=f"{day}: the change changes nothing")
    for value in (change.start_time, change.end_time):
        if value is not None and (not isinstance(value, time) or value.tzinfo is not None):
            raise InvalidSeries(field="changes", message=f"{day}: times must be local times without tzinfo")
    if change.moved_to is not None and (not isinstance(change.moved_to, date) or isinstance(change.moved_to, datetime)):
        raise InvalidSeries(field="changes", message=f"{day}: moved_to must be a date")
    new_start = start if change.start_time is None else change.start_time
    new_end = end if change.end_time is None else change.end_time
    if new_start == new_end:
        raise InvalidSeries(field="changes", message=f"{day}: end time equals start time")


def _parse_rrule_parts(text: object) -> dict[str, str]:
    if not isinstance(text, str):
        raise InvalidSeries(field="rrule", message="must be an RRULE string")
    body = text.strip()
    if body[:6].upper() == "RRULE:":
        body = body[6:]
    if not body:
        raise InvalidSeries(field="rrule", message="is empty")
    if any(ch in body for ch in "\r\n:"):
        raise InvalidSeries(
            field="rrule",
            message="must be a single RRULE value (no DTSTART, EXDATE or RDATE lines)",
        )
    parts = _split_parts(body)
    _check_parts(parts)
    return parts


def _split_parts(body: str) -> dict[str, str]:
    """``FREQ=WEEKLY;BYDAY=FR`` as {part: value}, upper case; each part known and given once."""
    parts: dict[str, str] = {}
    for item in body.split(";"):
        key, sep, value = item.partition("=")
        key = key.strip().upper()
        value = value.strip().upper()
        if not sep or not key or not value:
            raise InvalidSeries(field="rrule", message=f"malformed rule part {item!r}")
        if key not in _KNOWN_PARTS:
            raise InvalidSeries(field="rrule", message=f"unknown rule part {key}")
        if key in parts:
            raise InvalidSeries(field="rrule", message=f"{key} is given twice")
        parts[key] = value
    return parts


def _check_parts(parts: dict[str, str]) -> None:
    """The rule parts a shift series may use, and how: a FREQ of at least daily, no time of day, COUNT
    or UNTIL (not both), positive numbers, an UNTIL date RFC 5545 can read."""
    freq = parts.get("FREQ")
    if freq is None:
        raise InvalidSeries(field="rrule", message="FREQ is required")
    if freq in _TOO_FINE:
        raise InvalidSeries(
            field="rrule",
            message=f"FREQ={freq} is finer than DAILY; a shift series repeats at most daily",
        )
    if freq not in _FREQS:
        raise InvalidSeries(field="rrule", message=f"unknown FREQ {freq}")
    for key in _TIME_OF_DAY_PARTS:
        if key in parts:
            raise InvalidSeries(field="rrule", message=f"{key} is not allowed; the time comes from start_time")
    if "COUNT" in parts and "UNTIL" in parts:
        raise InvalidSeries(field="rrule", message="COUNT and UNTIL must not both be given")
    for key in ("COUNT", "INTERVAL"):
        if key in parts and (not parts[key].isdigit() or int(parts[key]) < 1):
            raise InvalidSeries(field="rrule", message=f"{key} must be a positive integer")
    if "UNTIL" in parts and not _UNTIL_RE.match(parts["UNTIL"]):
        raise InvalidSeries(
            field="rrule",
            message="UNTIL must be YYYYMMDD, YYYYMMDDTHHMMSS or YYYYMMDDTHHMMSSZ",
        )


def _build_rule(parts: dict[str, str], dtstart: datetime, zone: tzinfo) -> dateutil.rrule.rrule:
    until = _local_until(parts["UNTIL"], zone) if "UNTIL" in parts else None
    body = ";".join(f"{key}={value}" for key, value in parts.items() if key != "UNTIL")
    try:
        rule = dateutil.rrule.rrulestr(body, dtstart=dtstart)
        if until is not None and isinstance(rule, dateutil.rrule.rrule):  # a set is refused below
            rule = rule.replace(until=until)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise InvalidSeries(field="rrule", message=str(exc) or "invalid rule") from exc
    if not isinstance(rule, dateutil.rrule.rrule):  # pragma: no cover - rrulestr returns a set only on request
        raise InvalidSeries(field="rrule", message="must be a single RRULE")
    return rule


def _local_until(value: str, zone: tzinfo) -> datetime:
    """UNTIL as a naive local datetime, comparable with the naive expansion."""
    match = _UNTIL_RE.match(value)
    assert match is not None  # checked by _parse_rrule_parts
    day_text, time_text, utc_flag = match.groups()
    try:
        day = datetime.strptime(day_text, "%Y%m%d").date()
        if time_text is None:  # a date: the whole local day is included
            return datetime.combine(day, time(23, 59, 59))
        moment = datetime.combine(day, datetime.strptime(time_text, "%H%M%S").time())
    except ValueError as exc:
        raise InvalidSeries(field="rrule", message=f"invalid UNTIL {value}") from exc
    if utc_flag:
        return moment.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)
    return moment


def _check_window(window_start: datetime, window_end: datetime) -> None:
    for name, value in (("window_start", window_start), ("window_end", window_end)):
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise ValueError(f"{name} must be an aware datetime")
    if window_end <= window_start:
        raise ValueError("window_end must be after window_start")


def _occurrence(spec: ShiftSeriesSpec, day: date, zone: tzinfo) -> Occurrence:
    change = spec.changes.get(day)
    start_time, end_time, start_day = spec.start_time, spec.end_time, day
    if change is not None:
        if change.start_time is not None:
            start_time = change.start_time
        if change.end_time is not None:
            end_time = change.end_time
        if change.moved_to is not None:
            start_day = change.moved_to
    end_day = start_day + _ONE_DAY if end_time <= start_time else start_day
    # fold=0: non-existent -> offset before the gap; ambiguous -> first one.
    start_at = datetime.combine(start_day, start_time, zone).astimezone(UTC)
    end_at = datetime.combine(end_day, end_time, zone).astimezone(UTC)
    end_at = max(end_at, start_at)
    return Occurrence(
        occurrence_date=day,
        start_at=start_at,
        end_at=end_at,
        duration=end_at - start_at,
        cancelled=day in spec.exceptions,
        changed=change is not None,
    )


def _describe_rule(parts: dict[str, str], start_date: date) -> str:
    freq = parts["FREQ"]
    interval = int(parts.get("INTERVAL", "1"))
    byday = parts.get("BYDAY")
    simple_parts = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY"}
    simple = set(parts) <= simple_parts

    if freq == "DAILY" and set(parts) <= {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST"}:
        return "Every day" if interval == 1 else f"Every {interval} days"

    if freq == "WEEKLY" and simple:
        codes = byday.split(",") if byday else [_DAY_ORDER[start_date.weekday()]]
        if all(code in _DAY_NAMES for code in codes):
            codes = sorted(set(codes), key=_DAY_ORDER.index)
            names = _join([_DAY_NAMES[code] for code in codes])
            if interval == 1:
                return f"Every {names}"
            return f"Every {interval} weeks on {names}"

    if freq == "MONTHLY":
        every = "Monthly" if interval == 1 else f"Every {interval} months"
        if simple and byday:
            matches = [_BYDAY_RE.match(code) for code in byday.split(",")]
            if all(m is not None and m.group(1) for m in matches):
                phrases = [
                    f"the {_ordinal(int(m.group(1)))} {_DAY_NAMES[m.group(2)]}" for m in matches if m is not None
                ]
                return f"{every} on {_join(phrases)}"
        setpos = parts.get("BYSETPOS", "")
        if set(parts) <= simple_parts | {"BYSETPOS"} and byday and re.fullmatch(r"[+-]?\d{1,3}", setpos):
            day_match = _BYDAY_RE.match(byday)  # one plain weekday, e.g. BYDAY=FR;BYSETPOS=-1
            if day_match is not None and not day_match.group(1):
                return f"{every} on the {_ordinal(int(setpos))} {_DAY_NAMES[day_match.group(2)]}"
        if set(parts) <= {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYMONTHDAY"}:
            monthdays = parts.get("BYMONTHDAY", str(start_date.day))
            if re.fullmatch(r"\d{1,2}(,\d{1,2})*", monthdays):
                return f"{every} on day {_join(monthdays.split(','))}"

    if freq == "YEARLY" and set(parts) <= {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST"}:
        every = "Every year" if interval == 1 else f"Every {interval} years"
        return f"{every} on {start_date.day} {start_date:%B}"

    body = ";".join(f"{key}={value}" for key, value in parts.items())
    return f"Custom rule {body}"


def _ordinal(n: int) -> str:
    if n == -1:
        return "last"
    if n < 0:
        return f"{_ordinal(-n)}-to-last"
    words = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}
    if n in words:
        return words[n]
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _join(items: Iterable[str]) -> str:
    words = list(items)
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"
