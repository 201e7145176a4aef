"""A volunteer's shifts as an RFC 5545 / RFC 7986 calendar feed (pure, no database).

The caller turns shifts into :class:`FeedEvent` values (it owns the stable
``uid``, e.g. ``f"shift-{id}@nte-safe"``, and the SEQUENCE counter, see
:func:`sequence_must_increase`) and serves :func:`build_feed`'s bytes with
:func:`etag_for` as a weak ETag.

Choices worth knowing
---------------------
* DTSTAMP is when the feed was generated (``generated_at``): with
  METHOD:PUBLISH, RFC 5545 (3.8.7.2) defines it as the time the object was
  created. LAST-MODIFIED is when the night (shift or sign-up) last changed and
  SEQUENCE counts its significant revisions. Because DTSTAMP moves on every
  request, :func:`etag_for` hashes the feed without its DTSTAMP lines and is a
  weak ETag (RFC 9110 8.8.1: same meaning, not the same bytes), so clients
  still get 304 until something in the calendar changes.
* The calendar says how often to poll: ``REFRESH-INTERVAL;VALUE=DURATION:PT1H``
  (RFC 7986 5.7) and the older ``X-PUBLISHED-TTL:PT1H`` that Outlook reads.
* The VTIMEZONE is written from the tz database's own transitions, one
  observance per kind with RDATEs: each DTSTART/RDATE is the local wall-clock
  time *before* the change (RFC 5545 3.6.5, in TZOFFSETFROM), so for
  Europe/London DAYLIGHT starts at 01:00 GMT on the last Sunday of March and
  STANDARD at 02:00 BST on the last Sunday of October, both 01:00 UTC. It spans
  whole years around the events, so identical input gives identical bytes.
* DTSTART/DTEND are written as local times with ``TZID`` (the feed's time
  zone) so clients show wall-clock times. A local time that occurs twice (the
  second 01:00-02:00 on a fall-back night) cannot be written that way: RFC
  5545 reads an ambiguous local time as its first occurrence. An event with
  such an instant has both DTSTART and DTEND written in UTC (``...Z``)
  instead (both, because some readers add the length to a local DTSTART in
  wall-clock time), so every DTSTART/DTEND converts back to exactly the
  input instant.
* No X-WR-TIMEZONE (a non-standard default zone): every DTSTART/DTEND has a
  TZID or is UTC, and readers that honour X-WR-TIMEZONE re-read UTC times as
  local ones, which moved a fall-back night's end by an hour.
* GEO is written with exactly six decimals, latitude first (RFC 5545 3.8.1.6).
* URLs in the feed come from the caller (built from the configured public base
  URL, never from a request's Host header).
* Cancelled shifts stay in the feed with STATUS:CANCELLED so that clients
  remove or strike them instead of keeping a stale copy.
* icalendar writes CRLF line ends, UTF-8, and folds content lines at 75
  octets without splitting a character (RFC 5545 3.1).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard
from icalendar.prop import vGeo

from nte.spatial.coords import round_coord

__all__ = [
    "EventStatus",
    "FeedEvent",
    "InvalidFeedEvent",
    "ScheduleFields",
    "build_feed",
    "etag_for",
    "next_sequence",
    "sequence_must_increase",
]

PRODID = "-//NTE Safe//Volunteer shifts//EN"
DEFAULT_TZ = "Europe/London"
# RFC 7986 REFRESH-INTERVAL and its de-facto predecessor: how often clients poll.
REFRESH = timedelta(hours=1)


class EventStatus(StrEnum):
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"


class InvalidFeedEvent(ValueError):
    """An event that cannot be written to the feed; ``field`` names the input."""

    def __init__(self, *, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One shift as the feed shows it. Datetimes are aware (UTC or not)."""

    uid: str
    start_at: datetime
    end_at: datetime
    summary: str
    location: str
    description: str
    sequence: int
    status: EventStatus
    last_modified: datetime
    geo: tuple[float, float] | None = None  # (latitude, longitude), WGS84
    url: str | None = None  # where the volunteer manages this shift (absolute, from the public base URL)


@dataclass(frozen=True, slots=True)
class ScheduleFields:
    """The parts of a shift whose change must bump SEQUENCE."""

    start_at: datetime
    end_at: datetime
    location: str
    status: EventStatus


def sequence_must_increase(old: ScheduleFields, new: ScheduleFields) -> bool:
    """Whether going from ``old`` to ``new`` is a significant revision.

    RFC 5545 (3.8.7.4) and iTIP (RFC 5546, 2.1.4) bump SEQUENCE when DTSTART,
    DTEND or STATUS change; we add LOCATION because volunteers must notice a
    new meeting point. Instants are compared as instants (time zone does not
    matter); locations ignore surrounding whitespace. Summary or description
    edits are not significant.
    """
    return (
        old.start_at != new.start_at
        or old.end_at != new.end_at
        or old.location.strip() != new.location.strip()
        or EventStatus(old.status) is not EventStatus(new.status)
    )


def next_sequence(current: int, old: ScheduleFields, new: ScheduleFields) -> int:
    """``current + 1`` when :func:`sequence_must_increase`, else ``current``."""
    return current + 1 if sequence_must_increase(old, new) else current


def build_feed(name: str, events: Iterable[FeedEvent], *, generated_at: datetime, tz: str = DEFAULT_TZ) -> bytes:
    """An RFC 5545 VCALENDAR (METHOD:PUBLISH) with one VEVENT per event; DTSTAMP is ``generated_at``."""
    stamp = _utc(generated_at, "generated_at").replace(microsecond=0)
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidFeedEvent(field="tz", message=f"unknown time zone {tz!r}") from exc
    items = sorted(events, key=lambda e: (_utc(e.start_at, "start_at"), e.uid))
    uids = [e.uid for e in items]
    if len(set(uids)) != len(uids):
        raise InvalidFeedEvent(field="uid", message="UIDs must be unique within a feed")

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("name", name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    calendar.add_component(_vtimezone(tz, zone, items, stamp))
    for item in items:
        calendar.add_component(_vevent(item, zone, stamp))
    return bytes(calendar.to_ical())


def etag_for(feed: bytes) -> str:
    """A weak ETag for feed bytes: a SHA-256 prefix (128 bits) of the feed without its DTSTAMP lines.

    Two feeds that differ only in when they were generated mean the same calendar, so they share the
    tag (a weak one: RFC 9110 allows ``If-None-Match`` to match it, not a byte-range request).
    """
    meaning = b"\r\n".join(line for line in feed.split(b"\r\n") if not line.startswith(b"DTSTAMP:"))
    return f'W/"{hashlib.sha256(meaning).hexdigest()[:32]}"'


# --- internals ---------------------------------------------------------------


def _utc(value: datetime, field: str) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidFeedEvent(field=field, message="must be an aware datetime")
    return value.astimezone(UTC)


def _vtimezone(tzid: str, zone: ZoneInfo, items: list[FeedEvent], stamp: datetime) -> Timezone:
    """VTIMEZONE from the zone's transitions over whole years around the events (deterministic)."""
    if items:
        years = [e.start_at.astimezone(zone).year for e in items]
        years += [e.end_at.astimezone(zone).year for e in items]
        first, last = min(years) - 1, max(years) + 1
    else:
        first = last = stamp.year
    return _vtimezone_for_years(tzid, first, last)


@lru_cache(maxsize=64)
def _vtimezone_for_years(tzid: str, first: int, last: int) -> Timezone:
    zone = ZoneInfo(tzid)
    # From the middle of the year before, so that the change in force on 1 January is included.
    start = datetime(first - 1, 7, 1, tzinfo=UTC)
    changes = _transitions(zone, start, datetime(last + 1, 1, 1, tzinfo=UTC))
    vtimezone = Timezone()
    vtimezone.add("tzid", tzid)
    # One observance per (kind, offsets, name); the first of each is its DTSTART, the rest RDATEs.
    groups: dict[tuple[bool, timedelta, timedelta, str], list[datetime]] = {}
    for at, before, after, name, dst in changes:
        # Bisection lands within a second after the change; the changes are on whole seconds.
        groups.setdefault((dst, before, after, name), []).append((at + before).replace(tzinfo=None, microsecond=0))
    if not groups:  # a zone without changes in the span (e.g. UTC): one STANDARD observance
        offset = start.astimezone(zone).utcoffset() or timedelta(0)
        groups[(False, offset, offset, start.astimezone(zone).tzname() or tzid)] = [datetime(first, 1, 1)]
    for (dst, before, after, name), locals_ in sorted(groups.items(), key=lambda kv: kv[1][0]):
        observance = TimezoneDaylight() if dst else TimezoneStandard()
        observance.add("dtstart", locals_[0])
        if locals_[1:]:
            observance.add("rdate", locals_[1:])
        observance.add("tzname", name)
        observance.add("tzoffsetfrom", before)
        observance.add("tzoffsetto", after)
        vtimezone.add_component(observance)
    return vtimezone


def _transitions(
    zone: ZoneInfo, start: datetime, end: datetime
) -> list[tuple[datetime, timedelta, timedelta, str, bool]]:
    """Every change of UTC offset or name in [start, end): (UTC instant, offset before, offset after,
    name after, daylight after). Found by a daily scan, then to the second by bisection."""

    def state(moment: datetime) -> tuple[timedelta, str, bool]:
        local = moment.astimezone(zone)
        return local.utcoffset() or timedelta(0), local.tzname() or "", bool(local.dst())

    found = []
    day = timedelta(days=1)
    moment, current = start, state(start)
    while moment < end:
        following = min(moment + day, end)
        if state(following) != current:
            low, high = moment, following  # state(low) == current != state(high)
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if state(middle) == current:
                    low = middle
                else:
                    high = middle
            after = state(high)
            if state(high.replace(microsecond=0)) == after:  # tz changes fall on whole seconds
                high = high.replace(microsecond=0)
            if after[0] != current[0] or after[1] != current[1]:
                found.append((high, current[0], after[0], after[1], after[2]))
            current = after
            moment = high
            continue
        moment = following
    return found


def _second_occurrence(value: datetime, zone: ZoneInfo) -> bool:
    """Whether the instant's local time in ``zone`` is the second of two (the repeated fall-back hour)."""
    local = value.astimezone(zone)
    return bool(local.fold) and local.replace(fold=0).utcoffset() != local.utcoffset()


class _Geo(vGeo):
    """GEO with exactly six decimals (about 0.1 m), as RFC 5545 3.8.1.6 allows and clients expect."""

    def to_ical(self) -> str:
        return f"{self.latitude:.6f};{self.longitude:.6f}"


def _vevent(item: FeedEvent, zone: ZoneInfo, stamp: datetime) -> Event:
    start = _utc(item.start_at, "start_at")
    end = _utc(item.end_at, "end_at")
    modified = _utc(item.last_modified, "last_modified")
    if end <= start:
        raise InvalidFeedEvent(field="end_at", message=f"{item.uid}: must be after start_at")
    if not item.uid or any(ch in item.uid for ch in "\r\n"):
        raise InvalidFeedEvent(field="uid", message="must be a non-empty single line")
    if isinstance(item.sequence, bool) or not isinstance(item.sequence, int) or item.sequence < 0:
        raise InvalidFeedEvent(field="sequence", message=f"{item.uid}: must be an integer >= 0")
    try:
        status = EventStatus(item.status)
    except ValueError as exc:
        raise InvalidFeedEvent(field="status", message=f"{item.uid}: must be CONFIRMED or CANCELLED") from exc

    event = Event()
    event.add("uid", item.uid)
    event.add("dtstamp", stamp)
    event.add("last-modified", modified.replace(microsecond=0))
    event.add("sequence", item.sequence)
    event.add("status", status.value)
    # Both in UTC when either cannot be written as local time: readers that add the event's length
    # to a local DTSTART (wall-clock arithmetic, as recurring-ical-events does) then stay exact.
    in_utc = _second_occurrence(start, zone) or _second_occurrence(end, zone)
    event.add("dtstart", start if in_utc else start.astimezone(zone))
    event.add("dtend", end if in_utc else end.astimezone(zone))
    event.add("summary", item.summary)
    if item.location:
        event.add("location", item.location)
    if item.description:
        event.add("description", item.description)
    if item.geo is not None:
        lat, lon = item.geo
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise InvalidFeedEvent(field="geo", message=f"{item.uid}: (lat, lon) out of range")
        event.add("geo", _Geo((round_coord(lat), round_coord(lon))))
    if item.url is not None:
        if not item.url.startswith(("https://", "http://")) or any(ch in item.url for ch in " \r\n"):
            raise InvalidFeedEvent(field="url", message=f"{item.uid}: must be an absolute http(s) URL")
        event.add("url", item.url)
    event.add("transp", "OPAQUE")
    return event
