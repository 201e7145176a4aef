"""Report errors: each names the form/JSON field and says what to do, never echoing report text."""

from __future__ import annotations

from nte.errors import Conflict, FieldErrors, Invalid, NotFound
from nte.reports.vocabulary import N_


class ReportInvalid(FieldErrors):
    """One or more fields of a report (or a ward update) are wrong: ``errors`` maps each field to
    its message, and the JSON body lists them all in ``fields``."""

    code = "invalid_report"


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
