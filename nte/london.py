"""London time, once: the zone every person-facing date and hour is judged in.

Everything is stored as timezone-aware UTC; what a person reads (a shift "Fri 04 Dec 22:00", "today",
an hour band on the map) is London wall-clock time. Import these names, never build another
``ZoneInfo("Europe/London")``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def to_london(moment: datetime) -> datetime:
    """``moment`` (aware) as London wall-clock time."""
    return moment.astimezone(LONDON)


def london_today(now: datetime) -> date:
    """The calendar date in London at ``now`` (what a person there calls "today")."""
    return now.astimezone(LONDON).date()


def london_moment(day: date, at: time) -> datetime:
    """The UTC instant of London wall-clock ``at`` on ``day`` (the zone's rule for the gap and the
    repeated hour, fold=0)."""
    return datetime.combine(day, at, tzinfo=LONDON).astimezone(UTC)
