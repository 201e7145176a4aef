"""``python main.py places ...``: load postcode points from the open files, look one up.

``import-postcodes FILE --format onspd|codepoint`` reads the ONS Postcode Directory CSV (header row;
``pcds``, ``lat``, ``long``, ``doterm``, optionally ``oseast1m``/``osnrth1m``) or OS Code-Point Open
CSVs (no header; Postcode, Positional_quality_indicator, Eastings, Northings, Country_code,
NHS_regional_HA_code, NHS_HA_code, Admin_county_code, Admin_district_code, Admin_ward_code; British
National Grid). See ``nte.places.formats`` for what each column means and which rows are refused."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from nte.config import get_settings
from nte.db import get_engine, session_factory, utcnow
from nte.places.formats import FORMATS, Format, UnreadableFile

NAME = "places"
app = typer.Typer(help="Places: postcode points (ONSPD, Code-Point Open) for finding a place.", no_args_is_help=True)
console = Console()

IMPORT_HELP = """Import postcode points, streaming the file (ONSPD's 2.6 million rows are never held in memory).

--format onspd: the ONS Postcode Directory CSV, with its header row. Columns read: pcds (postcode),
lat, long (WGS84), doterm (yyyymm the postcode was terminated, empty while live; terminated postcodes
are kept and flagged), and oseast1m/osnrth1m when lat/long are empty.

--format codepoint: OS Code-Point Open CSV files, no header, columns in this order: Postcode,
Positional_quality_indicator, Eastings, Northings, Country_code, NHS_regional_HA_code, NHS_HA_code,
Admin_county_code, Admin_district_code, Admin_ward_code. Eastings/Northings are British National Grid
(EPSG:27700), converted to WGS84. Quality 90 (no coordinates) is refused; 50/60 are stored as approximate.

Re-importing updates the points already stored and never duplicates them. Bad rows are listed with their
line number and reason; they never stop the import. Only postcodes inside the served boroughs' bounding
box plus 2 km are kept, unless --all."""


def _factory():
    return session_factory(get_engine(get_settings()))


def _fail(message: str) -> None:
    console.print(f"[red]Error:[/red] {message}")
    raise typer.Exit(code=2)


@app.command("import-postcodes", help=IMPORT_HELP)
def import_postcodes(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="CSV file(s) to import")],
    fmt: Annotated[str, typer.Option("--format", help="onspd or codepoint")],
    keep_all: Annotated[bool, typer.Option("--all", help="Keep every postcode, not only the served area's")] = False,
) -> None:
    from nte.errors import NTEError
    from nte.places import service

    if fmt not in FORMATS:
        _fail("--format must be onspd or codepoint")
    chosen: Format = "onspd" if fmt == "onspd" else "codepoint"
    totals = Table("file", "rows read", "added", "updated", "outside the area", "terminated", "bad rows")
    failed = False
    for path in files:
        try:
            with _factory().begin() as session, path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
                summary = service.import_postcodes(
                    session, lines=fh, fmt=chosen, settings=get_settings(), now=utcnow(), keep_all=keep_all
                )
        except UnreadableFile as exc:
            console.print(f"[red]{path.name}:[/red] {exc} Nothing was imported from it.")
            failed = True
            continue
        except NTEError as exc:
            _fail(f"{exc.detail} (load the ward boundaries first, or use --all)")
            return
        totals.add_row(
            path.name,
            f"{summary.read:,}",
            f"{summary.inserted:,}",
            f"{summary.updated:,}",
            f"{summary.outside:,}",
            f"{summary.terminated:,}",
            f"{summary.bad:,}",
        )
        if summary.bad_rows:
            bad = Table("line", "why it was skipped", title=f"Bad rows in {path.name}")
            for row in summary.bad_rows:
                bad.add_row(str(row.line), row.reason)
            if summary.bad > len(summary.bad_rows):
                bad.add_row("...", f"and {summary.bad - len(summary.bad_rows):,} more")
            console.print(bad)
    console.print(totals)
    if failed:
        raise typer.Exit(code=1)


@app.command("lookup")
def lookup(postcode: str) -> None:
    """Show the stored point of one postcode."""
    from nte.errors import NTEError
    from nte.places import service

    try:
        with _factory().begin() as session:
            place = service.postcode_place(session, postcode=postcode, settings=get_settings())
    except NTEError as exc:
        _fail(exc.detail)
        return
    console.print(
        f"{place.label}: {place.lat:.6f}, {place.lon:.6f}"
        f"{' (approximate)' if place.approximate else ''}{f', {place.ward_name}' if place.ward_name else ''}"
    )
