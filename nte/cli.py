"""The ``python main.py`` command line (typer + rich).

Every command group and demo step is imported by name below: what the command line offers is what
this file names (no module is loaded from a string)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from nte.config import get_settings
from nte.db import configured_session_factory, get_engine, utcnow
from nte.logging_config import configure_logging, logging_config
from nte.maps import cli as maps_cli
from nte.patrols import cli as patrols_cli
from nte.patrols import demo as patrols_demo
from nte.places import cli as places_cli
from nte.places import demo as places_demo
from nte.reports import cli as reports_cli
from nte.reports import demo as reports_demo
from nte.safespaces import cli as safespaces_cli
from nte.safespaces import demo as safespaces_demo
from nte.venues import cli as venues_cli
from nte.venues import demo as venues_demo

console = Console()
err = Console(stderr=True, soft_wrap=True)
app = typer.Typer(
    help="NTE Safe: run the service, the scheduler, and look after its data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
users_app = typer.Typer(help="Accounts.", no_args_is_help=True)
tokens_app = typer.Typer(help="API bearer tokens.", no_args_is_help=True)
wards_app = typer.Typer(help="Ward boundary sets.", no_args_is_help=True)
jobs_app = typer.Typer(help="Scheduled jobs.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(wards_app, name="wards")
app.add_typer(jobs_app, name="jobs")
#: Domain command groups (``python main.py venues ...``): each module's ``app`` under its ``NAME``.
app.add_typer(venues_cli.app, name=venues_cli.NAME)
app.add_typer(safespaces_cli.app, name=safespaces_cli.NAME)
app.add_typer(reports_cli.app, name=reports_cli.NAME)
app.add_typer(maps_cli.app, name=maps_cli.NAME)
app.add_typer(patrols_cli.app, name=patrols_cli.NAME)
app.add_typer(places_cli.app, name=places_cli.NAME)

#: Demo steps, in this order, each called with (session, console) in its own transaction after the
#: wards and the demo accounts exist.
DEMO_STEPS: tuple[Callable[[Session, Console], object], ...] = (
    venues_demo.load_examples,
    venues_demo.load_managed_venue,
    safespaces_demo.load_examples,
    reports_demo.load_police_records,
    reports_demo.load_demo_public_reports,
    patrols_demo.load_demo,
    places_demo.load_postcodes,
)


def _factory():
    return configured_session_factory()


def _fail(message: str) -> NoReturn:
    err.print(f"[red]Error:[/red] {message}")
    raise typer.Exit(code=2)


def _refuse_to_start_if_unfit(what: str) -> None:
    """Exit 1 with one line when the settings or the database cannot serve (the service and the
    scheduler refuse alike)."""
    from nte.health import check_database

    problem = "; ".join(get_settings().startup_problems()) or check_database(get_engine(get_settings()))
    if problem:
        typer.echo(f"{what} will not start: {problem}", err=True)
        raise typer.Exit(code=1)


# --- service ------------------------------------------------------------------------------------


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = typer.Option(1, help="Uvicorn worker processes (use the PostGIS database with more than one)"),
    forwarded_allow_ips: str | None = typer.Option(
        None, help="Trust X-Forwarded-For from this reverse proxy (e.g. 127.0.0.1); used only by the rate limiter"
    ),
) -> None:
    """Check the database, then serve NTE Safe."""
    import uvicorn

    configure_logging()
    _refuse_to_start_if_unfit("NTE Safe")
    uvicorn.run(
        "nte.asgi:app",
        host=host,
        port=port,
        workers=workers,
        # Uvicorn applies log_config in every worker process it spawns (basicConfig here would
        # reach none of them): timestamped lines, nte.access on, uvicorn's own access log off.
        access_log=False,
        log_config=logging_config(),
        proxy_headers=bool(forwarded_allow_ips),
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
    )


@app.command()
def scheduler(
    run_due_now: bool = typer.Option(
        False,
        "--run-due-now",
        help="First run every job once for its latest trigger (skipped where that already ran), mail last; "
        "the demo uses it so daily reminders go out at once",
    ),
) -> None:
    """Run the scheduled jobs (run exactly one of these per deployment)."""
    from nte.scheduler import JOBS, build_scheduler, run_due_jobs

    configure_logging()
    # The scheduler mails links built from NTE_BASE_URL: the same start-up refusals as the service.
    _refuse_to_start_if_unfit("The scheduler")
    import signal

    if run_due_now:
        results = run_due_jobs(_factory())
        ran = {job: result for job, result in results.items() if result is not None}
        console.print(
            f"Ran {len(ran)} due jobs now ({len(results) - len(ran)} had already run for their latest trigger): "
            + ", ".join(f"{job} {result}" for job, result in ran.items())
        )
    sched = build_scheduler(_factory())

    def stop(signum: int, _frame: object) -> None:
        # A restart (SIGTERM from systemd) lets the job in progress finish: nothing half-sent.
        sched.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    console.print(f"Scheduler running {len(JOBS)} jobs (Ctrl+C or SIGTERM to stop).")
    try:
        sched.start()
    except (KeyboardInterrupt, SystemExit):
        pass


@app.command("mail-catcher")
def mail_catcher(
    host: Annotated[str | None, typer.Option(help="Loopback address to listen on (default NTE_SMTP_HOST)")] = None,  # noqa: UP007
    port: Annotated[int | None, typer.Option(help="Port (default NTE_SMTP_PORT)")] = None,  # noqa: UP007
    folder: Annotated[Path, typer.Option("--dir", help="Where each caught message is written as .eml")] = Path(
        "var/mail"
    ),
) -> None:
    """A local SMTP server that keeps every message as a file and sends nothing on (demo, development)."""
    import ipaddress
    import signal
    import threading

    from nte.notifications.mailcatcher import CaughtMail, MailCatcher

    settings = get_settings()
    host = host or settings.smtp_host
    port = port or settings.smtp_port
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        _fail(f"--host must be a loopback address (127.0.0.1, ::1 or localhost), not {host!r}")

    def caught(mail: CaughtMail) -> None:
        typer.echo(f"mail to {mail.to}: {mail.subject}  ({mail.path})")  # one line each, flushed

    catcher = MailCatcher(host=host, port=port, folder=folder, on_mail=caught)
    try:
        catcher.start()
    except (OSError, RuntimeError) as exc:
        _fail(f"cannot listen on {host}:{port}: {exc}")
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda _signum, _frame: stopped.set())
    typer.echo(f"Mail catcher on {host}:{port}, writing each message to {folder.resolve()} (Ctrl+C to stop).")
    try:
        stopped.wait()
    finally:
        catcher.stop()


@app.command()
def migrate(revision: str = "heads") -> None:
    """Apply database migrations."""
    from nte.schema import upgrade

    upgrade(get_engine(get_settings()), revision)
    console.print(f"Database migrated to {revision}.")


@app.command()
def demo(with_users: bool = typer.Option(True, help="Create demo accounts (password printed)")) -> None:
    """Migrate, load the shipped wards, demo accounts and every domain's demo data (idempotent)."""
    from nte.auth import repository as auth_repo
    from nte.auth import service as auth_service
    from nte.schema import upgrade
    from nte.wards.shipped import import_shipped_wards

    settings = get_settings()
    upgrade(get_engine(settings))
    factory = _factory()
    with factory.begin() as session:
        loaded = import_shipped_wards(session)
        for result in loaded:
            console.print(
                f"Wards: loaded {result.count} of {result.ward_set.name} (vintage {result.ward_set.vintage}"
                f"{', current' if result.made_current else ', kept as a historic vintage'})."
            )
        if not loaded:
            console.print("Wards: already loaded (May 2022 current, December 2013 kept).")
    if with_users:
        password = "nte-demo-password"  # noqa: S105 - demo only, printed for the user
        with factory.begin() as session:
            for role, email, name in [
                ("admin", "admin@demo.nte-safe.invalid", "Demo Admin"),
                ("officer", "officer@demo.nte-safe.invalid", "Demo Community Safety Officer"),
                ("coordinator", "coordinator@demo.nte-safe.invalid", "Demo Patrol Coordinator"),
                ("volunteer", "volunteer@demo.nte-safe.invalid", "Demo Volunteer"),
                ("venue_manager", "venue@demo.nte-safe.invalid", "Demo Venue Manager"),
            ]:
                if auth_repo.get_user_by_email(session, email) is None:
                    auth_service.create_user(
                        session, email=email, display_name=name, role=role, password=password, confirmed_at=utcnow()
                    )
        console.print(
            f"Demo accounts: admin@, officer@, coordinator@, volunteer@, venue@demo.nte-safe.invalid "
            f"with password [bold]{password}[/bold]"
        )
    for step in DEMO_STEPS:
        with factory.begin() as session:
            step(session, console)
    _assign_everything(factory)  # anything a loader left without a ward in some vintage


# --- users and tokens ---------------------------------------------------------------------------


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="E-mail address (the sign-in name)")],
    role: Annotated[str, typer.Option(help="admin, officer, coordinator, volunteer or venue_manager")],
    name: Annotated[str, typer.Option(help="Display name")],
    password: Annotated[str | None, typer.Option(help="Prompted for when omitted")] = None,  # noqa: UP007
) -> None:
    """Create an account."""
    from nte.auth import service
    from nte.errors import NTEError

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with _factory().begin() as session:
            user = service.create_user(
                session, email=email, display_name=name, role=role, password=password, confirmed_at=utcnow()
            )
            console.print(f"Created {user.role} {user.email} (id {user.id}).")
    except (NTEError, ValueError) as exc:
        _fail(getattr(exc, "detail", str(exc)))


@users_app.command("list")
def users_list() -> None:
    from nte.auth import repository as repo

    table = Table("id", "email", "name", "role", "active")
    with _factory().begin() as session:
        for u in repo.list_users(session):
            table.add_row(str(u.id), u.email, u.display_name, u.role, "yes" if u.is_active else "no")
    console.print(table)


@tokens_app.command("create")
def tokens_create(
    email: Annotated[str, typer.Option(help="Whose token")],
    name: Annotated[str, typer.Option(help="What it is for, e.g. 'partner app'")],
    days: Annotated[int | None, typer.Option(help="Expires after this many days")] = None,  # noqa: UP007
) -> None:
    """Create a bearer token (printed once; only its hash is stored)."""
    from nte.auth import repository as repo
    from nte.auth import service
    from nte.errors import NTEError

    try:
        with _factory().begin() as session:
            user = repo.get_user_by_email(session, email)
            if user is None:
                _fail(f"no account with e-mail {email}")
            created = service.create_api_token(session, user=user, name=name, now=utcnow(), days=days)
            console.print(f"Token {created.record.id} for {user.email}: [bold]{created.token}[/bold]")
            console.print("Store it now: it cannot be shown again.")
    except NTEError as exc:
        _fail(exc.detail)


@tokens_app.command("revoke")
def tokens_revoke(token_id: int) -> None:
    """Revoke a token at once."""
    from nte.auth.models import ApiToken

    with _factory().begin() as session:
        token = session.get(ApiToken, token_id)
        if token is None:
            _fail(f"no token {token_id}")
        token.revoked_at = token.revoked_at or utcnow()
    console.print(f"Token {token_id} revoked.")


# --- wards ----------------------------------------------------------------------------------------


def _assign_everything(session_factory_: Any, *, vintage: str | None = None) -> None:
    """Assign every located record (``nte.located``) that has no ward yet in each vintage (or one),
    batch by batch with a progress bar; each batch is committed, so an interrupted run resumes."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from nte.located import LOCATED
    from nte.wards import repository as ward_repo
    from nte.wards import service as ward_service

    with session_factory_.begin() as session:
        sets = [ward_service.resolve_vintage(session, vintage)] if vintage else ward_service.vintages(session)
        work = [
            (s.id, s.vintage, loc, ward_service.pending(session, ward_set=s, located=loc))
            for s in sets
            for loc in LOCATED
        ]
    table = Table("vintage", "records", "assigned now", "in a ward", "outside these wards")
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    ) as progress:
        for set_id, key, located, todo in work:
            task = progress.add_task(f"{key} {located.label}", total=todo or 1, completed=0 if todo else 1)

            def advance(n: int, task: Any = task) -> None:
                progress.advance(task, n)

            session = session_factory_()
            try:
                ward_set = ward_repo.get_ward_set(session, set_id)
                assert ward_set is not None
                result = ward_service.assign_set(
                    session,
                    ward_set=ward_set,
                    located=located,
                    checkpoint=session.commit,
                    progress=advance,
                )
                session.commit()
            finally:
                session.close()
            with session_factory_.begin() as s2:
                counts = ward_repo.assignment_counts(s2, ward_set_id=set_id).get(located.subject, (0, 0))
            table.add_row(key, located.label, str(result.assigned + result.outside), str(counts[0]), str(counts[1]))
    console.print(table)


@wards_app.command("import")
def wards_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="GeoJSON FeatureCollection")],
    vintage: Annotated[str, typer.Option(help="The vintage's key, e.g. 2022-05 (the month the wards took effect)")],
    name: Annotated[str, typer.Option(help="The vintage's name, e.g. 'May 2022'")],
    attribution: Annotated[
        str, typer.Option(help="Attribution text shown wherever the boundaries are (default: the file's own)")
    ] = "",
    source: Annotated[str, typer.Option(help="Where the file came from")] = "",
    vintage_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD the boundaries took effect")] = None,  # noqa: UP007
    crs: Annotated[
        str | None,  # noqa: UP007
        typer.Option(help="The file's CRS when it does not say, e.g. EPSG:27700 (reprojected to WGS84)"),
    ] = None,
    code_property: Annotated[str | None, typer.Option(help="Ward code property (default: WDnnCD found)")] = None,  # noqa: UP007
    name_property: Annotated[str | None, typer.Option(help="Ward name property (default: WDnnNM)")] = None,  # noqa: UP007
    borough_code_property: Annotated[str | None, typer.Option(help="Default: LADnnCD")] = None,  # noqa: UP007
    borough_name_property: Annotated[str | None, typer.Option(help="Default: LADnnNM")] = None,  # noqa: UP007
    borough_code: Annotated[
        str | None, typer.Option(help="The borough of a one-borough file without a borough property")  # noqa: UP007
    ] = None,
    borough_name: str | None = None,  # noqa: UP007
    borough: Annotated[
        str | None, typer.Option(help="Import only this borough's wards from a larger file")  # noqa: UP007
    ] = None,
    current: Annotated[
        bool | None,  # noqa: UP007
        typer.Option(
            "--current/--no-current",
            help="Make these wards current in their boroughs (default: only where no vintage is current yet)",
        ),
    ] = None,
    assign: bool = typer.Option(True, help="Assign every stored report, venue and safe space to the new wards"),
) -> None:
    """Import a vintage of ward boundaries (one borough or many) from GeoJSON: reprojected, validated
    and repaired or refused, all or nothing; then every stored record is assigned to the new wards."""
    from nte.errors import NTEError
    from nte.wards import geojson
    from nte.wards import service as ward_service

    try:
        when = date.fromisoformat(vintage_date) if vintage_date else None
    except ValueError:
        _fail("--vintage-date must be YYYY-MM-DD")
    factory = _factory()
    try:
        collection = geojson.read_feature_collection(file)
        found = geojson.detect_properties(collection)
        chosen = {
            "code_property": code_property or found["code_property"],
            "name_property": name_property or found["name_property"],
            "borough_code_property": borough_code_property or found["borough_code_property"],
            "borough_name_property": borough_name_property or found["borough_name_property"],
        }
        if not chosen["code_property"] or not chosen["name_property"]:
            _fail("no ward code or name property found: give --code-property and --name-property")
        parsed = geojson.parse_wards(
            collection,
            code_property=str(chosen["code_property"]),
            name_property=str(chosen["name_property"]),
            borough_code_property=chosen["borough_code_property"],
            borough_name_property=chosen["borough_name_property"],
            borough_code=borough_code,
            borough_name=borough_name,
            crs=crs,
        )
        with factory.begin() as session:
            result = ward_service.import_wards(
                session,
                parsed=parsed,
                name=name,
                vintage=vintage,
                vintage_date=when,
                source=source or file.name,
                attribution=attribution,
                borough=borough,
                make_current=current,
            )
            for line in result.notes:
                console.print(f"[yellow]note[/yellow] {line}")
            if parsed.reprojected:
                console.print(f"Reprojected from {parsed.source_crs} to WGS84 longitude/latitude.")
            console.print(
                f"Imported {result.count} wards of {', '.join(result.boroughs)} as vintage "
                f"{result.ward_set.vintage} ({result.ward_set.name!r}); current now in: "
                f"{', '.join(result.made_current) or 'no borough (python main.py wards activate ...)'}."
            )
            key = result.ward_set.vintage
    except NTEError as exc:
        _fail(exc.detail)
    if assign:
        _assign_everything(factory, vintage=key)


@wards_app.command("list")
def wards_list() -> None:
    """Ward vintages: their boroughs, where each is current, and how many records are assigned to them."""
    from nte.wards import service as ward_service

    table = Table("vintage", "name", "boroughs (wards)", "current in", "assigned", "outside", "attribution")
    with _factory().begin() as session:
        for s in ward_service.summaries(session):
            boroughs = ", ".join(f"{code} ({n})" for code, (_name, n) in sorted(s.boroughs.items()))
            inside = sum(a for a, _o in s.assigned.values())
            outside = sum(o for _a, o in s.assigned.values())
            table.add_row(
                s.ward_set.vintage,
                s.ward_set.name,
                boroughs,
                ", ".join(s.current_in) or "-",
                str(inside),
                str(outside),
                s.ward_set.attribution[:40] + "...",
            )
    console.print(table)


@wards_app.command("activate")
def wards_activate(
    vintage: Annotated[str, typer.Option(help="The vintage to make current, e.g. 2022-05")],
    borough: Annotated[
        str | None, typer.Option(help="One borough (LAD code); default every borough the vintage holds")  # noqa: UP007
    ] = None,
) -> None:
    """Make a vintage current in one borough or all it holds (audited). Switch back the same way."""
    from nte.errors import NTEError
    from nte.wards import repository as ward_repo
    from nte.wards import service as ward_service
    from nte.wards.exceptions import BoroughWithoutWards

    factory = _factory()
    try:
        # Refuse an unknown vintage or a borough it does not hold before assigning anything (a refusal
        # is one line, not an assignment table and then the error).
        with factory.begin() as session:
            ward_set = ward_service.resolve_vintage(session, vintage)
            if borough is not None and borough not in ward_repo.boroughs_in_set(session, ward_set.id):
                raise BoroughWithoutWards(borough, ward_set.vintage)
        _assign_everything(factory, vintage=vintage)  # nothing is left without a ward in the new boundaries
        with factory.begin() as session:
            result = ward_service.activate(session, vintage=vintage, borough=borough)
    except NTEError as exc:
        _fail(exc.detail)
    if not result.changed:
        console.print(f"Vintage {result.vintage} was already current there.")
    for b, before in result.changed:
        console.print(f"{b}: now {result.vintage} (was {before or 'none'}).")


@wards_app.command("assign")
def wards_assign(
    vintage: Annotated[str | None, typer.Option(help="Only this vintage (default: all)")] = None,  # noqa: UP007
) -> None:
    """Assign every stored report, venue and safe space without a ward yet in each vintage
    (resumable: run it again after an interruption)."""
    from nte.errors import NTEError

    try:
        _assign_everything(_factory(), vintage=vintage)
    except NTEError as exc:
        _fail(exc.detail)


# --- jobs -----------------------------------------------------------------------------------------


@jobs_app.command("list")
def jobs_list() -> None:
    from nte.scheduler import JOBS

    # A job id is what `jobs run` takes and a schedule is read whole: neither wraps, however narrow
    # the terminal (the description does).
    table = Table()
    table.add_column("id", no_wrap=True)
    table.add_column("schedule", no_wrap=True)
    table.add_column("description")
    for j in JOBS:
        table.add_row(j.id, f"every {j.every_minutes} min" if not j.cron else str(j.cron), j.description)
    console.print(table)


@jobs_app.command("run")
def jobs_run(job_id: str) -> None:
    """Run one job now (once per minute at most: a second run in the same minute is skipped)."""
    from nte.scheduler import run_job

    configure_logging()
    now = utcnow()
    try:
        result = run_job(_factory(), job_id, scheduled_for=now.replace(second=0), now=now)
    except KeyError:
        _fail(f"no job {job_id!r} (see: python main.py jobs list)")
    console.print(f"{job_id}: {'already ran for this minute' if result is None else result}")


def main() -> None:
    app()
