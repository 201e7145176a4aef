"""Opening status of a stored schedule: parse once (cached), evaluate at a moment, say it as JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from nte.london import to_london
from nte.safespaces.hours import DEFAULT_STALE_AFTER_DAYS, OpenStatus, Schedule, status_at

STALE_AFTER_DAYS = DEFAULT_STALE_AFTER_DAYS
"""Hours not confirmed within this many days are never shown as open."""


@lru_cache(maxsize=16384)
def schedule_from_text(text: str | None) -> Schedule | None:
    """A Schedule from stored JSON text (None for no hours), cached: thousands of spaces share a
    few hundred distinct schedules, and parsing costs far more than evaluating."""
    if text is None:
        return None
    data = json.loads(text)
    return None if data is None else Schedule.from_json(data)


def schedule_of(hours: Mapping[str, Any] | None) -> Schedule | None:
    if hours is None:
        return None
    return schedule_from_text(json.dumps(hours, sort_keys=True, separators=(",", ":")))


def status_of(
    schedule: Schedule | None, at: datetime, confirmed: date | None, stale_after_days: int = STALE_AFTER_DAYS
) -> OpenStatus:
    if schedule is None:
        return OpenStatus(at=at.astimezone(UTC), is_open=False, unsure_reason="opening hours not known")
    return status_at(schedule, at, hours_confirmed_date=confirmed, stale_after_days=stale_after_days)


def _local_hhmm(moment: datetime | None) -> str | None:
    return None if moment is None else to_london(moment).strftime("%H:%M")


def status_json(status: OpenStatus) -> dict[str, Any]:
    return {
        "is_open": status.is_open,
        "summary": status.describe(),
        "open_until": status.open_until.isoformat() if status.open_until else None,
        "open_until_local": _local_hhmm(status.open_until),
        "opens_at": status.opens_at.isoformat() if status.opens_at else None,
        "opens_at_local": _local_hhmm(status.opens_at),
        "closed_reason": status.unsure_reason,
    }
