"""UK postcodes: one validator for every form and import (venues, safe spaces)."""

from __future__ import annotations

import re

# The Royal Mail / BS 7666 pattern (outward code + inward code), checked without spaces.
POSTCODE_RE = re.compile(
    r"^(GIR0AA|[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9]([0-9]|[ABEHMNPRV-Y])?|[0-9][A-HJKPS-UW])[0-9][ABD-HJLNP-UW-Z]{2})$"
)


def normalise_postcode(value: str) -> str | None:
    """``"sw1a1aa"`` -> ``"SW1A 1AA"``; None when it is not a UK postcode."""
    compact = re.sub(r"\s+", "", (value or "").upper())
    if not POSTCODE_RE.match(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"
