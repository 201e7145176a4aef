"""CQL2 filters (OGC API - Features Part 3): parsed by pygeofilter, checked against the collection's
queryables, then evaluated in SQL (``nte.spatial.cql``) or, for collections computed in Python, on
each feature (pygeofilter's native evaluator).

Only the queryables a collection declares can be named: a filter on any other property is a 400
naming it, never an unfiltered answer, and never a way to reach a column the collection does not
publish."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from lark import Lark
from lark.exceptions import LarkError
from pygeofilter import ast, values
from pygeofilter import parsers as pygeofilter_parsers
from pygeofilter.backends.evaluator import handle
from pygeofilter.backends.native.evaluate import NativeEvaluator
from pygeofilter.parsers.cql2_json import parse as parse_cql2_json
from pygeofilter.parsers.cql2_text.parser import CQLTransformer
from shapely.geometry import shape

from nte.ogc.exceptions import InvalidParameter
from nte.spatial.cql import literal_geometry
from nte.spatial.geometry import BNG, WGS84, load_geojson

#: The geometry of every feature, as filters name it.
GEOMETRY = "geometry"


#: pygeofilter 0.4's CQL2 text grammar, with two of its rules made as CQL2 writes them (QGIS writes
#: both): a quote inside a string is doubled (``'St James''s'``), and NOT takes any condition in
#: brackets (``NOT ((a = 1) AND (b = 2))``), not only one predicate. Each fix names the exact text it
#: replaces, so a pygeofilter whose grammar moved fails at import (and in the tests), not silently.
_GRAMMAR_FIXES = (
    ('SINGLE_QUOTED: "\'" /.*?/ "\'"', "SINGLE_QUOTED: /'(?:[^']|'')*'/"),
    ('DOUBLE_QUOTED: "\\"" /.*?/ "\\""', 'DOUBLE_QUOTED: /"(?:[^"]|"")*"/'),
    ('| "NOT"i "(" predicate ")"', '| "NOT"i "(" condition ")"'),
)


class _Transformer(CQLTransformer):  # type: ignore[misc]
    def SINGLE_QUOTED(self, token: str) -> str:  # noqa: N802 - Lark names terminals' callbacks so
        return token[1:-1].replace("''", "'")

    def DOUBLE_QUOTED(self, token: str) -> str:  # noqa: N802
        return token[1:-1].replace('""', '"')


@functools.cache
def _cql2_text_parser() -> Lark:
    package = Path(pygeofilter_parsers.__file__).parent
    grammar = (package / "cql2_text" / "grammar.lark").read_text()
    for old, new in _GRAMMAR_FIXES:
        if old not in grammar:
            raise RuntimeError(f"pygeofilter's CQL2 text grammar changed: {old!r} is not in it (nte/ogc/cql.py)")
        grammar = grammar.replace(old, new)
    return Lark(
        grammar,
        parser="lalr",
        maybe_placeholders=False,
        transformer=_Transformer(),
        import_paths=[str(package)],
    )


def parse_cql2_text(text: str) -> Any:
    return _cql2_text_parser().parse(text)


def _walk(node: Any) -> Iterable[Any]:
    yield node
    children = node.get_sub_nodes() if hasattr(node, "get_sub_nodes") else []
    for child in children or []:
        if isinstance(child, list | tuple):
            for item in child:
                yield from _walk(item)
        elif child is not None:
            yield from _walk(child)


def _json_bboxes(node: Any) -> Any:
    """cql2-json with each ``{"bbox": [minx, miny, maxx, maxy]}`` as a BBOX call (then an envelope,
    as in cql2-text): pygeofilter 0.4.0 reads it as ``Envelope(*bbox)``, whose fields are (x1, x2,
    y1, y2), so miny would become a longitude and the box would find the wrong features."""
    if isinstance(node, dict):
        if set(node) == {"bbox"}:
            return {"function": {"name": "bbox", "arguments": node["bbox"]}}
        return {key: _json_bboxes(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_json_bboxes(value) for value in node]
    return node


def _check_wgs84(tree: ast.Node) -> None:
    """Geometry literals in CRS84 (the default filter-crs) are longitudes and latitudes: a point
    beyond them is a mistake (coordinates in another CRS, say), a 400 rather than no features
    (Features 3, /conf/filter/filter-crs-wgs84)."""
    for node in _walk(tree):
        if isinstance(node, values.Envelope):
            minx, maxx, miny, maxy = node.x1, node.x2, node.y1, node.y2
        elif isinstance(node, values.Geometry):
            minx, miny, maxx, maxy = shape(node.__geo_interface__).bounds
        else:
            continue
        if min(minx, maxx) < -180 or max(minx, maxx) > 180 or min(miny, maxy) < -90 or max(miny, maxy) > 90:
            raise InvalidParameter(
                "filter: a geometry in CRS84 has longitudes -180 to 180 and latitudes -90 to 90 "
                "(for British National Grid metres, give filter-crs).",
                field="filter",
            )


def parse_filter(text: str, *, lang: str, queryables: Iterable[str], srid: int = WGS84) -> ast.Node:
    """The filter's syntax tree, or a 400 naming ``filter`` with what is wrong. ``srid``: the CRS
    of its geometry literals (filter-crs)."""
    try:
        if lang == "cql2-json":
            tree = parse_cql2_json(_json_bboxes(load_geojson(text)))
        else:
            tree = parse_cql2_text(text)
    except (LarkError, ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError) as exc:
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise InvalidParameter(f"filter: this is not {lang} that can be read ({first}).", field="filter") from None
    if not isinstance(tree, ast.Node):
        raise InvalidParameter("filter: a filter must be a condition, such as status = 'new'.", field="filter")
    known = set(queryables) | {GEOMETRY}
    for node in _walk(tree):
        if isinstance(node, ast.Attribute) and node.name not in known:
            raise InvalidParameter(
                f"filter: {node.name[:60]!r} is not a queryable of this collection (see its queryables: "
                + ", ".join(sorted(known))
                + ").",
                field="filter",
            )
        if isinstance(node, ast.Function) and node.name.lower() not in FUNCTIONS:
            raise InvalidParameter(f"filter: the function {node.name[:60]!r} is not supported here.", field="filter")
    tree = _with_envelopes(tree)
    if srid == WGS84:
        _check_wgs84(tree)
    return tree


#: Functions a filter may call: BBOX (a CQL2 envelope literal: pygeofilter's CQL2 text parser reads
#: ``BBOX(x1,y1,x2,y2)`` as a function) and LOWER (what ``CASEI`` becomes).
FUNCTIONS = ("bbox", "lower")


def _envelope(node: ast.Function) -> values.Envelope:
    numbers = node.arguments
    if len(numbers) not in (4, 6) or not all(isinstance(n, int | float) and not isinstance(n, bool) for n in numbers):
        raise InvalidParameter("filter: BBOX takes four numbers, BBOX(minx,miny,maxx,maxy).", field="filter")
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    x1, y1, x2, y2 = (float(n) for n in numbers)
    return values.Envelope(x1, x2, y1, y2)


def _with_envelopes(node: Any) -> Any:
    """The tree with every BBOX(...) call made an envelope literal, which both evaluators know."""
    if isinstance(node, ast.Function) and node.name.lower() == "bbox":
        return _envelope(node)
    if isinstance(node, list):
        return [_with_envelopes(n) for n in node]
    if isinstance(node, ast.Node):
        for name, value in vars(node).items():
            if isinstance(value, ast.Node | list):
                setattr(node, name, _with_envelopes(value))
    return node


def combine(trees: Iterable[ast.Node | None]) -> ast.Node | None:
    """All the conditions together (AND)."""
    out: ast.Node | None = None
    for tree in trees:
        if tree is not None:
            out = tree if out is None else ast.And(out, tree)
    return out


def equal(name: str, value: Any) -> ast.Node:
    """``name = value``: a queryable given as a query parameter."""
    return ast.Equal(ast.Attribute(name), value)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class _Native(NativeEvaluator):  # type: ignore[misc]
    """pygeofilter's Python evaluator, with geometry literals moved from ``filter-crs`` to WGS84."""

    def __init__(self, *, srid: int) -> None:
        super().__init__(function_map={"lower": _lower}, use_getattr=False, allow_nested_attributes=False)
        self.srid = srid

    @handle(values.Geometry)
    def geometry(self, node: Any) -> Any:
        return self._add_local(literal_geometry(node.__geo_interface__, srid=self.srid))


def python_predicate(tree: ast.Node, *, srid: int = WGS84) -> Callable[[Mapping[str, Any]], bool]:
    """A test of one feature (its properties and ``geometry``, a Shapely geometry in WGS84).
    A comparison with a missing value (a suppressed count, say) is false, as in SQL."""
    test = _Native(srid=srid if srid in (WGS84, BNG) else WGS84).evaluate(tree)

    def matches(item: Mapping[str, Any]) -> bool:
        try:
            return bool(test(item))
        except (TypeError, KeyError, AttributeError):
            return False

    return matches
