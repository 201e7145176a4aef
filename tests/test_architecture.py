"""The architecture, checked: the module graph of ``nte/`` read from the source (never imported), and
one guard per rule of docs/DEVELOPING.md. Each guard walks the AST of every file, lists every
offender as ``path:line what`` and asserts it walked something (a guard over an empty set proves
nothing). Each guard is also run on a small synthetic tree: clean, it passes; with one offence of
each kind, it names them.

- ``test_no_import_cycles``: no import cycle anywhere in ``nte/`` (module-level and function-level
  imports; only ``if TYPE_CHECKING:`` blocks are left out).
- ``test_no_string_imports``: every module is imported by name, never loaded from a string.
- ``test_web_edge_never_reaches_a_repository``: pages and routers call services only.
- ``test_foundations_never_import_a_domain``: imports run web edge -> domains -> foundations.
- ``test_services_know_nothing_of_the_web_and_never_commit``.
- ``test_one_london_zone_and_one_coordinate_rounding``.
- ``test_one_csv_writer_and_one_download_header``.
- ``test_role_dependencies_are_named_once``.
- ``test_forms_are_read_by_the_form_kit``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

import nte

ROOT = Path(nte.__file__).resolve().parent
REPO = ROOT.parent


# --- reading the source ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    target: str  # a module of nte resolved ("nte.venues.service"), else the dotted name as written
    line: int
    typing_only: bool  # inside ``if TYPE_CHECKING:``


@dataclass
class Source:
    name: str  # the dotted module name; a package's __init__ is the package
    rel: str  # the path from the repository root, as offenders are listed
    tree: ast.Module
    is_package: bool
    imports: list[Import] = field(default_factory=list)

    @property
    def parts(self) -> list[str]:
        return self.name.split(".")


def _module_name(rel: Path) -> tuple[str, bool]:
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def parse_sources(files: dict[str, str]) -> dict[str, Source]:
    """``{"nte/x/y.py": source text}`` -> the modules with their imports resolved against each other."""
    sources: dict[str, Source] = {}
    for rel, text in files.items():
        name, is_package = _module_name(Path(rel))
        sources[name] = Source(name, rel, ast.parse(text, filename=rel), is_package)
    for source in sources.values():
        source.imports = list(_imports(source, set(sources)))
    return sources


@cache
def load_tree(root: Path = ROOT) -> dict[str, Source]:
    files = {
        path.relative_to(root.parent).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*.py"))
        if "__pycache__" not in path.parts
    }
    return parse_sources(files)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk_imports(tree: ast.AST) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement in ``tree`` (at any depth: functions, classes, branches), and whether
    it sits in an ``if TYPE_CHECKING:`` block."""
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, typing_only = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, typing_only
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend((child, True) for child in node.body)
            stack.extend((child, typing_only) for child in node.orelse)
        elif isinstance(node, (ast.stmt, ast.mod, ast.excepthandler, ast.match_case)):
            # Imports are statements: expressions need not be walked.
            stack.extend((child, typing_only) for child in ast.iter_child_nodes(node))


def _longest_known(dotted: str, known: set[str]) -> str:
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            return candidate
    return dotted


def _imports(source: Source, known: set[str]) -> Iterator[Import]:
    for node, typing_only in _walk_imports(source.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(_longest_known(alias.name, known), node.lineno, typing_only)
            continue
        if node.level:
            package = source.parts if source.is_package else source.parts[:-1]
            base_parts = package[: len(package) - (node.level - 1)]
            base = ".".join([*base_parts, *([node.module] if node.module else [])])
        else:
            base = node.module or ""
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            target = submodule if submodule in known else _longest_known(base, known)
            yield Import(target, node.lineno, typing_only)


def _is_under(name: str, prefixes: Iterable[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _call_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return "?"


@dataclass
class Findings:
    walked: list[str]
    offenders: list[str]

    def __post_init__(self) -> None:
        self.offenders = sorted(set(self.offenders), key=_by_place)

    def check(self, what: str) -> None:
        assert self.walked, f"{what}: the guard walked no module at all"
        assert not self.offenders, f"{what}: {len(self.offenders)} offenders\n" + "\n".join(self.offenders)


def _by_place(offender: str) -> tuple[str, int, str]:
    """``path:line what`` in file order, then line order."""
    place, _, what = offender.partition(" ")
    path, _, line = place.rpartition(":")
    return (path, int(line), what) if line.isdigit() else (offender, 0, "")


Guard = Callable[[dict[str, Source]], Findings]


# --- the module graph -----------------------------------------------------------------------------


def import_graph(sources: dict[str, Source]) -> dict[str, dict[str, int]]:
    """module -> {imported nte module: line of the first such import}, run-time imports only."""
    graph: dict[str, dict[str, int]] = {name: {} for name in sources}
    for source in sources.values():
        for imp in source.imports:
            if not imp.typing_only and imp.target in sources and imp.target != source.name:
                graph[source.name].setdefault(imp.target, imp.line)
    return graph


def strongly_connected(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative): every component of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def one_cycle(graph: dict[str, dict[str, int]], component: list[str]) -> list[str]:
    """A shortest circle through the component's first module, as the modules it passes."""
    members = set(component)
    start = component[0]
    previous: dict[str, str] = {}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node]):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return [*reversed(path), start]
            if child in members and child not in previous:
                previous[child] = node
                queue.append(child)
    return component  # unreachable for a strongly connected component


def cycle_findings(sources: dict[str, Source]) -> Findings:
    graph = import_graph(sources)
    offenders = []
    for component in strongly_connected(graph):
        circle = one_cycle(graph, component)
        steps = ", ".join(f"{sources[a].rel}:{graph[a][b]} -> {b}" for a, b in zip(circle, circle[1:], strict=False))
        offenders.append(f"cycle of {len(component)} ({', '.join(component)}): {steps}")
    return Findings(sorted(sources), offenders)


def test_no_import_cycles() -> None:
    sources = load_tree()
    graph = import_graph(sources)
    edges = sum(len(targets) for targets in graph.values())
    assert len(graph) > 150, f"only {len(graph)} modules read from {ROOT}"
    assert edges > 300, f"only {edges} imports between nte modules"
    cycle_findings(sources).check("import cycles")


def test_errors_and_i18n_are_leaves() -> None:
    """Every module raises ``nte.errors`` classes: so ``nte.errors`` imports nothing from ``nte`` but
    ``nte.i18n``, which imports nothing from ``nte`` (the handlers live at the web edge, nte/web/errors.py)."""
    sources = load_tree()
    imported = {
        name: sorted({imp.target for imp in sources[name].imports if imp.target.startswith("nte")})
        for name in ("nte.errors", "nte.i18n")
    }
    assert imported == {"nte.errors": ["nte.i18n"], "nte.i18n": []}


# --- no module loaded by a string -----------------------------------------------------------------

#: "module:function" strings that must stay strings, and why.
STRING_TARGETS_ALLOWED = {
    "nte.asgi:app": "uvicorn imports the app itself in each worker process (it needs a string for workers > 1)",
}


def string_import_findings(sources: dict[str, Source]) -> Findings:
    offenders = []
    for source in sources.values():
        for imp in source.imports:
            if imp.target == "importlib" or (
                imp.target.startswith("importlib.") and not _is_under(imp.target, ("importlib.resources",))
            ):
                offenders.append(f"{source.rel}:{imp.line} imports {imp.target}")
        for node in ast.walk(source.tree):
            if isinstance(node, ast.Call) and _call_name(node) in ("import_module", "__import__"):
                offenders.append(f"{source.rel}:{node.lineno} calls {_dotted(node.func)}()")
            if isinstance(node, ast.ImportFrom) and any(a.name == "import_module" for a in node.names):
                offenders.append(f"{source.rel}:{node.lineno} imports import_module")
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.startswith("nte.")
                and ":" in node.value
                and " " not in node.value
                and node.value not in STRING_TARGETS_ALLOWED
            ):
                offenders.append(f"{source.rel}:{node.lineno} names {node.value!r} (import it instead)")
    return Findings(sorted(sources), offenders)


def test_no_string_imports() -> None:
    string_import_findings(load_tree()).check("modules loaded from a string")


# --- (a) the web edge calls services ---------------------------------------------------------------
# Pages and routers never import a repository (nor reach one as ``service.repo.``), and a page never
# imports a router: both call the service.


def is_web_edge(source: Source) -> bool:
    last = source.parts[-1]
    return (
        last in ("router", "pages")
        or last.endswith("_router")
        or "pages" in source.parts[1:-1]
        or (source.is_package and last == "pages")
    )


def _is_repository(target: str) -> bool:
    return "repository" in target.split(".")[1:] and target.startswith("nte.")


def web_edge_findings(sources: dict[str, Source]) -> Findings:
    walked, offenders = [], []
    for source in sources.values():
        if not is_web_edge(source):
            continue
        walked.append(source.name)
        is_page = source.parts[-1] == "pages" or "pages" in source.parts[1:-1]
        for imp in source.imports:
            if _is_repository(imp.target):
                offenders.append(f"{source.rel}:{imp.line} imports {imp.target}")
            last = imp.target.split(".")[-1]
            if is_page and imp.target.startswith("nte.") and (last == "router" or last.endswith("_router")):
                offenders.append(f"{source.rel}:{imp.line} imports {imp.target}: a page calls the service")
        for node in ast.walk(source.tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and node.value.attr == "repo":
                offenders.append(f"{source.rel}:{node.lineno} reaches {_dotted(node)}")
    return Findings(walked, offenders)


def test_web_edge_never_reaches_a_repository() -> None:
    web_edge_findings(load_tree()).check("router/pages modules reaching a repository")


# --- (b) imports run one way -----------------------------------------------------------------------

FOUNDATIONS = (
    "nte.db",
    "nte.config",
    "nte.errors",
    "nte.i18n",
    "nte.london",
    "nte.spatial",
    "nte.wards",
    "nte.auth",
    "nte.audit",
    "nte.notifications",
)
DOMAINS = ("nte.venues", "nte.safespaces", "nte.patrols", "nte.reports", "nte.maps", "nte.places", "nte.ogc")


def foundation_findings(sources: dict[str, Source]) -> Findings:
    """Every import counts here, ``if TYPE_CHECKING:`` ones too: a foundation that names a domain's
    type depends on that domain."""
    walked, offenders = [], []
    for source in sources.values():
        if not _is_under(source.name, FOUNDATIONS):
            continue
        walked.append(source.name)
        for imp in source.imports:
            if _is_under(imp.target, DOMAINS):
                offenders.append(f"{source.rel}:{imp.line} imports {imp.target}")
    return Findings(walked, offenders)


def test_foundations_never_import_a_domain() -> None:
    foundation_findings(load_tree()).check("foundations importing a domain")


# --- (c) services ----------------------------------------------------------------------------------


def is_service(source: Source) -> bool:
    return source.parts[-1] == "service" or "service" in source.parts[1:-1]


def service_findings(sources: dict[str, Source]) -> Findings:
    walked, offenders = [], []
    for source in sources.values():
        if not is_service(source):
            continue
        walked.append(source.name)
        for imp in source.imports:
            if _is_under(imp.target, ("fastapi", "starlette")):
                offenders.append(f"{source.rel}:{imp.line} imports {imp.target}")
        for node in ast.walk(source.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit":
                offenders.append(f"{source.rel}:{node.lineno} calls {_dotted(node.func)}()")
    return Findings(walked, offenders)


def test_services_know_nothing_of_the_web_and_never_commit() -> None:
    service_findings(load_tree()).check("services importing the web or committing")


# --- (d) one London zone, one coordinate rounding ----------------------------------------------------

#: ``round(x, 6)`` that is not a coordinate, by the expression rounded (stable when files move).
ROUND_6_NOT_A_COORDINATE = {
    "self.required * self.staff_count": "venues: float noise off a staff ratio before ceil()",
}


def _rounds_to_six(call: ast.Call) -> bool:
    if _call_name(call) != "round" or not isinstance(call.func, ast.Name):
        return False
    digits = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "ndigits"), None)
    return isinstance(digits, ast.Constant) and digits.value == 6


def kit_findings(sources: dict[str, Source]) -> Findings:
    offenders = []
    for source in sources.values():
        for node in ast.walk(source.tree):
            if not isinstance(node, ast.Call):
                continue
            if (
                source.name != "nte.london"
                and _call_name(node) == "ZoneInfo"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value == "Europe/London"
            ):
                offenders.append(f"{source.rel}:{node.lineno} builds ZoneInfo('Europe/London'): use nte.london")
            if (
                source.name != "nte.spatial.coords"
                and _rounds_to_six(node)
                and ast.unparse(node.args[0]) not in ROUND_6_NOT_A_COORDINATE
            ):
                offenders.append(f"{source.rel}:{node.lineno} {ast.unparse(node)}: use nte.spatial.coords")
    return Findings(sorted(sources), offenders)


def test_one_london_zone_and_one_coordinate_rounding() -> None:
    kit_findings(load_tree()).check("London zones or coordinate roundings outside the kit")


# --- (e) one CSV writer, one download header ---------------------------------------------------------

#: Modules that may write CSV themselves, and why.
CSV_WRITERS_ALLOWED = {
    "nte.exports": "the one CSV writer (csv_text)",
    "nte.reports.importer": "the police import's rejects file (written row by row to a path, never downloaded)",
}


def download_findings(sources: dict[str, Source]) -> Findings:
    offenders = []
    for source in sources.values():
        for node in ast.walk(source.tree):
            if (
                source.name not in CSV_WRITERS_ALLOWED
                and isinstance(node, ast.Attribute)
                and node.attr in ("writer", "DictWriter")
                and isinstance(node.value, ast.Name)
                and node.value.id == "csv"
            ):
                offenders.append(f"{source.rel}:{node.lineno} csv.{node.attr}: use nte.exports.csv_text")
            if (
                source.name not in CSV_WRITERS_ALLOWED
                and isinstance(node, ast.ImportFrom)
                and node.module == "csv"
                and any(a.name in ("writer", "DictWriter") for a in node.names)
            ):
                offenders.append(f"{source.rel}:{node.lineno} imports csv's writer: use nte.exports.csv_text")
            if (
                source.name != "nte.web.downloads"
                and isinstance(node, ast.Call)
                and _call_name(node) == "FileResponse"
                and any(k.arg in ("filename", "content_disposition_type") for k in node.keywords)
            ):
                offenders.append(
                    f"{source.rel}:{node.lineno} FileResponse(filename=...) is a download: use nte.web.downloads"
                )
            if (
                source.name != "nte.web.downloads"
                and isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.strip().lower() == "content-disposition"
            ):
                offenders.append(f"{source.rel}:{node.lineno} sets Content-Disposition: use nte.web.downloads")
    return Findings(sorted(sources), offenders)


def test_one_csv_writer_and_one_download_header() -> None:
    download_findings(load_tree()).check("CSV writers or download headers outside the kit")


# --- (f) role dependencies -------------------------------------------------------------------------


def role_findings(sources: dict[str, Source]) -> Findings:
    """``require_roles(...)`` / ``require_page_roles(...)`` are called in nte/auth/deps.py only, which
    names every role set once (``OfficerApi``, ``OfficerPage`` ...)."""
    offenders = []
    for source in sources.values():
        if source.name == "nte.auth.deps":
            continue
        for node in ast.walk(source.tree):
            if isinstance(node, ast.Call) and _call_name(node) in ("require_roles", "require_page_roles"):
                offenders.append(f"{source.rel}:{node.lineno} {ast.unparse(node)}: use a name from nte.auth.deps")
    return Findings(sorted(sources), offenders)


def test_role_dependencies_are_named_once() -> None:
    role_findings(load_tree()).check("role dependencies built outside nte/auth/deps.py")


# --- (g) forms -------------------------------------------------------------------------------------

FORM_READERS_ALLOWED = {
    "nte.web.forms": "the form kit (FormDep / read_form)",
    "nte.auth.deps": "CSRF and sign-in tokens are read before any route runs",
    "nte.web.middleware": "middleware that looks at a body before routing",
}


def form_findings(sources: dict[str, Source]) -> Findings:
    offenders = []
    for source in sources.values():
        if source.name in FORM_READERS_ALLOWED:
            continue
        for node in ast.walk(source.tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "form"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in ("request", "req")
            ):
                offenders.append(f"{source.rel}:{node.lineno} {ast.unparse(node)}: use nte.web.forms.FormDep")
    return Findings(sorted(sources), offenders)


def test_forms_are_read_by_the_form_kit() -> None:
    form_findings(load_tree()).check("forms read outside nte/web/forms.py")


# --- each guard on a synthetic tree ----------------------------------------------------------------

CLEAN_TREE = {
    "nte/__init__.py": "",
    "nte/london.py": 'from zoneinfo import ZoneInfo\nLONDON = ZoneInfo("Europe/London")\n',
    "nte/errors.py": "from nte.i18n import N_\n",
    "nte/i18n.py": "def N_(m):\n    return m\n",
    "nte/exports.py": "import csv\n\ndef csv_text(rows):\n    w = csv.writer(None)\n",
    "nte/spatial/__init__.py": "",
    "nte/spatial/coords.py": "def round_coord(v):\n    return round(float(v), 6)\n",
    "nte/auth/__init__.py": "",
    "nte/auth/deps.py": (
        "from nte.errors import N_\n"
        "def require_roles(*r): ...\n"
        "OfficerApi = Annotated[User, Depends(require_roles('officer'))]\n"
        "async def csrf(request):\n    return await request.form()\n"
    ),
    "nte/web/__init__.py": "",
    "nte/web/downloads.py": 'def download():\n    return {"Content-Disposition": "attachment"}\n',
    "nte/web/forms.py": "async def read_form(request):\n    return await request.form()\n",
    "nte/venues/__init__.py": "",
    "nte/venues/repository.py": "from nte.venues import models\n",
    "nte/venues/models.py": "from nte.spatial import coords\n",
    "nte/venues/service/__init__.py": "",
    "nte/venues/service/register.py": (
        "from typing import TYPE_CHECKING\n"
        "from nte.exports import csv_text\n"
        "from nte.spatial.coords import round_coord\n"
        "from .. import repository as repo\n"
        "if TYPE_CHECKING:\n    from nte.venues import pages\n"
        "def rows(session):\n    session.flush()\n    return repo.rows(session)\n"
    ),
    "nte/venues/router.py": "from nte.venues.service import register\n",
    "nte/venues/pages.py": (
        "from nte.auth.deps import OfficerApi\n"
        "from nte.venues.service import register\n"
        "from nte.web import downloads\n"
        "def export(user: OfficerApi, form: FormDep):\n    return downloads.download(register.rows(None))\n"
    ),
}

DIRTY_TREE = {
    **CLEAN_TREE,
    "nte/auth/audit_hook.py": "from nte.venues import models\n",  # (b)
    "nte/venues/models.py": "from nte.venues.pages import export\n",  # a cycle models -> pages -> ... -> models
    "nte/venues/jobs.py": "import importlib\nJOB = importlib.import_module('nte.venues.service')\nF = 'nte.venues.jobs:run'\n",
    "nte/venues/service/register.py": (
        "import csv\n"
        "from fastapi import Request\n"
        "from zoneinfo import ZoneInfo\n"
        "from nte.venues import repository as repo\n"
        "def rows(session, lon):\n"
        "    session.commit()\n"
        '    tz = ZoneInfo("Europe/London")\n'
        "    w = csv.writer(None)\n"
        "    return round(lon, 6)\n"
    ),
    "nte/venues/pages.py": (
        "from nte.auth.deps import require_page_roles\n"
        "from nte.venues import repository, router\n"
        "from nte.venues.service import register\n"
        "Officer = Depends(require_page_roles('officer'))\n"
        "async def export(request):\n"
        "    form = await request.form()\n"
        "    register.repo.rows(None)\n"
        '    FileResponse("evidence.pdf", filename="evidence.pdf")\n'
        '    return {"Content-Disposition": "attachment"}\n'
    ),
}

GUARDS: dict[str, tuple[Guard, int]] = {
    # guard: how many offences DIRTY_TREE holds for it
    "cycles": (cycle_findings, 1),
    "string imports": (string_import_findings, 3),
    "web edge": (web_edge_findings, 3),
    "foundations": (foundation_findings, 1),
    "services": (service_findings, 2),
    "kit": (kit_findings, 2),
    "downloads": (download_findings, 3),
    "roles": (role_findings, 1),
    "forms": (form_findings, 1),
}


@pytest.mark.parametrize("name", GUARDS)
def test_each_guard_passes_a_clean_tree_and_names_each_offence(name: str) -> None:
    guard, offences = GUARDS[name]
    clean = guard(parse_sources(CLEAN_TREE))
    assert clean.walked
    clean.check(name)
    dirty = guard(parse_sources(DIRTY_TREE))
    assert len(dirty.offenders) == offences, dirty.offenders
    with pytest.raises(AssertionError, match=f"{offences} offenders"):
        dirty.check(name)


def test_the_graph_resolves_submodules_packages_and_relative_imports() -> None:
    sources = parse_sources(CLEAN_TREE)
    graph = import_graph(sources)
    assert graph["nte.venues.service.register"] == {
        "nte.exports": 2,
        "nte.spatial.coords": 3,
        "nte.venues.repository": 4,
    }
    assert "nte.venues.pages" not in graph["nte.venues.service.register"]  # only under TYPE_CHECKING
    assert graph["nte.venues.pages"] == {"nte.auth.deps": 1, "nte.venues.service.register": 2, "nte.web.downloads": 3}
    assert graph["nte.venues.models"] == {"nte.spatial.coords": 1}


def test_a_function_level_import_closes_a_cycle() -> None:
    tree = {
        "nte/__init__.py": "",
        "nte/a.py": "import nte.b\n",
        "nte/b.py": "def f():\n    from nte import c\n",
        "nte/c.py": "from nte.a import thing\n",
        "nte/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import nte.a\n",
    }
    found = cycle_findings(parse_sources(tree))
    assert len(found.offenders) == 1
    assert "nte/a.py:1 -> nte.b, nte/b.py:2 -> nte.c, nte/c.py:1 -> nte.a" in found.offenders[0]
