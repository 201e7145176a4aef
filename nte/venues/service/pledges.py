"""The charter's seven pledges as a venue states them: met (and how), or not yet (with a target date
within two years; a date already stored may stay once it has passed)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from nte.i18n import N_, Formatted
from nte.venues.models import VenuePledge
from nte.venues.service.validation import parse_date
from nte.venues.vocabulary import PLEDGES

HOW_MAX = 500


@dataclass
class CleanPledge:
    number: int
    met: bool
    how_met: str | None
    target_date: date | None


def _target_problem(target_raw: str, *, today: date, old: VenuePledge | None) -> str | None:
    target = parse_date(target_raw) if target_raw else None
    if not target_raw:
        return N_("Pledge %(number)s: give the date by which you will meet it.")
    if target is None:
        return N_("Pledge %(number)s: the target date must be a date like 2027-03-31.")
    if target < today and not (old and old.target_date == target):
        return N_("Pledge %(number)s: the target date must be today or later.")
    if target > today + timedelta(days=2 * 366):
        return N_("Pledge %(number)s: the target date must be within two years.")
    return None


def _clean_pledge(
    raw: Mapping[str, Any], number: int, *, today: date, errors: dict[str, str], old: VenuePledge | None
) -> CleanPledge | None:
    status = str(raw.get(f"pledge_{number}_status") or "").strip()
    how_value = raw.get(f"pledge_{number}_how")
    how = "" if how_value is None else str(how_value).strip()
    if len(how) > HOW_MAX:
        errors[f"pledge_{number}_how"] = Formatted(
            N_("How you meet pledge %(number)s must be %(n)s characters or fewer."), n=HOW_MAX, number=number
        )
    if status not in ("met", "not_yet"):
        errors[f"pledge_{number}_status"] = Formatted(
            N_("Pledge %(number)s: say how you meet it, or choose 'not yet'."), number=number
        )
        return None
    if status == "met":
        if not how and f"pledge_{number}_how" not in errors:
            errors[f"pledge_{number}_how"] = Formatted(
                N_("Pledge %(number)s: say briefly how the venue meets it."), number=number
            )
        return CleanPledge(number, True, how or None, None)
    target_raw = str(raw.get(f"pledge_{number}_target") or "").strip()
    problem = _target_problem(target_raw, today=today, old=old)
    if problem is not None:
        errors[f"pledge_{number}_target"] = Formatted(problem, number=number)
    return CleanPledge(number, False, how or None, parse_date(target_raw) if target_raw else None)


def clean_pledges(
    raw: Mapping[str, Any],
    *,
    today: date,
    errors: dict[str, str],
    existing: Mapping[int, VenuePledge] | None = None,
) -> list[CleanPledge]:
    """The seven pledges: met (and how), or not yet (with a target date within two years; a date
    already stored may stay even once it has passed). Problems go in ``errors``."""
    out = []
    for number in range(1, len(PLEDGES) + 1):
        pledge = _clean_pledge(raw, number, today=today, errors=errors, old=existing.get(number) if existing else None)
        if pledge is not None:
            out.append(pledge)
    return out
