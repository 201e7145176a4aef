"""What every patrol page shares: role checks, the redirect after a POST, form parsing that raises
`Invalid` naming the field, and the labels every template gets."""

from __future__ import annotations

from datetime import date, time
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from nte.auth.deps import require_page_roles
from nte.auth.models import Role
from nte.errors import Invalid, NTEError
from nte.patrols import service
from nte.patrols.vocabulary import AGE_BAND_LABELS, HANDOVER_LABELS

router = APIRouter(include_in_schema=False)
_T = TypeVar("_T")

CoordinatorPage = Depends(require_page_roles(Role.coordinator, Role.admin))
ReportPage = Depends(require_page_roles(Role.coordinator, Role.officer, Role.admin))
VolunteerPage = Depends(require_page_roles(Role.volunteer))

MAX_UPLOAD = 1_000_000


def redirect_done(url: str, message: str) -> RedirectResponse:
    sep = "&" if "?" in url else "?"
    return RedirectResponse(f"{url}{sep}done={quote(message)}", status_code=303)


def field_errors(exc: NTEError, default: str) -> dict[str, str]:
    return {(exc.field or default): exc.detail}


def page_context(request: Request, **extra: Any) -> dict[str, Any]:
    done = request.query_params.get("done")
    return {
        "done": done[:200] if done else None,
        "errors": {},
        "form": {},
        "fmt": service.fmt_local,
        "local": service.local,
        "record_labels": service.RECORD_LABELS,
        "status_labels": service.STATUS_LABELS,
        "support_labels": service.SUPPORT_LABELS,
        "gender_labels": service.GENDER_LABELS,
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
