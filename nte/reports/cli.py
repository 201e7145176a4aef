"""``python main.py reports ...``: import files, purge free text, make a synthetic benchmark file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

NAME = "reports"
app = typer.Typer(help="Anonymous reports and police.uk imports.", no_args_is_help=True)
console = Console()
err = Console(stderr=True, soft_wrap=True)


@app.command("import")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="police.uk CSV (original or API columns), NTE CSV, or GeoJSON (.gz ok)",
        ),
    ],
    file_format: Annotated[str, typer.Option("--format", help="auto, police, police-api, nte-csv or geojson")] = "auto",
    encoding: Annotated[str, typer.Option(help="Text encoding of a CSV file (utf-8, cp1252, ...)")] = "utf-8",
    errors: Annotated[
        Path | None, typer.Option(help="Where to write rejected lines (default: <file>.errors.csv)")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=100, max=100_000, help="Rows per committed batch")] = 5000,
) -> None:
    """Import a file in committed batches. Safe to re-run: rows already stored are skipped."""
    from nte.config import get_settings
    from nte.db import configured_session_factory as _factory
    from nte.db import utcnow
    from nte.errors import NTEError
    from nte.reports.importer import REASONS, import_file

    error_path = errors or file.with_name(file.name + ".errors.csv")
    factory = _factory()
    size = file.stat().st_size
    try:
        with (
            Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=False,
            ) as progress,
            factory() as session,
        ):
            task = progress.add_task(file.name, total=size if not file.name.endswith(".gz") else None)

            def checkpoint() -> None:
                session.commit()

            summary, _ = import_file(
                session,
                path=file,
                settings=get_settings(),
                now=utcnow(),
                file_format=file_format,
                encoding=encoding,
                error_path=error_path,
                batch_size=batch_size,
                checkpoint=checkpoint,
                progress=lambda n: progress.advance(task, n),
            )
    except NTEError as exc:
        err.print(f"[red]Error:[/red] {exc.detail}")
        raise typer.Exit(code=2) from None
    table = Table("", "rows", title=f"Import {summary.import_id}: {file.name} ({summary.file_format})")
    table.add_row("read", str(summary.rows_read))
    table.add_row("added", str(summary.inserted))
    table.add_row("already present", str(summary.already_present))
    for reason, count in sorted(summary.rejected.items()):
        table.add_row(f"rejected: {REASONS[reason]}", str(count))
    console.print(table)
    if summary.rejected_total:
        console.print(f"Rejected lines with reasons: {error_path}")
    else:
        error_path.unlink(missing_ok=True)


@app.command("purge-free-text")
def purge_command() -> None:
    """Delete free text older than NTE_REPORT_RETENTION_DAYS now (the scheduler does this nightly)."""
    from nte.db import configured_session_factory as _factory
    from nte.db import utcnow
    from nte.reports.jobs import purge_free_text

    with _factory().begin() as session:
        count = purge_free_text(session, now=utcnow())
    console.print(f"Free text deleted from {count} report(s).")
