"""Wards are a foundation: no module of ``nte.wards`` imports a domain built on it, directly or
through another module (the import graph is read from the source, every ``import`` counted,
including those inside functions)."""

from __future__ import annotations

import ast
from pathlib import Path

import nte

ROOT = Path(nte.__file__).resolve().parent
DOMAINS = ("nte.venues", "nte.safespaces", "nte.reports", "nte.patrols", "nte.maps", "nte.places", "nte.located")
#: How many modules the wards package has today, its subpackages' included (raise it when you add
#: one): the walk cannot pass empty.
WARD_MODULES_TODAY = 13


def _module_file(name: str) -> Path | None:
    path = ROOT.parent.joinpath(*name.split("."))
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return None


def _imports(name: str) -> set[str]:
    file = _module_file(name)
    if file is None:
        return set()
    found: set[str] = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("nte"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("nte"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names if _module_file(f"{node.module}.{a.name}"))
    return found


def _reachable(start: str) -> dict[str, str]:
    """Every nte module reachable from ``start``, with the module that first imported it."""
    seen = {start: ""}
    stack = [start]
    while stack:
        current = stack.pop()
        for imported in _imports(current):
            if imported not in seen:
                seen[imported] = current
                stack.append(imported)
    return seen


def _path(seen: dict[str, str], name: str) -> str:
    chain = [name]
    while seen.get(chain[-1]):
        chain.append(seen[chain[-1]])
    return " <- ".join(chain)


def test_no_ward_module_reaches_a_domain_built_on_wards():
    modules = sorted(
        ".".join(("nte", *p.relative_to(ROOT).with_suffix("").parts)).removesuffix(".__init__")
        for p in (ROOT / "wards").rglob("*.py")
        if p != ROOT / "wards" / "__init__.py"
    )
    assert len(modules) >= WARD_MODULES_TODAY, f"found {len(modules)} ward modules; there were {WARD_MODULES_TODAY}"
    problems = []
    for module in modules:
        seen = _reachable(module)
        problems += [_path(seen, m) for m in seen if m.startswith(DOMAINS)]
    assert problems == []


def test_the_walk_finds_an_upward_import_when_there_is_one():
    """The guard itself: a module that imports maps (as ``nte.maps.coordinator`` imports patrols) is caught."""
    seen = _reachable("nte.maps.coordinator")
    assert any(m.startswith("nte.patrols") for m in seen)


def test_the_service_package_offers_every_name_it_lists_and_no_module_hides_one():
    """``nte.wards.service`` is a package of sections; a section named like one of its functions
    (``vintages``) would replace that function on the package once imported."""
    import types

    from nte.wards import service

    assert len(service.__all__) >= 40, service.__all__
    hidden = [name for name in service.__all__ if isinstance(getattr(service, name), types.ModuleType)]
    assert hidden == []
    assert callable(service.vintages) and callable(service.placement) and callable(service.locate)
