"""The two open postcode files NTE Safe reads, streamed row by row (never loaded whole).

**ONS Postcode Directory (ONSPD)**, CSV with a header row (``ONSPD_<MON>_<YEAR>_UK.csv``, about
2.6 million rows, ~1 GB). The columns read, by header name (any order, other columns ignored):

- ``pcds``: the postcode in its one-space form ("SW1A 1AA");
- ``lat``, ``long``: WGS84 latitude and longitude (ONSPD writes 99.999999 / 0.000000 for a postcode
  with no grid reference: refused as "no coordinates");
- ``doterm``: the month the postcode was terminated, ``yyyymm``, or empty while it is live;
- ``oseast1m``, ``osnrth1m`` (optional): British National Grid easting/northing, used only when
  ``lat``/``long`` are empty.

**OS Code-Point Open**, CSV *without* a header (one file per postcode area, ``Data/CSV/sw.csv``...).
The ten columns, in order: Postcode, Positional_quality_indicator, Eastings, Northings,
Country_code, NHS_regional_HA_code, NHS_HA_code, Admin_county_code, Admin_district_code,
Admin_ward_code. Eastings/northings are British National Grid metres (EPSG:27700), converted here to
WGS84 with pyproj. Quality 90 means "no coordinates" (refused); 50 and 60 (estimated, or the
sector's mean) are stored as approximate points. Code-Point Open lists live postcodes only.

A bad row never stops a file: each one is yielded as :class:`BadRow` with its line number and why.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from nte.postcodes import normalise_postcode

Format = Literal["onspd", "codepoint"]
FORMATS: tuple[Format, ...] = ("onspd", "codepoint")
#: The ``source`` stored for each file format.
SOURCE_OF: dict[Format, str] = {"onspd": "onspd", "codepoint": "codepoint-open"}

ONSPD_REQUIRED = ("pcds", "lat", "long")
CODEPOINT_COLUMNS = (
    "Postcode",
    "Positional_quality_indicator",
    "Eastings",
    "Northings",
    "Country_code",
    "NHS_regional_HA_code",
    "NHS_HA_code",
    "Admin_county_code",
    "Admin_district_code",
    "Admin_ward_code",
)
#: Code-Point Open positional quality: 90 = no coordinates; 50/60 = estimated or the sector mean.
CODEPOINT_NO_COORDINATES = 90
CODEPOINT_APPROXIMATE_FROM = 50


@dataclass(frozen=True)
class PostcodeRow:
    """One usable row. Exactly one of (lon, lat) and (easting, northing) is set."""

    line: int
    postcode: str
    lon: float | None
    lat: float | None
    easting: float | None
    northing: float | None
    approximate: bool
    terminated_date: date | None


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


class UnreadableFile(ValueError):
    """The file is not the format asked for (no header, wrong columns): nothing was imported."""


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _termination(text: str) -> date | None | str:
    """``yyyymm`` -> the first day of that month; "" -> None; anything else -> an error sentence."""
    text = (text or "").strip()
    if not text:
        return None
    if len(text) == 6 and text.isdigit() and 1 <= int(text[4:]) <= 12:
        return date(int(text[:4]), int(text[4:]), 1)
    return f"doterm {text!r} is not a yyyymm month"


def _lines(reader: Any) -> Iterator[tuple[int, list[str]] | BadRow]:
    """Each non-blank row with its line number, or a BadRow for a line that is not CSV."""
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield BadRow(reader.line_num, f"not CSV ({exc})")
            continue
        if any(c.strip() for c in cells):
            yield reader.line_num, cells


def _onspd_header(reader: Any) -> list[str]:
    try:
        header = [h.strip().lower().lstrip("\ufeff") for h in next(reader)]
    except StopIteration:
        raise UnreadableFile("The file is empty: an ONSPD file starts with a header row (pcds,...,lat,long).") from None
    except csv.Error as exc:
        raise UnreadableFile(f"The header row is not CSV ({exc}).") from None
    missing = [c for c in ONSPD_REQUIRED if c not in header]
    if missing:
        raise UnreadableFile(
            f"The header row has no {', '.join(missing)} column: is this an ONS Postcode Directory CSV? "
            "(For OS Code-Point Open, use --format codepoint.)"
        )
    return header


def _onspd_row(line: int, row: dict[str, str]) -> PostcodeRow | BadRow:
    def cell(name: str) -> str:
        return row.get(name, "")

    postcode = normalise_postcode(cell("pcds"))
    if postcode is None:
        return BadRow(line, f"pcds {cell('pcds')[:12]!r} is not a UK postcode")
    terminated = _termination(cell("doterm"))
    if isinstance(terminated, str):
        return BadRow(line, terminated)
    lat, lon = _number(cell("lat")), _number(cell("long"))
    if cell("lat") == "" and cell("long") == "":
        east, north = _number(cell("oseast1m")), _number(cell("osnrth1m"))
        if east is None or north is None or (east == 0 and north == 0):
            return BadRow(line, "no coordinates (lat, long and oseast1m, osnrth1m are empty)")
        return PostcodeRow(line, postcode, None, None, east, north, False, terminated)
    if lat is None or lon is None:
        return BadRow(line, f"lat {cell('lat')[:12]!r} / long {cell('long')[:12]!r} are not numbers")
    if lat > 90 or lat < -90 or lon > 180 or lon < -180 or (lat == 99.999999 and lon == 0):
        # ONSPD's marker for a postcode with no grid reference is lat 99.999999, long 0.
        return BadRow(line, "no coordinates (ONSPD marks it lat 99.999999, long 0)")
    return PostcodeRow(line, postcode, lon, lat, None, None, False, terminated)


def read_onspd(lines: Iterable[str]) -> Iterator[PostcodeRow | BadRow]:
    reader = csv.reader(lines)
    header = _onspd_header(reader)
    at = {name: i for i, name in enumerate(header)}
    width = len(header)
    for item in _lines(reader):
        if isinstance(item, BadRow):
            yield item
            continue
        line, cells = item
        if len(cells) < width:
            yield BadRow(line, f"{len(cells)} columns where the header has {width}")
            continue
        yield _onspd_row(line, {name: cells[i].strip() for name, i in at.items()})


def _codepoint_row(line: int, cells: list[str]) -> PostcodeRow | BadRow:
    if len(cells) < 4:
        return BadRow(line, f"{len(cells)} columns; Code-Point Open rows have {len(CODEPOINT_COLUMNS)}")
    postcode = normalise_postcode(cells[0])
    if postcode is None:
        return BadRow(line, f"Postcode {cells[0].strip()[:12]!r} is not a UK postcode")
    quality = _number(cells[1])
    east, north = _number(cells[2]), _number(cells[3])
    if quality is None:
        return BadRow(line, f"Positional_quality_indicator {cells[1].strip()[:6]!r} is not a number")
    if quality >= CODEPOINT_NO_COORDINATES:
        return BadRow(line, "no coordinates (positional quality 90)")
    if east is None or north is None:
        shown = f"Eastings {cells[2].strip()[:10]!r} / Northings {cells[3].strip()[:10]!r}"
        return BadRow(line, f"{shown} are not numbers")
    if not (0 < east < 700_000 and 0 < north < 1_300_000):
        return BadRow(line, "Eastings/Northings are outside Great Britain")
    return PostcodeRow(line, postcode, None, None, east, north, quality >= CODEPOINT_APPROXIMATE_FROM, None)


def read_codepoint(lines: Iterable[str]) -> Iterator[PostcodeRow | BadRow]:
    first = True
    for item in _lines(csv.reader(lines)):
        if isinstance(item, BadRow):
            yield item
            continue
        line, cells = item
        if first:
            first = False
            if cells and cells[0].strip().lstrip("\ufeff").lower() in ("postcode", "pcd", "pcds"):
                raise UnreadableFile(
                    "The file starts with a header row: OS Code-Point Open CSV has none. "
                    "(For the ONS Postcode Directory, use --format onspd.)"
                )
        yield _codepoint_row(line, cells)


def read_rows(lines: Iterable[str], fmt: Format) -> Iterator[PostcodeRow | BadRow]:
    return read_onspd(lines) if fmt == "onspd" else read_codepoint(lines)
