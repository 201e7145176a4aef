"""SQL stays in the maps repository: services and pages hand it plain values (a ``MapFilter``, a
placement's ward sets) and get plain values back; only ``nte.maps.repository`` (and the cache
table's model) builds SQLAlchemy expressions.

Guarded two ways, read from the source: no other maps module imports anything from ``sqlalchemy``
but the ``Session`` type (every import counted, including those inside functions); and nothing the
repository offers (a public name, a function's parameters or result) is a SQL expression or typed
loosely enough to carry one (``Any``, ``ColumnElement``, ``ClauseElement``, ``Select``)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm.util import AliasedClass

import nte
from nte.maps import repository

MAPS = Path(nte.__file__).resolve().parent / "maps"
#: The modules that may build SQL: the queries, and the cache table's model.
SQL_MODULES = {"repository.py", "cache_models.py"}
#: How many maps modules there are today (raise it when you add one): the walk cannot pass empty.
MAPS_MODULES_TODAY = 26
#: Annotations that could carry a WHERE clause or a statement out of the repository.
LOOSE_OR_SQL = ("Any", "ColumnElement", "ClauseElement", "Select", "BinaryExpression")


def sql_imports(source: str) -> list[str]:
    """Every import from ``sqlalchemy`` in the source other than ``from sqlalchemy.orm import Session``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "sqlalchemy"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "sqlalchemy":
            found += [
                f"{node.module}.{a.name}" for a in node.names if (node.module, a.name) != ("sqlalchemy.orm", "Session")
            ]
    return found


def test_no_maps_module_but_the_repository_imports_sqlalchemy_to_build_queries():
    files = sorted(MAPS.rglob("*.py"))
    assert len(files) >= MAPS_MODULES_TODAY, f"found {len(files)} maps modules; there were {MAPS_MODULES_TODAY}"
    problems = {
        str(path.relative_to(MAPS)): found
        for path in files
        if path.name not in SQL_MODULES or path.parent != MAPS
        if (found := sql_imports(path.read_text(encoding="utf-8")))
    }
    assert problems == {}


def test_the_guard_sees_a_query_built_outside_the_repository():
    assert sql_imports("def f():\n    import sqlalchemy as sa\n") == ["sqlalchemy"]
    assert sql_imports("from sqlalchemy import and_\n") == ["sqlalchemy.and_"]
    assert sql_imports("from sqlalchemy.orm import Session, aliased\n") == ["sqlalchemy.orm.aliased"]
    assert sql_imports("from sqlalchemy.orm import Session\n") == []


def test_the_repository_hands_out_no_sql():
    public = {name: value for name, value in vars(repository).items() if not name.startswith("_")}
    functions = {name: f for name, f in public.items() if inspect.isfunction(f) and f.__module__ == repository.__name__}
    assert len(functions) >= 10, sorted(functions)
    shared = [name for name, value in public.items() if isinstance(value, (sa.sql.ClauseElement, AliasedClass))]
    assert shared == [], "SQL objects offered by the repository"
    loose = {
        f"{name}({param})": annotation
        for name, f in functions.items()
        for param, annotation in inspect.get_annotations(f).items()
        if any(word in str(annotation) for word in LOOSE_OR_SQL)
    }
    assert loose == {}, "repository functions whose parameters or result could carry SQL"
