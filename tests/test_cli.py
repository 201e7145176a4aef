"""The command line's wiring, as ``nte/cli.py`` names it: every command group, and the demo steps in
their order (each imported by name, none loaded from a string)."""

from __future__ import annotations

from typer.testing import CliRunner

from nte import cli
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

GROUPS = ["users", "tokens", "wards", "jobs", "venues", "safespaces", "reports", "maps", "patrols", "places"]


def test_every_command_group_is_registered_once_under_its_name():
    registered = [group.name for group in cli.app.registered_groups]
    assert registered == GROUPS
    by_name = {group.name: group.typer_instance for group in cli.app.registered_groups}
    for module in (venues_cli, safespaces_cli, reports_cli, maps_cli, patrols_cli, places_cli):
        assert by_name[module.NAME] is module.app, module.NAME


def test_the_help_lists_every_command_and_group():
    result = CliRunner().invoke(cli.app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name in [*GROUPS, "serve", "scheduler", "mail-catcher", "migrate", "demo"]:
        assert name in result.output, name


def test_the_demo_steps_run_in_this_order():
    assert cli.DEMO_STEPS == (
        venues_demo.load_examples,
        venues_demo.load_managed_venue,
        safespaces_demo.load_examples,
        reports_demo.load_police_records,
        reports_demo.load_demo_public_reports,
        patrols_demo.load_demo,
        places_demo.load_postcodes,
    )
