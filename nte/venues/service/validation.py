"""What a venue's forms may hold: declared field lists (``nte.web.forms.Field``) in the words each
form has always used, the pieces they are built from, and the few rules that go past one field
(dates that must come in order). The details and the pledges have modules of their own.

Every check reports all the wrong fields at once as ``VenueInvalid``; messages are whole sentences
marked with ``N_`` (pages translate them with ``_(message)``), those with values ``Formatted``."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from nte.i18n import N_
from nte.venues.exceptions import VenueInvalid
from nte.venues.models import SCHEMES, SPOT_CHECK_OUTCOMES, TRAINING_TYPES
from nte.web.forms import Field, collect

STAFF_COUNT_WRONG = N_("Enter the number of people who work at the venue, a whole number from 1 to 10000.")
NEW_STARTERS_MISSING = N_("Say how many people started work at the venue since its last training (0 if none).")
NEW_STARTERS_WRONG = N_("The number of new starters must be a whole number from 0 to 10000.")
FINDINGS_MISSING = "Write what the venue must put right (the venue manager sees your findings)."

PHONE_STRIP_RE = re.compile(r"[\s().-]")


def normalise_phone(value: str) -> str | None:
    """UK numbers: 0xxxxxxxxxx (10-11 digits) or +44 / 0044 followed by 9-10 digits; stored as +44..."""
    compact = PHONE_STRIP_RE.sub("", value or "")
    if compact.startswith("0044"):
        compact = "+44" + compact[4:]
    if compact.startswith("+44"):
        rest = compact[3:]
        if rest.startswith("0"):
            rest = rest[1:]  # +44 (0)20 ...
    elif compact.startswith("0"):
        rest = compact[1:]
    else:
        return None
    if not rest.isdigit() or not 9 <= len(rest) <= 10 or rest[0] not in "123578":
        return None
    return "+44" + rest


def licence_key(value: str) -> str:
    return re.sub(r"[\s./-]", "", value.upper())


def name_key(value: str) -> str:
    return " ".join(value.lower().split())


def parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def as_bool(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "on", "yes")


def cleaned(fields: Sequence[Field], raw: Mapping[str, Any]) -> dict[str, Any]:
    """The fields' values, or ``VenueInvalid`` naming every wrong one."""
    values, errors = collect(fields, raw)
    if errors:
        raise VenueInvalid(errors)
    return values


def in_order(errors: Mapping[str, str], fields: Sequence[Field]) -> dict[str, str]:
    """``errors`` in the order the form shows its fields (a rule checked after the field list still
    reports its field in its place), then any others."""
    names = [f.name for f in fields]
    return {**{n: errors[n] for n in names if n in errors}, **{k: v for k, v in errors.items() if k not in names}}


def raise_if_any(errors: Mapping[str, str]) -> None:
    if errors:
        raise VenueInvalid(dict(errors))


# --- the pieces a field list is built from ----------------------------------------------------------


def _iso_date(value: Any) -> date:
    day = parse_date(value)
    if day is None:
        raise ValueError("not a date")
    return day


def _between(low: int, high: int, message: str) -> Callable[[int], None]:
    def check(value: int) -> None:
        if not low <= value <= high:
            raise ValueError(message)

    return check


def text_field(name: str, max_length: int, missing: str | None, too_long: str, **kw: Any) -> Field:
    return Field(name, required=missing is not None, max_length=max_length, missing=missing, too_long=too_long, **kw)


def whole_number_field(name: str, low: int, high: int, *, missing: str, wrong: str, out_of_range: str) -> Field:
    return Field(
        name, required=True, missing=missing, parse=int, invalid=wrong, check=_between(low, high, out_of_range)
    )


def choice_field(name: str, choices: Sequence[str], message: str) -> Field:
    return Field(name, required=True, choices=choices, missing=message, invalid=message)


def day_field(name: str, message: str, *, required: bool = True) -> Field:
    return Field(name, required=required, parse=_iso_date, missing=message, invalid=message)


# --- the portal's other forms, and the officers' ------------------------------------------------------

TRAINING_FIELDS = (
    choice_field("training_type", TRAINING_TYPES, "Choose the type of training."),
    text_field(
        "provider", 120, "Enter who gave the training.", "Who gave the training must be %(n)s characters or fewer."
    ),
    day_field("training_date", "Enter the date of the training, like 2026-03-31."),
    whole_number_field(
        "staff_trained",
        1,
        10_000,
        missing="Enter the number of staff trained as a whole number.",
        wrong="Enter the number of staff trained as a whole number.",
        out_of_range="The number of staff trained must be between 1 and 10000.",
    ),
)
ACCREDITATION_FIELDS = (
    choice_field("scheme", SCHEMES, "Choose the accreditation scheme."),
    text_field("level", 60, None, "The level must be %(n)s characters or fewer."),
    day_field("valid_from_date", "Enter the date the accreditation starts, like 2026-04-01."),
    day_field("valid_to_date", "Enter the date the accreditation ends, like 2027-03-31."),
)
STAFF_COUNT_FIELDS = (
    whole_number_field(
        "staff_count", 1, 10_000, missing=STAFF_COUNT_WRONG, wrong=STAFF_COUNT_WRONG, out_of_range=STAFF_COUNT_WRONG
    ),
)
NEW_STARTERS_FIELDS = (
    whole_number_field(
        "new_starters",
        0,
        10_000,
        missing=NEW_STARTERS_MISSING,
        wrong=NEW_STARTERS_WRONG,
        out_of_range=NEW_STARTERS_WRONG,
    ),
)
SPOT_CHECK_FIELDS = (
    day_field("check_date", "Enter the date of the spot check, like 2026-03-31."),
    choice_field("outcome", SPOT_CHECK_OUTCOMES, "Choose the outcome of the spot check."),
    text_field("notes", 2000, None, "Notes must be %(n)s characters or fewer."),
)
FAILED_CHECK_FIELDS = (
    text_field("findings", 2000, FINDINGS_MISSING, "Findings must be %(n)s characters or fewer."),
    day_field("due_date", "Enter the date the venue must put it right by, like 2027-01-31.", required=False),
)


def training_date_problem(when: date, *, today: date) -> str | None:
    if when > today:
        return "The training date cannot be in the future."
    if when < today - timedelta(days=10 * 366):
        return "The training date is more than ten years ago."
    return None


def accreditation_dates_problem(start: date, end: date) -> str | None:
    if end < start:
        return "The end date must be on or after the start date."
    if end > start + timedelta(days=5 * 366):
        return "An accreditation lasts five years at most."
    return None
