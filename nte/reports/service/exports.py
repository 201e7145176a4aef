"""What officers take out: the filtered reports as CSV or GeoJSON (streamed, each chunk read in a
short read-only session of its own) and the exact points for their map (never public). The web
edge sends an export through ``nte.web.downloads.download``, which audits it with ``export_audit``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from nte.db import ReadSessions
from nte.exports import csv_text
from nte.reports import repository as repo
from nte.reports.models import Report
from nte.reports.repository import ReportFilters
from nte.reports.vocabulary import category_label
from nte.spatial.coords import round_coord, rounded_point

EXPORT_COLUMNS = (
    "id",
    "status",
    "source",
    "occurred_at",
    "time_precision",
    "time_band",
    "received_hour",
    "location_precision",
    "lat",
    "lon",
    "easting",
    "northing",
    "ward_code",
    "borough_code",
    "main_category",
    "categories",
    "factors",
    "description",
    "age_band",
    "gender",
    "flagged_near_duplicate",
    "duplicate_of_id",
    "external_id",
)
#: Rows written per streamed CSV chunk.
CSV_CHUNK_ROWS = 500

#: Whose record each point is, on the officers' map: the two sources the maps keep apart.
SOURCE_LABELS = {
    "public": "public report",
    "import": "public report (partner form)",
    "police": "police-recorded crime (police.uk)",
}


@dataclass(frozen=True)
class ExportAudit:
    """What the audit log keeps of an export: the filter, as one line (``target_id``) and as fields."""

    target_id: str
    detail: dict[str, Any]


def export_audit(filters: ReportFilters) -> ExportAudit:
    """``status=new&ward=E05000649`` (or ``all`` without a filter) and ``{"filters": {...}}``."""
    query = filters.as_query()
    return ExportAudit(target_id=urlencode(query) or "all", detail={"filters": query})


def _cell(value: Any) -> Any:
    """A CSV cell before ``csv_text`` neutralises it: booleans as ``true``/``false``, moments in UTC
    (ISO 8601); numbers stay numbers (never taken for formulas), other values as text."""
    if value is None or isinstance(value, (int, float, str)) and not isinstance(value, bool):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return str(value)


def _export_row(report: Report, x: float | None, y: float | None) -> dict[str, Any]:
    return {
        "id": report.id,
        "status": report.status,
        "source": report.source,
        "occurred_at": report.occurred_at,
        "time_precision": report.time_precision,
        "time_band": report.time_band,
        "received_hour": report.received_hour,
        "location_precision": report.location_precision,
        "lat": round_coord(y) if y is not None else None,
        "lon": round_coord(x) if x is not None else None,
        "easting": report.easting,
        "northing": report.northing,
        "ward_code": report.ward_code,
        "borough_code": report.borough_code,
        "main_category": report.main_category,
        "categories": ";".join(sorted(c.category for c in report.categories)),
        "factors": report.factors,
        "description": report.description,
        "age_band": report.age_band,
        "gender": report.gender,
        "flagged_near_duplicate": report.flagged_near_duplicate,
        "duplicate_of_id": report.duplicate_of_id,
        "external_id": report.external_id,
    }


def export_csv(sessions: ReadSessions, *, filters: ReportFilters) -> Iterator[str]:
    """The filtered reports as CSV (``nte.exports.csv_text``: every cell neutralised), produced
    while it is sent: each chunk is read in a short read-only session of its own (``sessions``),
    never in the request's, which has ended by then."""
    yield csv_text(EXPORT_COLUMNS, ())
    rows: list[list[Any]] = []
    for report, x, y in repo.iter_reports(sessions, filters):
        row = _export_row(report, x, y)
        rows.append([_cell(row[c]) for c in EXPORT_COLUMNS])
        if len(rows) >= CSV_CHUNK_ROWS:
            yield csv_text(None, rows)
            rows = []
    if rows:
        yield csv_text(None, rows)


def export_geojson(sessions: ReadSessions, *, filters: ReportFilters) -> Iterator[str]:
    """The filtered reports as GeoJSON, streamed like ``export_csv``."""
    yield '{"type": "FeatureCollection", "features": ['
    first = True
    for report, x, y in repo.iter_reports(sessions, filters):
        props = _export_row(report, x, y)
        props = {k: (v.astimezone(UTC).isoformat() if isinstance(v, datetime) else v) for k, v in props.items()}
        geometry = {"type": "Point", "coordinates": [props["lon"], props["lat"]]} if x is not None else None
        feature = {"type": "Feature", "id": report.id, "geometry": geometry, "properties": props}
        yield ("" if first else ",") + json.dumps(feature, ensure_ascii=False)
        first = False
    yield "]}"


def map_points(session: Session, *, filters: ReportFilters, limit: int = 5000) -> dict[str, Any]:
    """Exact points for the officers' map (never public)."""
    features = [
        {
            "type": "Feature",
            "id": rid,
            "geometry": {"type": "Point", "coordinates": rounded_point(x, y)},
            "properties": {
                "id": rid,
                "status": status,
                "source": source,
                "source_label": SOURCE_LABELS.get(source, source),
                "category": category_label(cat),
                "occurred_at": occurred.astimezone(UTC).isoformat(),
            },
        }
        for rid, status, source, cat, occurred, x, y in repo.points(session, filters, limit=limit)
    ]
    return {"type": "FeatureCollection", "features": features}
