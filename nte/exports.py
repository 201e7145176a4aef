"""Spreadsheet-safe CSV cells for every export (OWASP "CSV injection").

A cell a spreadsheet would evaluate as a formula (starting = + - @, or tab, CR, LF, | or %) gets
a leading apostrophe, so officers opening an export in Excel or LibreOffice never run a formula
that a member of the public typed into a report or a venue's sign-up."""

from __future__ import annotations

from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")


def neutralise(value: Any) -> Any:
    """Text that starts like a formula gets a leading apostrophe; anything else is returned as is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
