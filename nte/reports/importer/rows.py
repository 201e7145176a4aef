"""One record of an import file as a report row: police.uk columns or NTE Safe's own, from a CSV
line or a GeoJSON feature's properties. A record that cannot be used is a ``RowError`` with its
line (or feature number), a reason (a key of ``REASONS``) and what was wrong."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any

from nte.london import LONDON
from nte.privacy import scrub
from nte.reports.vocabulary import CATEGORIES, FACTORS, police_slug

REASONS = {
    "no_coordinates": "no coordinates",
    "outside_area": "outside the service area",
    "bad_row": "bad row",
    "encoding": "encoding",
}


@dataclass
class ParsedRow:
    line: int
    external_id: str
    source: str
    occurred_at: datetime
    time_precision: str
    lon: float
    lat: float
    categories: list[str]
    factors: str | None = None
    description: str | None = None


@dataclass
class RowError:
    line: int
    reason: str  # a key of REASONS
    detail: str


class Hasher:
    """Content-hash ids with an occurrence number among identical rows of the same file. Memory is
    one small int per distinct hashed row (rows with a Crime ID cost nothing)."""

    def __init__(self) -> None:
        self.seen: dict[int, int] = {}

    def __call__(self, prefix: str, content: str) -> str:
        digest = hashlib.sha256(content.encode()).digest()
        key = int.from_bytes(digest[:8], "big")
        n = self.seen.get(key, 0)
        self.seen[key] = n + 1
        if n == 0:
            return f"{prefix}:{digest[:20].hex()}"
        return f"{prefix}:{hashlib.sha256(digest + n.to_bytes(4, 'big')).digest()[:20].hex()}"


@lru_cache(maxsize=4096)
def _month_start(text: str) -> datetime:
    parsed = datetime.strptime(text.strip(), "%Y-%m")
    return datetime(parsed.year, parsed.month, 1, tzinfo=LONDON).astimezone(UTC)


def _coords(lon_text: str, lat_text: str) -> tuple[float, float] | RowError | None:
    lon_text, lat_text = (lon_text or "").strip(), (lat_text or "").strip()
    if not lon_text or not lat_text:
        return None
    try:
        lon, lat = float(lon_text), float(lat_text)
    except ValueError:
        return RowError(0, "bad_row", "Longitude/Latitude are not numbers")
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        return RowError(0, "bad_row", "Longitude/Latitude are out of range")
    return lon, lat


def parse_police(rec: dict[str, str], line: int, fmt: str, hasher: Hasher) -> ParsedRow | RowError:
    try:
        occurred = _month_start(rec.get("Month") or "")
    except ValueError:
        return RowError(line, "bad_row", "Month must be YYYY-MM")
    crime_type = (rec.get("Crime type") or "").strip()
    if not crime_type:
        return RowError(line, "bad_row", "Crime type is empty")
    coords = _coords(rec.get("Longitude", ""), rec.get("Latitude", ""))
    if coords is None:
        return RowError(line, "no_coordinates", "Longitude/Latitude are empty")
    if isinstance(coords, RowError):
        coords.line = line
        return coords
    crime_id = (rec.get("Crime ID") or "").strip()
    if crime_id:
        external = "police:" + crime_id[:70]
    else:
        content = "\x1f".join(f"{k}={(v or '').strip()}" for k, v in sorted(rec.items()) if k)
        external = hasher("police-sha", content)
    return ParsedRow(line, external, "police", occurred, "month", coords[0], coords[1], [police_slug(crime_type)])


def _parse_occurred(value: str) -> tuple[datetime, str]:
    text = (value or "").strip()
    if len(text) == 7:
        return _month_start(text), "month"
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time(0), LONDON).astimezone(UTC), "approximate"
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LONDON)
    return parsed.astimezone(UTC), "exact"


def _nte_categories(rec: dict[str, Any]) -> list[str] | str:
    raw = rec.get("categories") or rec.get("main_category") or rec.get("category") or ""
    values = raw if isinstance(raw, list) else [c.strip() for c in str(raw).replace(",", ";").split(";")]
    main = str(rec.get("main_category") or "").strip()
    cats = [c for c in ([main] if main else []) + [str(v).strip() for v in values] if c]
    out: list[str] = []
    for c in cats:
        if c not in CATEGORIES and not c.startswith("police:"):
            return f"unknown category {c[:40]!r}"
        if c not in out:
            out.append(c[:40])
    return out or "no category"


def parse_nte(rec: dict[str, Any], line: int, hasher: Hasher, *, lon: Any, lat: Any) -> ParsedRow | RowError:
    try:
        occurred, precision = _parse_occurred(str(rec.get("occurred_at") or rec.get("month") or ""))
    except ValueError:
        return RowError(line, "bad_row", "occurred_at must be an ISO 8601 date-time, a date or YYYY-MM")
    if rec.get("time_precision") in ("exact", "approximate", "month"):
        precision = str(rec["time_precision"])
    coords = _coords(str(lon if lon is not None else ""), str(lat if lat is not None else ""))
    if coords is None:
        return RowError(line, "no_coordinates", "lat/lon are empty")
    if isinstance(coords, RowError):
        coords.line = line
        return coords
    cats = _nte_categories(rec)
    if isinstance(cats, str):
        return RowError(line, "bad_row", cats)
    factors = [f.strip() for f in str(rec.get("factors") or "").replace(";", ",").split(",") if f.strip()]
    if any(f not in FACTORS for f in factors):
        return RowError(line, "bad_row", "unknown environmental factor")
    description = str(rec.get("description") or "").replace("\x00", "").strip()[:2000] or None
    external = str(rec.get("external_id") or "").strip()[:70]
    if external:
        external = "ext:" + external
    else:
        content = (
            json.dumps({k: rec.get(k) for k in sorted(rec) if k not in ("id", "status")}, sort_keys=True, default=str)
            + f"|{lon}|{lat}"
        )
        external = hasher("sha", content)
    return ParsedRow(
        line,
        external,
        "police" if cats[0].startswith("police:") else "import",
        occurred,
        precision,
        coords[0],
        coords[1],
        cats,
        ",".join(factors) or None,
        scrub(description) if description else None,
    )
