"""The calendar feed checked property by property against RFC 5545 / RFC 7986, and read back the way
calendar clients read it: by ``icalendar`` and by ``recurring-ical-events``, across the 2027 clock
changes (28 March 01:00 UTC: GMT -> BST; 31 October 01:00 UTC: BST -> GMT)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar

from nte.db import utcnow
from nte.patrols import service as patrols
from nte.patrols.ical import EventStatus, FeedEvent, build_feed
from nte.patrols.recurrence import ShiftSeriesSpec, materialise
from tests.factories import bearer, login, make_shift, make_volunteer

LONDON = ZoneInfo("Europe/London")
GENERATED = datetime(2027, 1, 4, 9, 15, 30, tzinfo=UTC)
SPRING_2027 = datetime(2027, 3, 28, 1, tzinfo=UTC)
AUTUMN_2027 = datetime(2027, 10, 31, 1, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def event(n: int, start_at: datetime, end_at: datetime, **overrides: Any) -> FeedEvent:
    values: dict[str, Any] = {
        "uid": f"patrol-shift-{n}@nte-safe",
        "start_at": start_at,
        "end_at": end_at,
        "summary": "Patrol: Soho",
        "location": "Soho Square",
        "description": "Check in when you arrive.",
        "sequence": n % 3,
        "status": EventStatus.CONFIRMED,
        "last_modified": utc(2026, 12, 1, 8) + timedelta(minutes=n),
        "geo": (51.5154, -0.1322),
        "url": "https://nte-safe.example.gov.uk/volunteer",
    }
    values.update(overrides)
    return FeedEvent(**values)


def saturday_nights_2027() -> list[FeedEvent]:
    """Every Saturday night of 2027, 22:00-04:00 London time, as the series code makes them."""
    spec = ShiftSeriesSpec(
        rrule="FREQ=WEEKLY;BYDAY=SA", start_date=date(2027, 1, 2), start_time=time(22), end_time=time(4)
    )
    nights = materialise(spec, window_start=utc(2027, 1, 1), window_end=utc(2028, 1, 1))
    assert len(nights) == 52, f"{len(nights)} Saturday nights in 2027; there are 52"
    return [event(i, night.start_at, night.end_at) for i, night in enumerate(nights)]


def lines_of(feed: bytes) -> list[bytes]:
    """The unfolded content lines."""
    return feed.replace(b"\r\n ", b"").split(b"\r\n")


def with_private_tzid(feed: bytes) -> bytes:
    """The same feed with its time zone renamed, so that a reader cannot look the name up in its own
    tz database and must use the VTIMEZONE the feed carries."""
    return feed.replace(b"TZID:Europe/London", b"TZID:X-NTE-Test/London").replace(
        b"TZID=Europe/London", b"TZID=X-NTE-Test/London"
    )


# --- RFC 7986 refresh -----------------------------------------------------------------------------


def test_refresh_interval_is_a_duration_of_one_hour_with_the_outlook_equivalent():
    feed = build_feed("x", [event(1, utc(2027, 7, 2, 21), utc(2027, 7, 3, 3))], generated_at=GENERATED)
    calendar_lines = lines_of(feed)[: lines_of(feed).index(b"BEGIN:VTIMEZONE")]
    assert calendar_lines.count(b"REFRESH-INTERVAL;VALUE=DURATION:PT1H") == 1
    assert calendar_lines.count(b"X-PUBLISHED-TTL:PT1H") == 1
    cal = Calendar.from_ical(feed)
    assert cal["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert cal.decoded("REFRESH-INTERVAL") == timedelta(hours=1)


# --- DTSTAMP, LAST-MODIFIED, SEQUENCE -------------------------------------------------------------


def test_dtstamp_is_when_the_feed_was_made_last_modified_when_the_night_changed():
    events = saturday_nights_2027()[:5]
    cal = Calendar.from_ical(build_feed("x", events, generated_at=GENERATED))
    parsed = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert len(parsed) == 5
    for item in events:
        got = parsed[item.uid]
        assert got["DTSTAMP"].to_ical() == b"20270104T091530Z"
        assert got.decoded("LAST-MODIFIED") == item.last_modified
        assert got["LAST-MODIFIED"].to_ical().endswith(b"Z")
        assert int(got["SEQUENCE"]) == item.sequence
    assert len({got.decoded("LAST-MODIFIED") for got in parsed.values()}) == 5


def test_the_served_feed_stamps_now_and_each_night_its_own_change(db, settings):
    now = utcnow().replace(microsecond=0)
    volunteer = make_volunteer(db)
    shifts = [make_shift(db, start_at=now + timedelta(days=d)) for d in (3, 5)]
    signups = {shift.id: patrols.book_shift(db, volunteer=volunteer, shift_id=shift.id, now=now) for shift in shifts}
    token = patrols.issue_feed_token(db, volunteer=volunteer, now=now)
    later = now + timedelta(hours=7, minutes=3)
    body, etag = patrols.feed_for_token(db, token=token, now=later, settings=settings)
    parsed = {str(e["UID"]): e for e in Calendar.from_ical(body).walk("VEVENT")}
    assert set(parsed) == {f"patrol-shift-{s.id}@nte-safe" for s in shifts}
    for shift in shifts:
        got = parsed[f"patrol-shift-{shift.id}@nte-safe"]
        assert got.decoded("DTSTAMP") == later
        changed = max(shift.last_modified_at, signups[shift.id].updated_at)
        assert got.decoded("LAST-MODIFIED") == changed.replace(microsecond=0) < later
        assert int(got["SEQUENCE"]) == shift.sequence
    # Asked again an hour later with nothing changed: a new DTSTAMP, the same (weak) ETag.
    again, etag_again = patrols.feed_for_token(db, token=token, now=later + timedelta(hours=1), settings=settings)
    assert again != body and etag_again == etag and etag.startswith('W/"')


# --- VTIMEZONE ------------------------------------------------------------------------------------


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() - 6) % 7)


def test_vtimezone_observances_start_at_the_local_time_before_each_change():
    cal = Calendar.from_ical(build_feed("x", saturday_nights_2027(), generated_at=GENERATED))
    [vtimezone] = cal.walk("VTIMEZONE")
    assert str(vtimezone["TZID"]) == "Europe/London"
    daylight, standard = vtimezone.walk("DAYLIGHT"), vtimezone.walk("STANDARD")
    assert len(daylight) == 1 and len(standard) == 1
    onsets: dict[str, list[datetime]] = {}
    for kind, observance in (("DAYLIGHT", daylight[0]), ("STANDARD", standard[0])):
        starts = [observance.decoded("DTSTART")]
        for rdate in (
            observance.get("RDATE", []) if isinstance(observance.get("RDATE"), list) else [observance["RDATE"]]
        ):
            starts += [d.dt for d in rdate.dts]
        onsets[kind] = starts
        offset_from, offset_to = observance.decoded("TZOFFSETFROM"), observance.decoded("TZOFFSETTO")
        if kind == "DAYLIGHT":
            assert (offset_from, offset_to, str(observance["TZNAME"])) == (timedelta(0), timedelta(hours=1), "BST")
        else:
            assert (offset_from, offset_to, str(observance["TZNAME"])) == (timedelta(hours=1), timedelta(0), "GMT")
        for start in starts:
            assert start.tzinfo is None  # local time, in TZOFFSETFROM
            assert start.replace(tzinfo=UTC) - offset_from == datetime.combine(start.date(), time(1), UTC)
    years = range(2026, 2029)
    assert set(onsets["DAYLIGHT"]) >= {datetime.combine(_last_sunday(y, 3), time(1)) for y in years}
    assert set(onsets["STANDARD"]) >= {datetime.combine(_last_sunday(y, 10), time(2)) for y in years}
    assert datetime(2027, 3, 28, 1) in onsets["DAYLIGHT"] and datetime(2027, 10, 31, 2) in onsets["STANDARD"]


def test_vtimezone_read_on_its_own_gives_london_offsets_every_half_hour_of_2027():
    feed = with_private_tzid(build_feed("x", saturday_nights_2027(), generated_at=GENERATED))
    [vtimezone] = Calendar.from_ical(feed).walk("VTIMEZONE")
    zone = vtimezone.to_tz(lookup_tzid=False)
    moment, checked = utc(2027, 1, 1), 0
    while moment < utc(2028, 1, 1):
        assert moment.astimezone(zone).utcoffset() == moment.astimezone(LONDON).utcoffset(), moment
        moment += timedelta(minutes=30)
        checked += 1
    assert checked == 365 * 48
    for change in (SPRING_2027, AUTUMN_2027):
        assert (change - timedelta(seconds=1)).astimezone(zone).utcoffset() != change.astimezone(zone).utcoffset()


def test_events_are_written_in_europe_london_except_one_with_an_ambiguous_instant():
    second_0130 = utc(2027, 10, 31, 1, 30)  # 01:30 GMT: the second 01:30 that night
    events = [*saturday_nights_2027(), event(99, utc(2027, 10, 30, 21), second_0130)]
    feed = build_feed("x", events, generated_at=GENERATED)
    times = [line for line in lines_of(feed) if line.startswith((b"DTSTART", b"DTEND")) and b"VALUE" not in line]
    in_events = [line for line in times if not re.fullmatch(rb"DTSTART:\d{8}T\d{6}", line)]  # not VTIMEZONE's
    assert len(in_events) == 2 * len(events)
    assert [
        line
        for line in in_events
        if not line.startswith((b"DTSTART;TZID=Europe/London:", b"DTEND;TZID=Europe/London:"))
    ] == [b"DTSTART:20271030T210000Z", b"DTEND:20271031T013000Z"]


# --- GEO ------------------------------------------------------------------------------------------


def test_geo_is_latitude_then_longitude_with_six_decimals():
    cases = {
        (51.5, -0.13): b"GEO:51.500000;-0.130000",
        (51.51543219, -0.13221987): b"GEO:51.515432;-0.132220",
        (51.4613, 0.0095): b"GEO:51.461300;0.009500",
    }
    events = [
        event(i, utc(2027, 7, 2 + i, 21), utc(2027, 7, 3 + i, 3), geo=geo) for i, geo in enumerate(cases, start=1)
    ]
    feed = build_feed("x", events, generated_at=GENERATED)
    geo_lines = [line for line in lines_of(feed) if line.startswith(b"GEO")]
    assert geo_lines == list(cases.values())
    assert all(re.fullmatch(rb"GEO:-?\d{1,2}\.\d{6};-?\d{1,3}\.\d{6}", line) for line in geo_lines)
    parsed = Calendar.from_ical(feed).walk("VEVENT")
    assert [(round(e["GEO"].latitude, 6), round(e["GEO"].longitude, 6)) for e in parsed] == [
        (round(a, 6), round(b, 6)) for a, b in cases
    ]


# --- lines: CRLF, 75 octets, UTF-8 ----------------------------------------------------------------


def test_lines_are_crlf_folded_at_75_octets_and_utf8_without_splitting_a_character():
    summary = "Patrol: Śródmieście – شارع سوهو – Soho Meydanı – সোহো স্কোয়ার – Peña 🌙 " * 3
    feed = build_feed(
        "Patrol shifts – Zoë Łukasiewicz",
        [event(1, utc(2027, 7, 2, 21), utc(2027, 7, 3, 3), summary=summary)],
        generated_at=GENERATED,
    )
    assert feed.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in feed.replace(b"\r\n", b"") and b"\r" not in feed.replace(b"\r\n", b"")
    physical = feed.split(b"\r\n")[:-1]
    assert max(len(line) for line in physical) <= 75
    assert sum(1 for line in physical if line.startswith(b" ")) >= 3, "the long summary must have been folded"
    for line in physical:
        line.decode("utf-8")  # each physical line is whole characters: folding never splits one
    parsed = Calendar.from_ical(feed)
    assert str(parsed.walk("VEVENT")[0]["SUMMARY"]) == summary
    assert str(parsed["X-WR-CALNAME"]) == "Patrol shifts – Zoë Łukasiewicz"


# --- read back by recurring-ical-events across the clock changes ----------------------------------


def test_recurring_ical_events_reads_every_2027_night_at_its_utc_instants():
    events = saturday_nights_2027()
    expected = {e.uid: (e.start_at, e.end_at) for e in events}
    for feed in (
        build_feed("x", events, generated_at=GENERATED),
        with_private_tzid(build_feed("x", events, generated_at=GENERATED)),  # only the VTIMEZONE to go by
    ):
        got = recurring_ical_events.of(Calendar.from_ical(feed)).between(date(2027, 1, 1), date(2028, 1, 2))
        read = {str(e["UID"]): (e.decoded("DTSTART").astimezone(UTC), e.decoded("DTEND").astimezone(UTC)) for e in got}
        assert len(read) == 52
        assert read == expected
    # The two nights with a clock change: 22:00 to 04:00 London time, 5 and 7 hours long.
    by_start = {start.date(): (start, end) for start, end in expected.values()}
    assert by_start[date(2027, 3, 27)] == (utc(2027, 3, 27, 22), utc(2027, 3, 28, 3))
    assert by_start[date(2027, 10, 30)] == (utc(2027, 10, 30, 21), utc(2027, 10, 31, 4))


def test_recurring_ical_events_reads_instants_inside_the_changes():
    events = [
        event(1, utc(2027, 3, 27, 23, 30), utc(2027, 3, 28, 1, 30)),  # ends 02:30 BST, just after the skip
        event(2, utc(2027, 10, 30, 23, 30), utc(2027, 10, 31, 0, 30)),  # ends the first 01:30 (BST)
        event(3, utc(2027, 10, 30, 23, 30), utc(2027, 10, 31, 1, 30)),  # ends the second 01:30 (GMT)
    ]
    feed = with_private_tzid(build_feed("x", events, generated_at=GENERATED))
    got = recurring_ical_events.of(Calendar.from_ical(feed)).between(date(2027, 3, 1), date(2027, 12, 1))
    read = {str(e["UID"]): (e.decoded("DTSTART").astimezone(UTC), e.decoded("DTEND").astimezone(UTC)) for e in got}
    assert read == {e.uid: (e.start_at, e.end_at) for e in events}


# --- URLs come from the configured public base URL, not the Host header ---------------------------


def test_feed_address_and_links_use_the_configured_base_url_whatever_the_host_header(client, db, settings):
    now = utcnow().replace(microsecond=0)
    volunteer = make_volunteer(db)
    shift = make_shift(db, start_at=now + timedelta(days=4))
    patrols.book_shift(db, volunteer=volunteer, shift_id=shift.id, now=now)
    forged = {"host": "attacker.example"}
    url = client.post(
        "/api/patrols/me/feed", headers={**bearer(db, patrols.volunteer_user(db, volunteer)), **forged}
    ).json()["url"]
    assert url.startswith(f"{settings.base_url}/api/patrols/feed/cal_") and url.endswith(".ics")
    r = client.get(url[len(settings.base_url) :], headers=forged)
    assert r.status_code == 200 and r.headers["content-type"] == "text/calendar; charset=utf-8"
    links = [line for line in lines_of(r.content) if b"attacker" in line or line.startswith(b"URL")]
    assert links == [f"URL:{settings.base_url}/volunteer".encode()]
    # The address shown on the volunteer's page too.
    login(client, db, patrols.volunteer_user(db, volunteer))
    page = client.get("/volunteer", headers=forged)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    shown = client.post("/volunteer/feed", data={"csrf_token": csrf}, headers=forged)
    assert shown.status_code == 200 and "attacker.example" not in shown.text
    [address] = re.findall(r'<code id="feed-url">([^<]+)</code>', shown.text)
    assert address.startswith(f"{settings.base_url}/api/patrols/feed/cal_")


def test_if_none_match_compares_the_weak_etag_weakly(client, db):
    now = utcnow().replace(microsecond=0)
    volunteer = make_volunteer(db)
    patrols.book_shift(db, volunteer=volunteer, shift_id=make_shift(db, start_at=now + timedelta(days=4)).id, now=now)
    path = f"/api/patrols/feed/{patrols.issue_feed_token(db, volunteer=volunteer, now=now)}.ics"
    etag = client.get(path).headers["etag"]
    assert re.fullmatch(r'W/"[0-9a-f]{32}"', etag)
    for sent in (etag, etag.removeprefix("W/"), f'"other", {etag}'):
        r = client.get(path, headers={"If-None-Match": sent})
        assert r.status_code == 304 and r.headers["etag"] == etag and r.content == b""
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
