"""``python main.py maps ...``: render a ward map or export ward statistics for a borough and period,
publish the public maps, check stored ward assignments."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from nte.config import get_settings
from nte.db import get_engine, session_factory, utcnow

NAME = "maps"
app = typer.Typer(help="Ward maps, statistics exports and hotspots.", no_args_is_help=True)
console = Console()
err = Console(stderr=True, soft_wrap=True)

Borough = Annotated[str | None, typer.Option(help="Borough (LAD) code, e.g. E09000033; default all served")]  # noqa: UP007
Period = Annotated[str | None, typer.Option(help="month-2026-10, quarter-2026-Q3 or year-2025")]  # noqa: UP007
From = Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD (instead of --period)")]  # noqa: UP007
To = Annotated[str | None, typer.Option("--to", help="Last day, inclusive")]  # noqa: UP007
Hours = Annotated[str | None, typer.Option(help="London hour band, e.g. 18-06")]  # noqa: UP007
Vintage = Annotated[
    str | None,  # noqa: UP007
    typer.Option(help="Ward boundary vintage, e.g. 2013-12 (python main.py wards list); default: current"),
]


def _factory():
    return session_factory(get_engine(get_settings()))


def period_range(period: str) -> tuple[date, date]:
    """The first and last day of ``month-YYYY-MM``, ``quarter-YYYY-Qn`` or ``year-YYYY``."""
    from nte.maps.filters import add_months

    if m := re.fullmatch(r"month-(\d{4})-(\d{2})", period):
        first = date(int(m[1]), int(m[2]), 1)
        return first, add_months(first, 1) - timedelta(days=1)
    if m := re.fullmatch(r"quarter-(\d{4})-Q([1-4])", period):
        first = date(int(m[1]), (int(m[2]) - 1) * 3 + 1, 1)
        return first, add_months(first, 3) - timedelta(days=1)
    if m := re.fullmatch(r"year-(\d{4})", period):
        return date(int(m[1]), 1, 1), date(int(m[1]), 12, 31)
    raise ValueError(period)


def _filter(
    borough: str | None,
    period: str | None,
    date_from: str | None,
    date_to: str | None,
    hours: str | None,
    vintage: str | None = None,
):
    from nte.errors import NTEError
    from nte.maps.filters import parse_filter
    from nte.wards import service as ward_service

    if period:
        try:
            first, last = period_range(period)
        except (ValueError, IndexError):
            err.print("[red]Error:[/red] --period must look like month-2026-10, quarter-2026-Q3 or year-2025")
            raise typer.Exit(code=2) from None
        date_from, date_to = first.isoformat(), last.isoformat()
    try:
        with _factory().begin() as session:
            known = [s.vintage for s in ward_service.vintages(session)]
        return parse_filter(
            now=utcnow(),
            date_from=date_from,
            date_to=date_to,
            hours=hours,
            borough=borough,
            boroughs=get_settings().boroughs,
            vintage=vintage,
            vintages=known,
        )
    except NTEError as exc:
        err.print(f"[red]Error:[/red] {exc.detail}")
        raise typer.Exit(code=2) from None


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


@app.command("render")
def render_map(
    out: Annotated[Path, typer.Option(help="HTML file to write")],
    borough: Borough = None,
    period: Period = None,
    date_from: From = None,
    date_to: To = None,
    hours: Hours = None,
    cell_size: Annotated[float | None, typer.Option(help="Hotspot cell size (m)")] = None,  # noqa: UP007
    vintage: Vintage = None,
) -> None:
    """Render the officer ward map (choropleth + Gi* hotspots) as a standalone HTML file."""
    from nte.errors import NTEError
    from nte.maps import render as renderer
    from nte.maps import statistics as stats_service

    settings = get_settings()
    flt = _filter(borough, period, date_from, date_to, hours, vintage)
    steps = ["Counting reports by ward", "Computing Gi* hotspots", "Rendering HTML", "Writing file"]
    with _progress() as progress, _factory().begin() as session:
        task = progress.add_task("Starting", total=len(steps))

        def on_step(name: str) -> None:
            progress.update(task, description=name, completed=steps.index(name))

        try:
            size = stats_service.validate_cell_size(cell_size)
            bundle = stats_service.build_officer_map(
                session, flt=flt, settings=settings, cell_size=size, on_step=on_step
            )
        except NTEError as exc:
            err.print(f"[red]Error:[/red] {exc.detail}")
            raise typer.Exit(code=2) from None
        on_step("Rendering HTML")
        tile_url = None if settings.tile_url == "none" else settings.tile_url
        html = renderer.standalone_html(
            bundle,
            title=f"NTE Safe ward map: {flt.describe()}",
            tile_url=tile_url,
            tile_attribution=settings.tile_attribution,
        )
        on_step("Writing file")
        out.write_text(html, encoding="utf-8")
        progress.update(task, description="Done", completed=len(steps))
    console.print(
        f"Wrote {out} ({out.stat().st_size / 1e6:.2f} MB): {bundle['total']} reports; "
        f"{'; '.join(bundle['notes']) or 'no notes'}"
    )


@app.command("export")
def export_stats(
    out: Annotated[Path, typer.Option(help="File to write")],
    fmt: Annotated[str, typer.Option("--format", help="csv, geojson (wards) or hotspots (cells GeoJSON)")] = "csv",
    borough: Borough = None,
    period: Period = None,
    date_from: From = None,
    date_to: To = None,
    hours: Hours = None,
    vintage: Vintage = None,
) -> None:
    """Export ward statistics (CSV or GeoJSON) or hotspot cells (GeoJSON) for a borough and period."""
    import json

    from nte.errors import NTEError
    from nte.maps import statistics as stats_service

    if fmt not in ("csv", "geojson", "hotspots"):
        err.print("[red]Error:[/red] --format must be csv, geojson or hotspots")
        raise typer.Exit(code=2)
    settings = get_settings()
    flt = _filter(borough, period, date_from, date_to, hours, vintage)
    with _progress() as progress, _factory().begin() as session:
        task = progress.add_task("Aggregating", total=2)
        try:
            if fmt == "hotspots":
                body = json.dumps(
                    stats_service.hotspot_geojson(stats_service.hotspots(session, flt=flt, settings=settings))
                )
            else:
                stats = stats_service.ward_statistics(session, flt=flt, settings=settings)
                body = (
                    stats_service.stats_csv(stats)
                    if fmt == "csv"
                    else json.dumps(stats_service.stats_geojson(session, stats, settings=settings))
                )
        except NTEError as exc:
            err.print(f"[red]Error:[/red] {exc.detail}")
            raise typer.Exit(code=2) from None
        progress.update(task, description="Writing", completed=1)
        out.write_text(body, encoding="utf-8", newline="")
        progress.update(task, description="Done", completed=2)
    console.print(f"Wrote {out} ({flt.describe()}).")


@app.command("rebuild-public")
def rebuild_public(force: Annotated[bool, typer.Option(help="Recompute periods already published")] = False) -> None:
    """Publish the public ward maps of every offered period not yet published."""
    from nte.maps.public import rebuild_public as rebuild

    with _factory().begin() as session:
        built = rebuild(session, settings=get_settings(), now=utcnow(), force=force)
    console.print(f"Published {built} period(s).")


@app.command("check-wards")
def check_wards(limit: int = 100, vintage: Vintage = None) -> None:
    """List reports whose assigned ward (current boundaries, or --vintage) does not contain their point."""
    from nte.errors import NTEError
    from nte.maps.statistics import ward_assignment_mismatches

    try:
        with _factory().begin() as session:
            rows = ward_assignment_mismatches(session, settings=get_settings(), limit=limit, vintage=vintage)
    except NTEError as exc:
        err.print(f"[red]Error:[/red] {exc.detail}")
        raise typer.Exit(code=2) from None
    if not rows:
        console.print("Every report's assigned ward contains its point.")
        return
    table = Table("report id", "assigned ward", "ward by geometry")
    for report_id, stored, found in rows:
        table.add_row(str(report_id), stored, found or "outside the served wards")
    console.print(table)
    raise typer.Exit(code=1)
