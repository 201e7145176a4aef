"""``python main.py places import-postcodes``: the summary table names each bad row; a re-run adds nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "main.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_import_postcodes_command_reports_rows_and_is_idempotent(tmp_path):
    env = {**os.environ, "NTE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}", "COLUMNS": "200"}
    assert _run(env, "migrate").returncode == 0
    first = _run(env, "places", "import-postcodes", str(HERE / "onspd-sample.csv"), "--format", "onspd", "--all")
    assert first.returncode == 0, first.stdout + first.stderr
    out = first.stdout
    assert "Bad rows in onspd-sample.csv" in out
    for line, reason in [("9", "not a UK postcode"), ("11", "no coordinates"), ("12", "doterm"), ("13", "columns")]:
        assert any(row.split("│")[1].strip() == line and reason in row for row in out.splitlines() if "│" in row), (
            line,
            out,
        )
    totals = next(row for row in out.splitlines() if row.strip("│ ").startswith("onspd-sample.csv"))
    assert [c.strip() for c in totals.split("│")[2:8]] == ["8", "8", "0", "0", "1", "5"]
    again = _run(env, "places", "import-postcodes", str(HERE / "onspd-sample.csv"), "--format", "onspd", "--all")
    totals = next(row for row in again.stdout.splitlines() if row.strip("│ ").startswith("onspd-sample.csv"))
    assert [c.strip() for c in totals.split("│")[2:5]] == ["8", "0", "8"]
    wrong = _run(env, "places", "import-postcodes", str(HERE / "onspd-sample.csv"), "--format", "codepoint", "--all")
    assert wrong.returncode == 1 and "header row" in wrong.stdout
    looked = _run(env, "places", "lookup", "sw1a2aa")
    assert "SW1A 2AA: 51.503396, -0.127640" in looked.stdout, looked.stdout + looked.stderr
