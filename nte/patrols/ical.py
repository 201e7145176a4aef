"""A volunteer's shifts as an RFC 5545 calendar feed (pure, no database).

The caller turns shifts into :class:`FeedEvent` values (it owns the stable
``uid``, e.g. ``f"shift-{id}@nte-safe"``, and the SEQUENCE counter, see
:func:`sequence_must_increase`) and serves :func:`build_feed`'s bytes with
:func:`etag_for` as a strong ETag.

Choices worth knowing
---------------------
* The output depends only on the input: events are sorted by
  (``start_at``, ``uid``), DTSTAMP is each event's ``last_modified`` and the
  VTIMEZONE spans whole years around the events, so identical input gives
  identical bytes and the same ETag. RFC 5545 defines DTSTAMP with METHOD as
  when the object was created; using the last modification (as the spec does
  without METHOD) keeps the feed cacheable, and clients that compare DTSTAMP
  see it move exactly when the event changed.
* DTSTART/DTEND are written as local times with ``TZID`` (the feed's time
  zone) so clients show wall-clock times. A local time that occurs twice (the
  second 01:00-02:00 on a fall-back night) cannot be written that way: RFC
  5545 reads an ambiguous local time as its first occurrence. Such instants
  are written in UTC (``...Z``) instead, so every DTSTART/DTEND converts back
  to exactly the input instant.
* Cancelled shifts stay in the feed with STATUS:CANCELLED so that clients
  remove or strike them instead of keeping a stale copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar, Event, Timezone

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


def build_feed(name: str, events: Iterable[FeedEvent], *, tz: str = DEFAULT_TZ) -> bytes:
    """An RFC 5545 VCALENDAR (METHOD:PUBLISH) with one VEVENT per event."""
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
    calendar.add("x-wr-timezone", tz)
    calendar.add("refresh-interval", REFRESH)
    calendar.add("x-published-ttl", "PT1H")
    calendar.add_component(_vtimezone(tz, zone, items))
    for item in items:
        calendar.add_component(_vevent(item, zone))
    return bytes(calendar.to_ical())


def etag_for(feed: bytes) -> str:
    """A strong ETag for feed bytes: a quoted SHA-256 prefix (128 bits)."""
    return f'"{hashlib.sha256(feed).hexdigest()[:32]}"'


# --- internals ---------------------------------------------------------------


def _utc(value: datetime, field: str) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidFeedEvent(field=field, message="must be an aware datetime")
    return value.astimezone(UTC)


def _vtimezone(tzid: str, zone: ZoneInfo, items: list[FeedEvent]) -> Timezone:
    """VTIMEZONE covering whole years around the events (deterministic)."""
    if items:
        years = [e.start_at.astimezone(zone).year for e in items]
        years += [e.end_at.astimezone(zone).year for e in items]
        first, last = date(min(years) - 1, 1, 1), date(max(years) + 2, 1, 1)
    else:
        first, last = Timezone.DEFAULT_FIRST_DATE, Timezone.DEFAULT_LAST_DATE
    return Timezone.from_tzinfo(zone, tzid=tzid, first_date=first, last_date=last)


def _local(value: datetime, zone: ZoneInfo) -> datetime:
    """The instant in the feed's zone, or in UTC when local time is ambiguous."""
    local = value.astimezone(zone)
    if local.fold and local.replace(fold=0).utcoffset() != local.utcoffset():
        return value.astimezone(UTC)
    return local


def _vevent(item: FeedEvent, zone: ZoneInfo) -> Event:
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
    event.add("dtstamp", modified)
    event.add("last-modified", modified)
    event.add("sequence", item.sequence)
    event.add("status", status.value)
    event.add("dtstart", _local(start, zone))
    event.add("dtend", _local(end, zone))
    event.add("summary", item.summary)
    if item.location:
        event.add("location", item.location)
    if item.description:
        event.add("description", item.description)
    if item.geo is not None:
        lat, lon = item.geo
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise InvalidFeedEvent(field="geo", message=f"{item.uid}: (lat, lon) out of range")
        event.add("geo", (lat, lon))
    event.add("transp", "OPAQUE")
    return event
