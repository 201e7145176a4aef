"""Spreadsheet-safe CSV for every export (OWASP "CSV injection"), written one way.

A cell a spreadsheet would evaluate as a formula (starting = + - @, or tab, CR, LF, | or %) gets
a leading apostrophe, so officers opening an export in Excel or LibreOffice never run a formula
that a member of the public typed into a report or a venue's sign-up. Services build their CSV
with ``csv_text``; the web edge sends it with ``nte.web.downloads.download``."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")


def neutralise(value: Any) -> Any:
    """Text that starts like a formula gets a leading apostrophe; anything else is returned as is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(header: Sequence[str] | None, rows: Iterable[Sequence[Any]]) -> str:
    """RFC 4180 CSV (CRLF line ends), every cell neutralised; ``None`` is an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if header is not None:
        writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) for v in row])
    return buffer.getvalue()
