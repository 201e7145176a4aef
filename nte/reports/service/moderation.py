"""Officers' side of reports: the moderation queue, one report with its history, bulk moderation
(rows locked, a report someone else moved meanwhile skipped, never overwritten), and retention."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth.models import User
from nte.errors import FieldErrors, Invalid
from nte.reports import repository as repo
from nte.reports.exceptions import ModerationConflict, ReportNotFound
from nte.reports.models import REPORT_STATUSES, Report
from nte.reports.repository import ReportFilters

#: The queue an officer opens with no filter chosen: the reports nobody has looked at yet.
NEW_REPORTS = ReportFilters(status="new")
QUEUE_PAGE_SIZE = 50
API_PAGE_LIMIT = 500


@dataclass(frozen=True)
class QueuePage:
    reports: list[Report]
    total: int
    page: int  # 1-based, within 1..pages
    pages: int


def queue_page(session: Session, *, filters: ReportFilters, page: int) -> QueuePage:
    """One page of the moderation queue (newest first); a page past the end is the last page."""
    total = repo.count_reports(session, filters)
    pages = max(1, (total + QUEUE_PAGE_SIZE - 1) // QUEUE_PAGE_SIZE)
    page = min(max(1, page), pages)
    reports = repo.list_reports(session, filters, limit=QUEUE_PAGE_SIZE, offset=(page - 1) * QUEUE_PAGE_SIZE)
    return QueuePage(reports=reports, total=total, page=page, pages=pages)


def list_reports(
    session: Session, *, filters: ReportFilters, limit: int = 50, offset: int = 0
) -> tuple[int, list[Report]]:
    """How many reports match, and ``limit`` of them (1 to 500) from ``offset`` (JSON API)."""
    limit = max(1, min(limit, API_PAGE_LIMIT))
    offset = max(0, offset)
    return repo.count_reports(session, filters), repo.list_reports(session, filters, limit=limit, offset=offset)


def report_point(session: Session, *, report: Report) -> tuple[float, float] | None:
    """The exact point (lon, lat) of a report placed by its point; None for a ward-only report."""
    return repo.point_of(session, report.id) if report.geom is not None else None


NOTHING_TICKED = "Tick at least one report first, then choose what to do with the ticked reports."
NO_ORIGINAL = "Type the number of the original report (the one the ticked reports repeat) to mark them as duplicates."
BAD_ORIGINAL = "The original report's number is a whole number, like 1234."


def moderation_original(ids: Sequence[int], status: str, duplicate_of: str) -> int | None:
    """What the moderation form says before anything is looked up: something ticked, and for a
    duplicate the number of its original (``#1234`` or ``1234``), which is not one of the ticked
    reports. Returns that number (None unless marking duplicates); FieldErrors naming every
    mistake (``ids``, ``duplicate_of``) otherwise."""
    errors: dict[str, str] = {}
    if not ids:
        errors["ids"] = NOTHING_TICKED
    dup = None
    text = duplicate_of.strip().lstrip("#").strip()
    if status == "duplicate":
        if not text:
            errors["duplicate_of"] = NO_ORIGINAL
        elif not text.isdigit() or len(text) > 12:
            errors["duplicate_of"] = BAD_ORIGINAL
        else:
            dup = int(text)
            if dup in ids:
                errors["duplicate_of"] = (
                    f"Report {dup} is one of the ticked reports: the original must be a report you have not ticked."
                )
    if errors:
        raise FieldErrors(errors)
    return dup if status == "duplicate" else None


MODERATION_TARGETS = ("accepted", "spam", "duplicate", "new")


@dataclass
class ModerationResult:
    changed: list[int]
    skipped: list[int]  # changed by someone else meanwhile (expected status no longer true)


def moderate(
    session: Session,
    *,
    ids: Sequence[int],
    status: str,
    actor: User,
    now: datetime,
    expected_status: str | None = None,
    duplicate_of: int | None = None,
) -> ModerationResult:
    """Set the status of several reports at once. Rows are locked first, so two officers acting
    on the same report are serialised; with ``expected_status`` a report someone else moved in
    the meantime is skipped (and reported), never silently overwritten."""
    if status not in MODERATION_TARGETS:
        raise Invalid("Choose accepted, spam or duplicate.", field="status")
    ids = sorted({int(i) for i in ids})
    if not ids:
        raise Invalid("Select at least one report.", field="ids")
    if len(ids) > 500:
        raise Invalid("Moderate at most 500 reports at a time.", field="ids")
    if expected_status is not None and expected_status not in REPORT_STATUSES:
        raise Invalid("Unknown status.", field="expected_status")
    reports = repo.lock_for_moderation(session, ids)
    if len(reports) != len(ids):
        raise ReportNotFound()
    if duplicate_of is not None:
        if repo.get(session, duplicate_of) is None or duplicate_of in ids:
            raise Invalid("The original report must be another existing report.", field="duplicate_of")
    changed, skipped = [], []
    for report in reports:
        if (expected_status is not None and report.status != expected_status) or report.status == status:
            skipped.append(report.id)
            continue
        before = report.status
        report.status = status
        report.moderated_at = now
        if status == "duplicate" and duplicate_of is not None:
            report.duplicate_of_id = duplicate_of
        audit.record(
            session,
            actor=actor,
            action=f"report.{status if status != 'new' else 'reopen'}",
            target_type="report",
            target_id=report.id,
            at=now,
            detail={"from": before, "to": status, **({"duplicate_of": duplicate_of} if duplicate_of else {})},
        )
        changed.append(report.id)
    session.flush()
    if expected_status is not None and not changed and skipped:
        raise ModerationConflict(
            "Another officer has already moderated the selected report(s); reload the queue.", field="ids"
        )
    return ModerationResult(changed=changed, skipped=skipped)


def get_report(session: Session, *, report_id: int) -> Report:
    report = repo.get(session, report_id)
    if report is None:
        raise ReportNotFound()
    return report


def report_history(session: Session, *, report_id: int) -> list[Any]:
    return audit.list_events(session, target_type="report", target_id=report_id)


# --- retention ----------------------------------------------------------------------------------


def purge_free_text(session: Session, *, now: datetime, retention_days: int) -> int:
    """Delete free text older than the retention period; the structured fields stay."""
    return repo.purge_descriptions(session, before=now - timedelta(days=retention_days), now=now)
