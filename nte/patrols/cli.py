"""``python main.py patrols ...``: materialise shifts, list the staffing board, print a monthly report."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from nte.config import get_settings
from nte.db import get_engine, session_factory, utcnow
from nte.errors import NTEError
from nte.patrols import service
from nte.patrols.config import get_patrol_settings

NAME = "patrols"
app = typer.Typer(help="Volunteer patrols.", no_args_is_help=True)
console = Console()


def _factory():
    return session_factory(get_engine(get_settings()))


@app.command("materialise")
def materialise(
    weeks: Annotated[
        int | None,
        typer.Option(min=1, max=104, help="Make nights this many weeks ahead (default: NTE_PATROL_MATERIALISE_WEEKS)"),
    ] = None,
) -> None:
    """Create shifts over the rolling window for every series and bring the nights already made in line
    with their series (idempotent). The window only decides which new nights are made: a run with a
    shorter window than the last one cancels nothing the series still has."""
    settings = get_patrol_settings().model_copy(update={"materialise_weeks": weeks}) if weeks else None
    with _factory().begin() as session:
        changed = service.materialise_all(session, now=utcnow(), settings=settings)
        console.print(f"{changed} shifts added or updated.")


@app.command("board")
def board(days: int = 14) -> None:
    """Upcoming shifts with their staffing state."""
    table = Table("id", "start (London)", "area", "confirmed", "leads", "waitlist", "staffing")
    with _factory().begin() as session:
        for item in service.staffing_board(session, now=utcnow(), days=days):
            table.add_row(
                str(item.shift.id),
                service.fmt_local(item.shift.start_at),
                item.area_name,
                f"{item.confirmed}/{item.shift.min_volunteers}",
                str(item.leads),
                str(item.waitlisted),
                item.label,
            )
    console.print(table)


@app.command("report")
def report(month: Annotated[str | None, typer.Option(help="YYYY-MM (default: this month)")] = None) -> None:
    """Print the monthly report as CSV (cells neutralised against spreadsheet formulas)."""
    try:
        with _factory().begin() as session:
            now = utcnow()
            chosen = service.parse_month(month, now=now)
            typer.echo(service.monthly_csv(service.monthly_report(session, month=chosen, now=now)), nl=False)
    except NTEError as exc:
        typer.echo(f"Error: {exc.detail}", err=True)
        raise typer.Exit(code=2) from None
