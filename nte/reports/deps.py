"""Request-level helpers for the report routes (the JSON API and the officers' pages): rate
limits, filters, and the export download both send.

The rate limiters live on the application (``app.state``), in memory only."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from typing import Annotated, Literal

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from nte.auth.models import User
from nte.db import read_sessions_for
from nte.errors import Invalid
from nte.reports.models import REPORT_SOURCES, REPORT_STATUSES
from nte.reports.repository import ReportFilters
from nte.reports.service import export_audit, export_csv, export_geojson
from nte.web.downloads import download
from nte.web.ratelimit import RateLimiter, client_address

LIMITS = {
    "submit": (10, 600),  # reports per client address per 10 minutes (NTE_REPORTS_SUBMIT_LIMIT)
    "receipt": (30, 600),  # receipt look-ups (guessing codes) per 10 minutes (NTE_REPORTS_RECEIPT_LIMIT)
}


def limiter(request: Request, name: str) -> RateLimiter:
    state = request.app.state
    if not hasattr(state, "report_limiters"):
        state.report_limiters = {}
    limiters: dict[str, RateLimiter] = state.report_limiters
    if name not in limiters:
        limit, window = LIMITS[name]
        limit = int(os.environ.get(f"NTE_REPORTS_{name.upper()}_LIMIT", limit))
        limiters[name] = RateLimiter(limit=limit, window_seconds=window)
    return limiters[name]


def submission_budget(request: Request) -> Callable[[], None]:
    """What ``submit_report`` calls once a report is valid, before it is stored: counts it against
    the client address's limit (RateLimited past it). A form with mistakes is not counted, so
    people correcting a report on a shared Wi-Fi never lock each other out."""
    submits = limiter(request, "submit")
    client = client_address(request)
    return lambda: submits.hit(client, what="report")


def limit_receipts(request: Request) -> None:
    limiter(request, "receipt").hit(client_address(request), what="receipt look-up")


SubmitBudget = Annotated[Callable[[], None], Depends(submission_budget)]
ReceiptLimited = Depends(limit_receipts)


def _date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid("Enter the date as year-month-day.", field=name) from None


def report_filters(
    ward: Annotated[str | None, Query(max_length=20)] = None,
    status: Annotated[str | None, Query(max_length=12)] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
    source: Annotated[str | None, Query(max_length=10)] = None,
    date_from: Annotated[str | None, Query(max_length=10)] = None,
    date_to: Annotated[str | None, Query(max_length=10)] = None,
    flagged: Annotated[str | None, Query(max_length=5)] = None,
) -> ReportFilters:
    if status and status not in REPORT_STATUSES:
        raise Invalid("Unknown status.", field="status")
    if source and source not in REPORT_SOURCES:
        raise Invalid("Unknown source.", field="source")
    start, end = _date(date_from, "date_from"), _date(date_to, "date_to")
    if start and end and end < start:
        raise Invalid("The end date is before the start date.", field="date_to")
    return ReportFilters(
        ward=ward or None,
        status=status or None,
        category=category or None,
        source=source or None,
        date_from=start,
        date_to=end,
        flagged={"true": True, "false": False}.get((flagged or "").lower()),
    )


Filters = Annotated[ReportFilters, Depends(report_filters)]


def export_download(
    request: Request, session: Session, user: User, filters: ReportFilters, *, kind: Literal["csv", "geojson"]
) -> Response:
    """The filtered reports as a streamed download (read in short sessions of their own while it is
    sent), with its audit event (``reports.export``, the filter) in the request's transaction."""
    produce = export_csv if kind == "csv" else export_geojson
    audit = export_audit(filters)
    return download(
        session,
        actor=user,
        kind=kind,
        content=produce(read_sessions_for(request), filters=filters),
        filename=f"reports.{kind}",
        action="reports.export",
        target_type="reports",
        target_id=audit.target_id,
        detail=audit.detail,
    )
