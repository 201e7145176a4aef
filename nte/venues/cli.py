"""``python main.py venues ...``: the charter register from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from nte.config import get_settings
from nte.db import get_engine, session_factory, utcnow

NAME = "venues"
app = typer.Typer(help="Charter venues: list, export, example data.", no_args_is_help=True)
console = Console()


def _factory():
    return session_factory(get_engine(get_settings()))


@app.command("list")
def list_venues(
    status: Annotated[str | None, typer.Option(help="submitted, verified, rejected, lapsed, withdrawn")] = None,  # noqa: UP007
    examples: bool = False,
) -> None:
    """Venues in the register (examples left out unless --examples)."""
    from nte.venues import repository as repo

    table = Table("id", "name", "type", "status", "postcode", "ward", "renewal")
    with _factory().begin() as session:
        for v in repo.list_venues(session, statuses=[status] if status else None, include_examples=examples):
            table.add_row(
                str(v.id),
                v.name,
                v.venue_type,
                v.status + (" (example)" if v.is_example else ""),
                v.postcode,
                v.ward_code,
                str(v.renewal_date or ""),
            )
    console.print(table)


@app.command("export")
def export(
    output: Annotated[Path, typer.Argument(help="File to write (.csv or .geojson)")],
    ward: str | None = None,  # noqa: UP007
    status: str | None = None,  # noqa: UP007
    scheme: str | None = None,  # noqa: UP007
    examples: bool = False,
) -> None:
    """Export the register as CSV (spreadsheet-safe) or GeoJSON, filtered by ward, status and scheme."""
    import json

    from nte.errors import NTEError
    from nte.venues import service

    try:
        with _factory().begin() as session:
            rows = service.register(
                session,
                ward=ward,
                status=status,
                scheme=scheme,
                include_examples=examples,
                settings=get_settings(),
                now=utcnow(),
            )
    except NTEError as exc:
        console.print(f"[red]Error:[/red] {exc.detail}")
        raise typer.Exit(code=2) from None
    if output.suffix.lower() == ".geojson":
        output.write_text(json.dumps(service.register_geojson(rows), ensure_ascii=False), encoding="utf-8")
    else:
        output.write_text(service.register_csv(rows), encoding="utf-8", newline="")
    console.print(f"Wrote {len(rows)} venues to {output}.")


@app.command("load-examples")
def load_examples() -> None:
    """Load the 1,246 example venues (unverified, labelled; idempotent)."""
    from nte.venues.demo import load_examples as load

    with _factory().begin() as session:
        load(session, console)
