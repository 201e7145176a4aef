"""Anonymous reports' rules, one module per section: ``submission`` (the report form and JSON),
``receipts`` (codes and the status a reporter looks up), ``moderation`` (the officers' queue and
retention), ``exports`` (CSV, GeoJSON, map points), ``updates`` ("you said, we did") and
``imports`` (an officer's upload). Never commits; routers, pages and jobs own the transaction.

The names every caller uses are imported here, so ``from nte.reports import service`` is the one
way in."""

from __future__ import annotations

from nte.reports.service.exports import (
    EXPORT_COLUMNS,
    SOURCE_LABELS,
    ExportAudit,
    export_audit,
    export_csv,
    export_geojson,
    map_points,
)
from nte.reports.service.imports import REASONS, import_error_file, import_upload, read_chunks, recent_imports
from nte.reports.service.moderation import (
    NEW_REPORTS,
    ModerationResult,
    QueuePage,
    get_report,
    list_reports,
    moderate,
    moderation_original,
    purge_free_text,
    queue_page,
    report_history,
    report_point,
)
from nte.reports.service.receipts import (
    ReceiptStatus,
    new_receipt_code,
    normalise_receipt,
    receipt_hash,
    status_by_receipt,
)
from nte.reports.service.submission import MAX_DESCRIPTION, PlacedWard, ReportInput, Submitted, submit_report
from nte.reports.service.updates import delete_ward_update, list_ward_updates, post_ward_update
from nte.reports.service.version import DataVersion, data_version

__all__ = [
    "EXPORT_COLUMNS",
    "MAX_DESCRIPTION",
    "NEW_REPORTS",
    "REASONS",
    "SOURCE_LABELS",
    "DataVersion",
    "ExportAudit",
    "ModerationResult",
    "PlacedWard",
    "QueuePage",
    "ReceiptStatus",
    "ReportInput",
    "Submitted",
    "data_version",
    "delete_ward_update",
    "export_audit",
    "export_csv",
    "export_geojson",
    "get_report",
    "import_error_file",
    "import_upload",
    "list_reports",
    "list_ward_updates",
    "map_points",
    "moderate",
    "moderation_original",
    "new_receipt_code",
    "normalise_receipt",
    "post_ward_update",
    "purge_free_text",
    "queue_page",
    "read_chunks",
    "receipt_hash",
    "recent_imports",
    "report_history",
    "report_point",
    "status_by_receipt",
    "submit_report",
]
