"""London wall-clock wording for pages and mails: "Fri 04 Dec 2026 22:00", "21:30 on Fri 4 Dec",
"tonight at 22:00". Times are stored as UTC; the zone is :mod:`nte.london`'s."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from nte.london import to_london


def fmt_local(moment: datetime) -> str:
    return f"{to_london(moment):%a %d %b %Y %H:%M}"


def fmt_when(moment: datetime) -> str:
    """London time in words for a reason: "21:30 on Fri 4 Dec"."""
    at = to_london(moment)
    return f"{at:%H:%M} on {at:%a} {at.day} {at:%b}"


#: A start before this London hour belongs to the night before: 01:00 on Saturday is "Friday night".
NIGHT_ENDS_HOUR = 6


def _night_of(moment: datetime) -> date:
    """The London date of the evening a moment belongs to (before 06:00 it is still last night)."""
    at = to_london(moment)
    return at.date() - timedelta(days=1) if at.hour < NIGHT_ENDS_HOUR else at.date()


def when_words(start: datetime, *, now: datetime) -> str:
    """When a shift starts, as a person reading the mail at ``now`` expects it, in London time.

    "tonight at 22:00" when it starts this night, "tomorrow at 22:00" the next night, otherwise
    "on Friday 4 December at 22:00". A night runs until 06:00: a start in the small hours belongs to
    the evening before, as people count nights ("Friday night" includes 01:00 on Saturday), and so
    does the moment of reading. So a reminder sent at 23:00 (or at 00:30) for a 01:00 start says
    "tonight at 01:00", and the T-24 h reminder sent at 01:00 on Friday for 01:00 on Saturday says
    "tomorrow at 01:00". Mails put the full date beside these words (see :func:`fmt_day`), because
    people read mails later than they are sent.
    """
    at = to_london(start)
    days = (_night_of(start) - _night_of(now)).days
    if days == 0:
        return f"tonight at {at:%H:%M}"
    if days == 1:
        return f"tomorrow at {at:%H:%M}"
    return f"on {at:%A} {at.day} {at:%B} at {at:%H:%M}"


def fmt_day(moment: datetime) -> str:
    """London date and time in full words for mails: "Saturday 5 December 2026, 01:00"."""
    at = to_london(moment)
    return f"{at:%A} {at.day} {at:%B} {at.year}, {at:%H:%M}"
