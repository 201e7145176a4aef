"""Text checks every part of the patrol service shares."""

from __future__ import annotations

from nte.errors import Invalid


def clean_text(value: str | None, *, limit: int, field: str, label: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > limit:
        raise Invalid(f"{label} must be at most {limit} characters.", field=field)
    return value or None
