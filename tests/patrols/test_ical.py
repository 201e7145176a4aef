"""Volunteer calendar feed: parse the bytes back and check what clients rely on."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event

from nte.patrols.ical import (
    EventStatus,
    FeedEvent,
    InvalidFeedEvent,
    ScheduleFields,
    build_feed,
    etag_for,
    next_sequence,
    sequence_must_increase,
)
from nte.patrols.recurrence import ShiftSeriesSpec, materialise

LONDON = ZoneInfo("Europe/London")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def make_event(shift_id: int = 1, **overrides: object) -> FeedEvent:
    values: dict[str, object] = {
        "uid": f"shift-{shift_id}@nte-safe",
        "start_at": utc(2027, 7, 2, 21),  # Friday 22:00 BST
        "end_at": utc(2027, 7, 3, 3),  # Saturday 04:00 BST
        "summary": "Soho patrol (team A)",
        "location": "Soho Square, London W1D 3QP",
        "description": "Meet at the bandstand; pink hi-vis, water, flip-flops.\nLead: R.",
        "sequence": 0,
        "status": EventStatus.CONFIRMED,
        "last_modified": utc(2027, 6, 1, 9, 30),
        "geo": (51.5154, -0.1322),
    }
    values.update(overrides)
    return FeedEvent(**values)  # type: ignore[arg-type]


#: When the feeds in these tests are generated (their DTSTAMP).
GENERATED = utc(2027, 6, 15, 12, 0, 5)


def build(name: str, events: list[FeedEvent], **options: Any) -> bytes:
    return build_feed(name, events, generated_at=options.pop("generated_at", GENERATED), **options)


def parse(feed: bytes) -> Calendar:
    return Calendar.from_ical(feed)


def events_by_uid(feed: bytes) -> dict[str, Event]:
    return {str(e["UID"]): e for e in parse(feed).walk("VEVENT")}


def test_calendar_headers() -> None:
    cal = parse(build("Soho Angels: my shifts", [make_event()]))
    assert str(cal["PRODID"]) == "-//NTE Safe//Volunteer shifts//EN"
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["CALSCALE"]) == "GREGORIAN"
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["X-WR-CALNAME"]) == "Soho Angels: my shifts"
    # No X-WR-TIMEZONE: every time carries its TZID (or is UTC), and readers that honour X-WR-TIMEZONE
    # re-read UTC times as local ones (recurring-ical-events moved a fall-back night's end by an hour).
    assert "X-WR-TIMEZONE" not in cal


def test_vtimezone_for_europe_london_covers_the_events() -> None:
    cal = parse(build("x", [make_event()]))
    [vtimezone] = cal.walk("VTIMEZONE")
    assert str(vtimezone["TZID"]) == "Europe/London"
    text = vtimezone.to_ical().decode()
    assert "TZNAME:BST" in text and "TZNAME:GMT" in text
    # 2027's changes, each at 01:00 UTC written as the local time before it (RFC 5545 3.6.5)
    assert "20270328T010000" in text and "20271031T020000" in text
    assert cal.get_missing_tzids() == set()


def test_bytes_are_crlf_and_folded() -> None:
    long_description = "Debrief reminder. " * 20
    feed = build("x", [make_event(description=long_description)])
    assert feed.startswith(b"BEGIN:VCALENDAR\r\n")
    assert b"\n" not in feed.replace(b"\r\n", b"")
    assert max(len(line) for line in feed.split(b"\r\n")) <= 75
    assert str(parse(feed).walk("VEVENT")[0]["DESCRIPTION"]) == long_description


def test_event_properties_round_trip() -> None:
    event = make_event(sequence=3)
    parsed = events_by_uid(build("x", [event]))["shift-1@nte-safe"]
    assert parsed["DTSTART"].params["TZID"] == "Europe/London"
    assert parsed.decoded("DTSTART") == datetime(2027, 7, 2, 22, tzinfo=LONDON)
    assert parsed.decoded("DTSTART").astimezone(UTC) == event.start_at
    assert parsed.decoded("DTEND").astimezone(UTC) == event.end_at
    assert int(parsed["SEQUENCE"]) == 3
    assert str(parsed["STATUS"]) == "CONFIRMED"
    assert str(parsed["SUMMARY"]) == event.summary
    assert str(parsed["LOCATION"]) == event.location
    assert str(parsed["DESCRIPTION"]) == event.description
    assert (parsed["GEO"].latitude, parsed["GEO"].longitude) == event.geo


def test_dtstamp_is_generation_and_last_modified_the_change_both_utc() -> None:
    modified = datetime(2027, 6, 1, 10, 30, tzinfo=LONDON)  # given in local time
    generated = datetime(2027, 6, 15, 13, 0, 5, 123456, tzinfo=LONDON)
    feed = build("x", [make_event(last_modified=modified)], generated_at=generated)
    assert b"DTSTAMP:20270615T120005Z\r\n" in feed
    assert b"LAST-MODIFIED:20270601T093000Z\r\n" in feed
    parsed = parse(feed).walk("VEVENT")[0]
    assert parsed.decoded("DTSTAMP") == generated.replace(microsecond=0)
    assert parsed.decoded("DTSTAMP").utcoffset() == timedelta(0)
    assert parsed.decoded("LAST-MODIFIED") == modified


def test_uids_are_stable_across_builds_and_input_order() -> None:
    events = [make_event(i, start_at=utc(2027, 7, i, 21), end_at=utc(2027, 7, i + 1, 3)) for i in (1, 2, 3)]
    first = build("x", events)
    second = build("x", list(reversed(events)))
    assert first == second
    assert list(events_by_uid(first)) == ["shift-1@nte-safe", "shift-2@nte-safe", "shift-3@nte-safe"]


def test_cancelled_event_is_kept_with_its_sequence() -> None:
    events = [make_event(1), make_event(2, status=EventStatus.CANCELLED, sequence=4)]
    parsed = events_by_uid(build("x", events))
    assert str(parsed["shift-2@nte-safe"]["STATUS"]) == "CANCELLED"
    assert int(parsed["shift-2@nte-safe"]["SEQUENCE"]) == 4
    assert str(parsed["shift-1@nte-safe"]["STATUS"]) == "CONFIRMED"


def test_status_accepts_plain_strings() -> None:
    feed = build("x", [make_event(status="CANCELLED")])
    assert b"STATUS:CANCELLED\r\n" in feed


def test_clock_change_nights_round_trip_to_the_same_instants() -> None:
    series = ShiftSeriesSpec(
        rrule="FREQ=WEEKLY;BYDAY=SA",
        start_date=date(2027, 1, 2),
        start_time=time(22),
        end_time=time(4),
    )
    nights = materialise(series, window_start=utc(2027, 1, 1), window_end=utc(2028, 1, 1))
    assert len(nights) >= 52, f"{len(nights)} Saturday nights in 2027 to round-trip; there are 52"
    events = [make_event(i, start_at=night.start_at, end_at=night.end_at, geo=None) for i, night in enumerate(nights)]
    parsed = events_by_uid(build("x", events))
    for event in events:
        got = parsed[event.uid]
        assert got.decoded("DTSTART").astimezone(UTC) == event.start_at
        assert got.decoded("DTEND").astimezone(UTC) == event.end_at
        assert got.decoded("DTSTART").astimezone(LONDON).time() == time(22)


def test_ambiguous_local_instant_is_written_in_utc() -> None:
    # 01:30 GMT on 2027-10-31 is the *second* 01:30 that night; TZID form would mean the first.
    second = utc(2027, 10, 31, 1, 30)
    first = utc(2027, 10, 31, 0, 30)
    feed = build(
        "x",
        [
            make_event(1, start_at=utc(2027, 10, 30, 21), end_at=second),
            make_event(2, start_at=utc(2027, 10, 30, 21), end_at=first),
        ],
    )
    parsed = events_by_uid(feed)
    assert b"DTEND:20271031T013000Z\r\n" in feed
    assert b"DTSTART:20271030T210000Z\r\n" in feed  # the whole event in UTC, not half of it
    assert b"DTEND;TZID=Europe/London:20271031T013000\r\n" in feed
    assert parsed["shift-1@nte-safe"].decoded("DTEND").astimezone(UTC) == second
    assert parsed["shift-2@nte-safe"].decoded("DTEND").astimezone(UTC) == first


def test_text_is_escaped() -> None:
    event = make_event(summary="Patrol; Soho, W1", location="Greek St; by no. 5, Soho")
    parsed = events_by_uid(build("x", [event]))["shift-1@nte-safe"]
    assert str(parsed["SUMMARY"]) == event.summary
    assert str(parsed["LOCATION"]) == event.location


def test_empty_feed_is_still_a_valid_calendar() -> None:
    cal = parse(build("No shifts yet", []))
    assert cal.walk("VEVENT") == []
    assert len(cal.walk("VTIMEZONE")) == 1


def test_etag_is_stable_and_changes_with_any_event_change() -> None:
    base = build("x", [make_event()])
    assert etag_for(base) == etag_for(build("x", [make_event()]))
    assert re.fullmatch(r'W/"[0-9a-f]{32}"', etag_for(base))
    # Generated later, same calendar: only DTSTAMP differs, so the (weak) ETag is the same.
    later = build("x", [make_event()], generated_at=GENERATED + timedelta(hours=5))
    assert later != base and etag_for(later) == etag_for(base)
    variants = [
        make_event(status=EventStatus.CANCELLED),
        make_event(sequence=1),
        make_event(start_at=utc(2027, 7, 2, 21, 30)),
        make_event(summary="Soho patrol (team B)"),
        make_event(last_modified=utc(2027, 6, 2)),
    ]
    etags = {etag_for(build("x", [variant])) for variant in variants}
    assert etag_for(base) not in etags
    assert len(etags) == len(variants)
    assert etag_for(build("y", [make_event()])) != etag_for(base)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"start_at": datetime(2027, 7, 2, 21)}, "start_at"),
        ({"end_at": datetime(2027, 7, 3, 3)}, "end_at"),
        ({"last_modified": datetime(2027, 6, 1)}, "last_modified"),
        ({"end_at": utc(2027, 7, 2, 21)}, "end_at"),
        ({"sequence": -1}, "sequence"),
        ({"sequence": True}, "sequence"),
        ({"status": "TENTATIVE"}, "status"),
        ({"uid": ""}, "uid"),
        ({"uid": "a\r\nb"}, "uid"),
        ({"geo": (91.0, 0.0)}, "geo"),
    ],
)
def test_invalid_events_name_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidFeedEvent) as caught:
        build("x", [make_event(**overrides)])
    assert caught.value.field == field


def test_duplicate_uids_and_unknown_zone_are_refused() -> None:
    with pytest.raises(InvalidFeedEvent, match="unique"):
        build("x", [make_event(1), make_event(1)])
    with pytest.raises(InvalidFeedEvent) as caught:
        build("x", [make_event()], tz="Europe/Lundun")
    assert caught.value.field == "tz"


# --- SEQUENCE rule -------------------------------------------------------------------

BEFORE = ScheduleFields(
    start_at=utc(2027, 7, 2, 21),
    end_at=utc(2027, 7, 3, 3),
    location="Soho Square",
    status=EventStatus.CONFIRMED,
)


@pytest.mark.parametrize(
    ("change", "bump"),
    [
        ({}, False),
        ({"start_at": utc(2027, 7, 2, 21).astimezone(LONDON)}, False),  # same instant, other zone
        ({"location": "  Soho Square "}, False),
        ({"start_at": utc(2027, 7, 2, 22)}, True),
        ({"end_at": utc(2027, 7, 3, 4)}, True),
        ({"location": "Golden Square"}, True),
        ({"status": EventStatus.CANCELLED}, True),
        ({"status": "CANCELLED"}, True),
        ({"status": "CONFIRMED"}, False),
    ],
)
def test_sequence_bump_rule(change: dict[str, object], bump: bool) -> None:
    after = dataclasses.replace(BEFORE, **change)  # type: ignore[arg-type]
    assert sequence_must_increase(BEFORE, after) is bump
    assert next_sequence(5, BEFORE, after) == (6 if bump else 5)
