"""Report errors: each names the form/JSON field and says what to do, never echoing report text."""

from __future__ import annotations

from typing import Any

from nte.errors import Conflict, Invalid, NotFound
from nte.reports.vocabulary import N_


class ReportInvalid(Invalid):
    """One or more fields of a report are wrong. ``errors`` maps each field to its message."""

    code = "invalid_report"

    def __init__(self, errors: dict[str, str]) -> None:
        field, detail = next(iter(errors.items()))
        super().__init__(detail, field=field)
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body = super().body()
        body["fields"] = [{"field": f, "detail": d} for f, d in self.errors.items()]
        return body


class ReceiptNotFound(NotFound):
    code = "receipt_not_found"

    def __init__(self) -> None:
        super().__init__(
            N_("We could not find a report with that receipt code. Check the code and try again."), field="receipt"
        )


class ReportNotFound(NotFound):
    code = "report_not_found"

    def __init__(self) -> None:
        super().__init__("There is no such report.", field="id")


class ModerationConflict(Conflict):
    code = "moderation_conflict"


class InvalidImport(Invalid):
    code = "invalid_import"
