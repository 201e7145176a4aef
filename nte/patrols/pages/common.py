"""What every patrol page shares: the success message after a POST (signed, from the fixed table in
``patrols.messages``), form parsing that raises `Invalid` naming the field, and the labels every
template gets. Who may see a page is declared with the role dependencies of ``nte.auth.deps``."""

from __future__ import annotations

from datetime import date, time
from typing import Any, TypeVar

from fastapi import Request

from nte.errors import Invalid
from nte.london import to_london
from nte.patrols.messages import FLASH
from nte.patrols.service.clock import fmt_local
from nte.patrols.vocabulary import (
    AGE_BAND_LABELS,
    GENDER_LABELS,
    HANDOVER_LABELS,
    RECORD_LABELS,
    STATUS_LABELS,
    SUPPORT_LABELS,
)

_T = TypeVar("_T")

MAX_UPLOAD = 1_000_000


def page_context(request: Request, **extra: Any) -> dict[str, Any]:
    return {
        "done": FLASH.message(request),
        "errors": {},
        "form": {},
        "fmt": fmt_local,
        "local": to_london,
        "record_labels": RECORD_LABELS,
        "status_labels": STATUS_LABELS,
        "support_labels": SUPPORT_LABELS,
        "gender_labels": GENDER_LABELS,
        "handover_labels": HANDOVER_LABELS,
        "age_band_labels": AGE_BAND_LABELS,
        **extra,
    }


def parse_date(value: str, field: str, *, required: bool = True) -> date | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise Invalid("Enter a date.", field=field)
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid("Enter a date as YYYY-MM-DD.", field=field) from None


def parse_time(value: str, field: str, *, required: bool = True) -> time | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise Invalid("Enter a time.", field=field)
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise Invalid("Enter a time as HH:MM, for example 22:00.", field=field) from None


def required(value: _T | None) -> _T:
    assert value is not None  # the parser raised Invalid for a missing required value
    return value


def parse_int(value: str, field: str) -> int:
    try:
        return int((value or "").strip())
    except ValueError:
        raise Invalid("Enter a whole number.", field=field) from None


def ordered_errors(errors: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    """The errors in the order the fields appear on the page (the error summary reads top down)."""
    order = {name: i for i, name in enumerate(fields)}
    return dict(sorted(errors.items(), key=lambda item: order.get(item[0], len(order))))
