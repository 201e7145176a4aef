"""ogctests (the OGC API - Features test suite on PyPI) against a live /ogc, on both databases.

ogctests pins httpx<0.28 and pytest<9, so it lives in its own locked venv, .venv-ogctests
(requirements/ogctests.lock, made by scripts/bootstrap.sh test), and runs as its own process with
its command line: ``python -m ogctests features/core features/filtering -i <root>/ogc``. Its CLI
always exits 0, so the verdict is read from the JUnit XML its pytest writes (asked for through
PYTEST_ADDOPTS). Each of its tests is one test here, so a failure names the abstract test.

Where ogctests itself is wrong (read in its 0.1.15 source), that one test is xfailed by name with
the reason next to it; strict, so a fixed ogctests turns the xfail into a failure to remove it."""

from __future__ import annotations

import json
import os
import subprocess
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import shapely
from shapely.geometry import shape

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

#: ogctests 0.1.15's own bugs (features/filtering/*.py), each read in its code. The filtering tests
#: share one list of resources that ct2 and ct3 fill in (queryables URI, a sample queryable, the
#: spatial queryable, additionalProperties), so once ct3 cannot pass every later test fails with a
#: KeyError. What each one means to check is checked below against the same live server
#: (test_what_ct2_checks ... test_what_ct10_checks).
OGCTESTS_BUGS: dict[str, str] = {
    "test_ct2": (
        "ogctests bug: test_queryables.py:67 compares the Link header's rel with its quotes still on "
        "(utils.parse_link_header keeps them; only self/alternate are stripped), and a URI rel must be "
        "quoted (RFC 8288 token rule); our header has it (test_what_ct2_checks)"
    ),
    "test_ct3": (
        "ogctests bug: needs the URI ct2 stores, and could not use it: utils.py:16 keeps a link's href "
        "under 'iri' (so ct2 stores [None]) and test_queryables.py:104 passes that list as the URL "
        "(test_what_ct3_checks)"
    ),
    "test_ct5": (
        "ogctests bug: reads resource['queryable'], which only ct3 sets (test_queryables.py:135) (test_what_ct5_checks)"
    ),
    "test_ct7": (
        "ogctests bug: reads resource['queryable'] (set by ct3 only), and test_filter.py:105 sends its "
        "filter_langs entry, a dict, as filter-lang, which a correct server refuses (test_what_ct7_checks)"
    ),
    "test_ct8": (
        "ogctests bug: reads resource['queryable'] (set by ct3 only) and then indexes that name as a dict, "
        "queryable['key'] (test_filter.py:154) (test_what_ct8_checks)"
    ),
    "test_ct9": (
        "ogctests bug: reads resource['additional_properties'] (set by ct3 only, test_filter.py:188), and "
        "keeps the resources where it is true, the opposite of its abstract test (test_what_ct9_checks)"
    ),
    "test_ct10": (
        "ogctests bug: reads resource['spatial_queryable'] (set by ct3 only), then names CQL2_FILTER_LANG, "
        "defined nowhere in ogctests (test_filter.py:244); it sends no request (test_what_ct10_checks)"
    ),
}


@dataclass
class Case:
    name: str
    file: str
    outcome: str  # passed, failed, error, skipped
    message: str
    seconds: float


#: The version the test lists and the bugs below were read in (requirements/ogctests.in pins it).
OGCTESTS_VERSION = "0.1.15"


def _ogctests_package() -> str:
    """Where ogctests is installed (its pytest is rooted there), after checking its version."""
    script = (
        "import importlib.metadata as m, importlib.util as u;"
        "print(m.version('ogctests'), u.find_spec('ogctests').origin)"
    )
    found = subprocess.run(
        [str(OGCTESTS_PYTHON), "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    assert found[0] == OGCTESTS_VERSION, f"ogctests {found[0]}: read its tests again before changing the pin"
    return found[1].removesuffix("/__init__.py")


def _run_scope(server: OgcServer, scope: str, package: str, tmp: Path) -> tuple[list[Case], str]:
    """One scope per run: each scope's conftest sorts every collected test by the number in its own
    prefix (int(name.replace("test_ct", ""))), so a run of both scopes stops with an internal error."""
    junit = tmp / (scope.replace("/", "-") + ".xml")
    # Its pytest must not take this project's pytest settings (pyproject.toml is an ancestor of
    # .venv-ogctests): an empty ini of its own, rooted at the ogctests package.
    ini = tmp / "pytest.ini"
    ini.write_text("[pytest]\n")
    env = {
        **os.environ,
        "PYTEST_ADDOPTS": f"-c {ini} --rootdir={package} -p no:cacheprovider --junitxml={junit}",
        "HOME": str(tmp),  # anything it writes under ~ stays in the test's folder
    }
    done = subprocess.run(
        [str(OGCTESTS_PYTHON), "-m", "ogctests", scope, "-i", server.ogc, "-v", "True"],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    output = done.stdout + done.stderr
    assert junit.exists(), f"ogctests {scope} wrote no JUnit report (exit {done.returncode}):\n{output[-4000:]}"
    cases = []
    for testcase in ET.parse(junit).getroot().iter("testcase"):
        outcome, message = "passed", ""
        for kind in ("failure", "error", "skipped"):
            found = testcase.find(kind)
            if found is not None:
                outcome = {"failure": "failed"}.get(kind, kind)
                message = (found.get("message") or "") + "\n" + (found.text or "")
                break
        name = testcase.get("name", "")
        cases.append(
            Case(name, testcase.get("classname", ""), outcome, message.strip(), float(testcase.get("time", 0)))
        )
    return cases, output


def _run_ogctests(server: OgcServer, tmp: Path) -> tuple[dict[str, Case], str, float]:
    if not OGCTESTS_PYTHON.exists():
        pytest.fail(f"{OGCTESTS_PYTHON} is missing: run scripts/bootstrap.sh test (it builds the ogctests venv)")
    package = _ogctests_package()
    started = time.perf_counter()
    cases: dict[str, Case] = {}
    outputs = []
    for scope in SCOPES:
        found, output = _run_scope(server, scope, package, tmp)
        outputs.append(output)
        for case in found:
            # A test can be reported twice (failed, then an error in its teardown): the worse counts.
            if case.name not in cases or cases[case.name].outcome == "passed":
                cases[case.name] = case
    return cases, "\n".join(outputs), time.perf_counter() - started


@pytest.fixture(scope="module")
def ogctests_run(ogc_server: OgcServer, tmp_path_factory) -> dict[str, Case]:  # noqa: F811
    matched = assert_public_collections_have_features(ogc_server)
    cases, output, seconds = _run_ogctests(ogc_server, tmp_path_factory.mktemp(f"ogctests-{ogc_server.backend}"))
    print(f"\nogctests on {ogc_server.backend}: {len(cases)} tests in {seconds:.1f} s; collections {matched}")
    for cls, names in CLASSES.items():
        by = {
            o: [n for n in names if n in cases and cases[n].outcome == o]
            for o in ("passed", "failed", "error", "skipped")
        }
        print(
            f"  {cls}: " + "; ".join(f"{o} {', '.join(n.removeprefix('test_') for n in v)}" for o, v in by.items() if v)
        )
    cases["__output__"] = Case("__output__", "", "", output, seconds)
    return cases


def test_ogctests_ran_every_test_of_both_scopes(ogctests_run: dict[str, Case]) -> None:
    ran = {name for name in ogctests_run if name != "__output__"}
    expected = {name for names in CLASSES.values() for name in names}
    assert ran, "ogctests ran no test:\n" + ogctests_run["__output__"].message[-4000:]
    assert ran == expected, (
        f"ran but not expected: {sorted(ran - expected)}; expected but not run: {sorted(expected - ran)}"
    )


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


# --- What the xfailed ogctests tests mean to check (Features 3 abstract tests), on the same server --


QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"


@pytest.fixture(scope="module")
def http(ogc_server: OgcServer):  # noqa: F811
    with httpx.Client(base_url=ogc_server.ogc + "/", timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def public_ids(ogc_server: OgcServer) -> list[str]:  # noqa: F811
    return sorted(assert_public_collections_have_features(ogc_server))


def _link_header(value: str) -> list[dict[str, str]]:
    """RFC 8288 Link header values (no commas inside <...> or quotes in ours)."""
    links = []
    for part in value.split(", <"):
        href, _, params = part.lstrip("<").partition(">")
        link = {"href": href}
        for param in params.split(";"):
            key, _, val = param.strip().partition("=")
            if key:
                link[key] = val.strip('"')
        links.append(link)
    return links


def _queryables_uri(http: httpx.Client, cid: str) -> str:
    r = http.get(f"collections/{cid}/items", headers={"Accept": "application/json"})
    assert r.status_code == 200, r.text
    found = [link["href"] for link in _link_header(r.headers.get("link", "")) if link.get("rel") == QUERYABLES_REL]
    assert len(found) == 1, (cid, r.headers.get("link"))
    return found[0]


def _sample(http: httpx.Client, cid: str) -> tuple[str, object, int]:
    """A string queryable of the collection, a value one of its features has, and numberMatched."""
    schema = http.get(_queryables_uri(http, cid)).json()
    page = http.get(f"collections/{cid}/items", params={"limit": 1}).json()
    props = page["features"][0]["properties"]
    for name, prop in schema["properties"].items():
        if prop.get("type") == "string" and "format" not in prop and isinstance(props.get(name), str):
            return name, props[name], page["numberMatched"]
    raise AssertionError(f"{cid}: no string queryable with a value in {props}")


def test_what_ct2_checks(http: httpx.Client, public_ids: list[str]) -> None:
    """/conf/queryables/get-queryables-uris: each filterable resource's Link header links the queryables."""
    for cid in public_ids:
        r = http.head(f"collections/{cid}/items", headers={"Accept": "application/json"})
        if r.status_code == 405:
            r = http.get(f"collections/{cid}/items", headers={"Accept": "application/json"})
        assert r.status_code == 200, (cid, r.status_code)
        assert _queryables_uri(http, cid).endswith(f"/ogc/collections/{cid}/queryables")


def test_what_ct3_checks(http: httpx.Client, public_ids: list[str]) -> None:
    """/conf/queryables/get-queryables: the queryables are a JSON Schema whose $id is their URI."""
    for cid in public_ids:
        uri = _queryables_uri(http, cid)
        r = http.get(uri, headers={"Accept": "application/schema+json"})
        assert r.status_code == 200, (cid, r.text)
        assert r.headers["content-type"] == "application/schema+json", cid
        doc = r.json()
        assert doc["$schema"] in (
            "https://json-schema.org/draft/2019-09/schema",
            "https://json-schema.org/draft/2020-12/schema",
        )
        assert doc["$id"] == uri and doc["type"] == "object", cid
        assert doc["properties"], cid
        for name, prop in doc["properties"].items():
            assert "type" in prop or prop.get("format", "").startswith("geometry-"), (cid, name, prop)


def test_what_ct5_checks(http: httpx.Client, public_ids: list[str]) -> None:
    """/conf/queryables-query-parameters/query-param: {queryable}={value} selects; a bad one is a 400."""
    for cid in public_ids:
        name, value, _ = _sample(http, cid)
        r = http.get(f"collections/{cid}/items", params={name: value})
        assert r.status_code == 200, (cid, r.text)
        assert r.json()["features"] and all(f["properties"][name] == value for f in r.json()["features"]), cid
        numbers = [
            q
            for q, p in http.get(_queryables_uri(http, cid)).json()["properties"].items()
            if p.get("type") in ("number", "integer")
        ]
        for q in numbers:
            bad = http.get(f"collections/{cid}/items", params={q: "[invalid-value]"})
            assert bad.status_code == 400 and bad.json()["field"] == q, (cid, q, bad.text)


def test_what_ct7_checks(http: httpx.Client, public_ids: list[str]) -> None:
    """/conf/filter/filter-param: a valid filter in each language selects; an invalid one is a 400."""
    for cid in public_ids:
        name, value, _ = _sample(http, cid)
        for lang, text in (
            ("cql2-text", f"{name} = '{value}'"),
            ("cql2-json", json.dumps({"op": "=", "args": [{"property": name}, value]})),
        ):
            r = http.get(f"collections/{cid}/items", params={"filter-lang": lang, "filter": text})
            assert r.status_code == 200, (cid, lang, r.text)
            assert r.json()["features"] and all(f["properties"][name] == value for f in r.json()["features"])
            bad = http.get(f"collections/{cid}/items", params={"filter-lang": lang, "filter": text[:-2]})
            assert bad.status_code == 400 and bad.json()["field"] == "filter", (cid, lang, bad.text)


def test_what_ct8_checks(http: httpx.Client, public_ids: list[str]) -> None:
    """/conf/filter/filter-lang-default: without filter-lang, the filter is CQL2 text."""
    for cid in public_ids:
        name, value, _ = _sample(http, cid)
        r = http.get(f"collections/{cid}/items", params={"filter": f"{name}='{value}'"})
        assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json", (cid, r.text)
        assert r.json()["features"] and all(f["properties"][name] == value for f in r.json()["features"])
        assert http.get(f"collections/{cid}/items", params={"filter": "ooga=booga"}).status_code == 400


def test_what_ct9_checks(http: httpx.Client, public_ids: list[str]) -> None:
    """/conf/filter/expression-construction: with additionalProperties false, an unknown queryable is a 400."""
    for cid in public_ids:
        assert http.get(_queryables_uri(http, cid)).json()["additionalProperties"] is False, cid
        r = http.get(
            f"collections/{cid}/items", params={"filter-lang": "cql2-text", "filter": "this_is_not_a_queryable = 1"}
        )
        assert r.status_code == 400 and r.json()["field"] == "filter", (cid, r.text)
        assert "this_is_not_a_queryable" in r.json()["detail"], r.text


def test_what_ct10_checks(http: httpx.Client, public_ids: list[str]) -> None:
    """/conf/filter/filter-crs-wgs84: a spatial filter is in WGS84 by default: the collection's own
    bbox keeps every feature; coordinates no WGS84 point has are a 400."""
    for cid in public_ids:
        described = http.get(f"collections/{cid}").json()
        page = http.get(f"collections/{cid}/items", params={"limit": 10000}).json()
        everything = page["numberMatched"]
        assert everything == page["numberReturned"], cid
        if "extent" in described:
            bbox = described["extent"]["spatial"]["bbox"][0]
        else:  # the extent is only recommended (/rec/core/fc-md-extent): the features' own box
            bbox = list(shapely.GeometryCollection([shape(f["geometry"]) for f in page["features"]]).bounds)
        for lang, spatial in (
            ("cql2-text", f"S_INTERSECTS(geometry, BBOX({bbox[0]}, {bbox[1]}, {bbox[2]}, {bbox[3]}))"),
            ("cql2-json", json.dumps({"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": bbox}]})),
        ):
            r = http.get(f"collections/{cid}/items", params={"filter": spatial, "filter-lang": lang, "limit": 1})
            assert r.status_code == 200, (cid, lang, r.text)
            assert r.json()["numberMatched"] == everything > 0, (cid, lang)
        # A box around one feature's first point: some features, not all (a box read in the wrong
        # order, as pygeofilter's cql2-json bbox is, finds none or others).
        x, y = shape(page["features"][0]["geometry"]).representative_point().coords[0]
        near = [x - 0.001, y - 0.001, x + 0.001, y + 0.001]
        for lang, spatial in (
            ("cql2-text", "S_INTERSECTS(geometry, BBOX({}, {}, {}, {}))".format(*near)),
            ("cql2-json", json.dumps({"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": near}]})),
        ):
            r = http.get(f"collections/{cid}/items", params={"filter": spatial, "filter-lang": lang, "limit": 10000})
            assert r.status_code == 200, (cid, lang, r.text)
            found = r.json()["features"]
            assert page["features"][0]["id"] in {f["id"] for f in found}, (cid, lang)
            wrong = [f["id"] for f in found if not shape(f["geometry"]).intersects(shapely.box(*near))]
            assert not wrong, (cid, lang, f"{len(wrong)} features outside the box")
        far = "S_INTERSECTS(geometry, BBOX(1000000, 1000000, 2000000, 2000000))"
        r = http.get(f"collections/{cid}/items", params={"filter": far})
        assert r.status_code == 400 and r.json()["field"] == "filter", (cid, r.status_code, r.text)
