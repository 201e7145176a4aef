"""A CSV import: its header says which of the three column sets it holds (police.uk street CSV,
its API variant, NTE Safe's own), and each line becomes a row or a row error."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator

from nte.reports.exceptions import InvalidImport
from nte.reports.importer.lines import LineSource
from nte.reports.importer.rows import Hasher, ParsedRow, RowError, parse_nte, parse_police

POLICE_COLUMNS = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
POLICE_API_COLUMNS = ("Month", "Longitude", "Latitude", "Crime type")
NTE_COLUMNS = ("occurred_at", "lat", "lon")


def detect_format(header: list[str]) -> str:
    names = {h.strip() for h in header}
    if {"Crime ID", "Month", "Longitude", "Latitude", "Crime type"} <= names:
        return "police"
    if set(POLICE_API_COLUMNS) <= names:
        return "police-api"
    if set(NTE_COLUMNS) <= names and ({"main_category"} & names or {"categories"} & names or {"category"} & names):
        return "nte-csv"
    raise InvalidImport(
        "The header does not look like a police.uk street CSV (Crime ID, Month, Longitude, "
        "Latitude, Crime type, ...), its API variant (Month, Longitude, Latitude, Crime type), "
        "or an NTE Safe CSV (occurred_at, lat, lon, main_category).",
        field="file",
    )


def read_csv(
    lines: LineSource, fmt: str, on_error: Callable[[RowError], None], on_format: Callable[[str], None] | None = None
) -> Iterator[ParsedRow]:
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidImport("The file is empty.", field="file") from None
    except csv.Error as exc:
        raise InvalidImport(f"The header line is not valid CSV ({exc}).", field="file") from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    found = detect_format(header)
    if fmt != "auto" and fmt != found:
        raise InvalidImport(f"You chose {fmt!r} but the header looks like {found!r}.", field="format")
    if on_format:
        on_format(found)
    hasher = Hasher()
    width = len(header)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            on_error(RowError(lines.line_no, "bad_row", f"not valid CSV ({exc})"))
            continue
        line = lines.line_no
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != width:
            on_error(RowError(line, "bad_row", f"expected {width} columns, found {len(row)}"))
            continue
        rec = dict(zip(header, row, strict=True))
        if found in ("police", "police-api"):
            parsed = parse_police(rec, line, found, hasher)
        else:
            parsed = parse_nte(rec, line, hasher, lon=rec.get("lon"), lat=rec.get("lat"))
        if isinstance(parsed, RowError):
            on_error(parsed)
        else:
            yield parsed
