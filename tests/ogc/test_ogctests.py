"""ogctests (the OGC API - Features test suite on PyPI) against a live /ogc, on both databases.

ogctests pins httpx<0.28 and pytest<9, so it lives in its own locked venv, .venv-ogctests
(requirements/ogctests.lock, made by scripts/bootstrap.sh test), and runs as its own process with
its command line: ``python -m ogctests features/core features/filtering -i <root>/ogc``. Its CLI
always exits 0, so the verdict is read from the JUnit XML its pytest writes (asked for through
PYTEST_ADDOPTS). Each of its tests is one test here, so a failure names the abstract test.

Where ogctests itself is wrong (read in its 0.1.15 source), that one test is xfailed by name with
the reason next to it; strict, so a fixed ogctests turns the xfail into a failure to remove it."""

from __future__ import annotations

import os
import subprocess
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from nte.config import PROJECT_ROOT
from tests.ogc.live import OgcServer, assert_public_collections_have_features, ogc_server  # noqa: F401

pytestmark = pytest.mark.slow

OGCTESTS_PYTHON = PROJECT_ROOT / ".venv-ogctests" / "bin" / "python"
SCOPES = ("features/core", "features/filtering")
#: How long the whole ogctests run may take: only a hung server reaches it.
RUN_TIMEOUT_S = 900

#: Every test the two scopes hold in ogctests 0.1.15, by the conformance class it checks. A run
#: that reports fewer (a collection error, a crash) fails here rather than passing on less.
CLASSES: dict[str, tuple[str, ...]] = {
    "features-1 core": (
        "test_ast1",
        *(f"test_ast{n}" for n in range(3, 30)),
    ),
    "features-2 crs": ("test_ast2",),
    "features-3 queryables": ("test_ct1", "test_ct2", "test_ct3"),
    "features-3 queryables-query-parameters": ("test_ct4", "test_ct5"),
    "features-3 filter": ("test_ct6", "test_ct7", "test_ct8", "test_ct9", "test_ct10"),
}

#: ogctests 0.1.15's own bugs (features/filtering/*.py), each checked by reading its code.
OGCTESTS_BUGS: dict[str, str] = {}


@dataclass
class Case:
    name: str
    file: str
    outcome: str  # passed, failed, error, skipped
    message: str
    seconds: float


def _run_ogctests(server: OgcServer, tmp: Path) -> tuple[dict[str, Case], str, float]:
    if not OGCTESTS_PYTHON.exists():
        pytest.fail(f"{OGCTESTS_PYTHON} is missing: run scripts/bootstrap.sh test (it builds the ogctests venv)")
    package = subprocess.run(
        [str(OGCTESTS_PYTHON), "-c", "import importlib.util as u; print(u.find_spec('ogctests').submodule_search_locations[0])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    junit = tmp / "ogctests.xml"
    # Its pytest must not take this project's pytest settings (pyproject.toml is an ancestor of
    # .venv-ogctests): an empty ini of its own, rooted at the ogctests package.
    ini = tmp / "pytest.ini"
    ini.write_text("[pytest]\n")
    env = {
        **os.environ,
        "PYTEST_ADDOPTS": f"-c {ini} --rootdir={package} -p no:cacheprovider --junitxml={junit}",
        "HOME": str(tmp),  # anything it writes under ~ stays in the test's folder
    }
    env.pop("PYTEST_XDIST_WORKER", None)
    started = time.perf_counter()
    done = subprocess.run(
        [str(OGCTESTS_PYTHON), "-m", "ogctests", *SCOPES, "-i", server.ogc, "-v", "True"],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    seconds = time.perf_counter() - started
    output = done.stdout + done.stderr
    assert junit.exists(), f"ogctests wrote no JUnit report (exit {done.returncode}):\n{output[-4000:]}"
    cases: dict[str, Case] = {}
    for testcase in ET.parse(junit).getroot().iter("testcase"):
        outcome, message = "passed", ""
        for kind in ("failure", "error", "skipped"):
            found = testcase.find(kind)
            if found is not None:
                outcome = {"failure": "failed"}.get(kind, kind)
                message = (found.get("message") or "") + "\n" + (found.text or "")
                break
        name = testcase.get("name", "")
        assert name not in cases or outcome == "error", f"ogctests ran {name} twice"
        if name in cases and cases[name].outcome != "passed":
            continue
        cases[name] = Case(name, testcase.get("classname", ""), outcome, message.strip(), float(testcase.get("time", 0)))
    return cases, output, seconds


@pytest.fixture(scope="module")
def ogctests_run(ogc_server: OgcServer, tmp_path_factory) -> dict[str, Case]:  # noqa: F811
    matched = assert_public_collections_have_features(ogc_server)
    cases, output, seconds = _run_ogctests(ogc_server, tmp_path_factory.mktemp(f"ogctests-{ogc_server.backend}"))
    print(f"\nogctests on {ogc_server.backend}: {len(cases)} tests in {seconds:.1f} s; collections {matched}")
    for cls, names in CLASSES.items():
        by = {o: [n for n in names if n in cases and cases[n].outcome == o] for o in ("passed", "failed", "error", "skipped")}
        print(f"  {cls}: " + "; ".join(f"{o} {', '.join(n.removeprefix('test_') for n in v)}" for o, v in by.items() if v))
    cases["__output__"] = Case("__output__", "", "", output, seconds)
    return cases


def test_ogctests_ran_every_test_of_both_scopes(ogctests_run: dict[str, Case]) -> None:
    ran = {name for name in ogctests_run if name != "__output__"}
    expected = {name for names in CLASSES.values() for name in names}
    assert ran, "ogctests ran no test:\n" + ogctests_run["__output__"].message[-4000:]
    assert ran == expected, f"ran but not expected: {sorted(ran - expected)}; expected but not run: {sorted(expected - ran)}"


def _cases() -> list:
    out = []
    for cls, names in CLASSES.items():
        for name in names:
            marks = [pytest.mark.xfail(reason=OGCTESTS_BUGS[name], strict=True)] if name in OGCTESTS_BUGS else []
            out.append(pytest.param(name, id=f"{cls}:{name.removeprefix('test_')}", marks=marks))
    return out


@pytest.mark.parametrize("name", _cases())
def test_ogctests(ogctests_run: dict[str, Case], name: str) -> None:
    case = ogctests_run.get(name)
    assert case is not None, f"ogctests did not run {name}"
    assert case.outcome == "passed", f"{case.file}::{name} {case.outcome}:\n{case.message[-3000:]}"
