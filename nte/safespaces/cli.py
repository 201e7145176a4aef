"""``python main.py safespaces ...``: import, list and search safe spaces from the command line."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from nte.config import get_settings
from nte.db import get_engine, session_factory, utcnow

NAME = "safespaces"
app = typer.Typer(help="Safe spaces: CSV import, list, nearest open.", no_args_is_help=True)
console = Console()


def _factory():
    return session_factory(get_engine(get_settings()))


def _fail(message: str) -> None:
    console.print(f"[red]Error:[/red] {message}")
    raise typer.Exit(code=2)


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV (our columns or the NHS list)")],
    examples: Annotated[bool, typer.Option(help="Label the rows as example data")] = False,
) -> None:
    """Import safe spaces from CSV as unverified, hours unconfirmed; rows already imported are skipped."""
    from nte.errors import NTEError
    from nte.safespaces import service

    try:
        with _factory().begin() as session:
            result = service.import_csv(
                session,
                text=file.read_text(encoding="utf-8-sig"),
                actor=None,
                settings=get_settings(),
                now=utcnow(),
                is_example=examples,
                label=file.name,
            )
    except NTEError as exc:
        _fail(exc.detail)
    except UnicodeDecodeError:
        _fail(f"{file.name} is not UTF-8 text")
    console.print(f"{result.rows} rows: {result.created} added, {result.already_present} already present.")


@app.command("import-nhs")
def import_nhs() -> None:
    """Load the shipped NHS pharmacies (six boroughs) as unverified examples."""
    from nte.safespaces.demo import load_examples

    with _factory().begin() as session:
        load_examples(session, console)


@app.command("list")
def list_spaces(status: Annotated[str | None, typer.Option(help="unverified, verified, withdrawn")] = None) -> None:  # noqa: UP007
    from nte.errors import NTEError
    from nte.safespaces import service

    table = Table("id", "name", "kind", "status", "hours confirmed", "example")
    try:
        with _factory().begin() as session:
            for space, venue in service.list_spaces(session, status=status):
                table.add_row(
                    str(space.id),
                    service.display_name(space, venue),
                    space.kind,
                    space.status,
                    str(space.hours_confirmed_date or ""),
                    "yes" if space.is_example else "",
                )
    except NTEError as exc:
        _fail(exc.detail)
    console.print(table)


@app.command("nearest")
def nearest(
    lon: Annotated[float, typer.Option(help="WGS84 longitude")],
    lat: Annotated[float, typer.Option(help="WGS84 latitude")],
    at: Annotated[str | None, typer.Option(help="ISO time (London if no offset); default now")] = None,  # noqa: UP007
    open_only: Annotated[bool, typer.Option("--open-only", help="Only spaces open at that time")] = False,
    limit: int = 5,
) -> None:
    """The nearest safe spaces to a point, with distance and opening status."""
    from nte.errors import NTEError
    from nte.safespaces import service

    try:
        when = datetime.fromisoformat(at) if at else None
    except ValueError:
        _fail("--at must be an ISO date-time such as 2026-12-05T02:00")
    table = Table("distance", "name", "status", "phone")
    try:
        with _factory().begin() as session:
            result = service.find_nearest(
                session, lon=lon, lat=lat, at=when, open_only=open_only, limit=limit, now=utcnow()
            )
    except NTEError as exc:
        _fail(exc.detail)
    for s in result.spaces:
        table.add_row(f"{s.distance_m:,.0f} m", s.name, s.status.describe(), s.phone or "")
    console.print(table)
