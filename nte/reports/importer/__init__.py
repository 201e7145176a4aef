"""Bulk import of police.uk street CSV (original and API-derived columns), our own CSV and GeoJSON,
in sections: ``lines`` (decoding a CSV's bytes), ``rows`` (one record as a report row, or the
reason it cannot be one), ``csvfile`` and ``geojson`` (reading each kind of file) and ``store``
(batches, wards, COPY, the import record and its error file). See ``store`` for how a run streams
in constant memory and why a re-run stores nothing twice.

The names callers use are imported here: ``from nte.reports.importer import import_stream``."""

from __future__ import annotations

from nte.reports.importer.csvfile import detect_format, read_csv
from nte.reports.importer.geojson import MAX_FEATURE_CHARS, read_geojson
from nte.reports.importer.lines import ENCODINGS, LineSource, text_encoding
from nte.reports.importer.rows import REASONS, ParsedRow, RowError
from nte.reports.importer.store import BATCH_SIZE, FORMATS, ImportSummary, import_file, import_stream

__all__ = [
    "BATCH_SIZE",
    "ENCODINGS",
    "FORMATS",
    "MAX_FEATURE_CHARS",
    "REASONS",
    "ImportSummary",
    "LineSource",
    "ParsedRow",
    "RowError",
    "detect_format",
    "import_file",
    "import_stream",
    "read_csv",
    "read_geojson",
    "text_encoding",
]
