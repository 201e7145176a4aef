"""CQL2 filters (OGC API - Features Part 3): parsed by pygeofilter, checked against the collection's
queryables, then evaluated in SQL (``nte.spatial.cql``) or, for collections computed in Python, on
each feature (pygeofilter's native evaluator).

Only the queryables a collection declares can be named: a filter on any other property is a 400
naming it, never an unfiltered answer, and never a way to reach a column the collection does not
publish."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from lark.exceptions import LarkError
from pygeofilter import ast, values
from pygeofilter.backends.evaluator import handle
from pygeofilter.backends.native.evaluate import NativeEvaluator
from pygeofilter.parsers.cql2_json import parse as parse_cql2_json
from pygeofilter.parsers.cql2_text import parse as parse_cql2_text
from shapely.geometry import box, mapping, shape

from nte.ogc.exceptions import InvalidParameter
from nte.spatial.cql import literal_geometry
from nte.spatial.geometry import BNG, WGS84, load_geojson

#: The geometry of every feature, as filters name it.
GEOMETRY = "geometry"


def _walk(node: Any) -> Iterable[Any]:
    yield node
    children = node.get_sub_nodes() if hasattr(node, "get_sub_nodes") else []
    for child in children or []:
        if isinstance(child, list | tuple):
            for item in child:
                yield from _walk(item)
        elif child is not None:
            yield from _walk(child)


def _bbox_polygon(numbers: Any) -> dict[str, Any]:
    """A CQL2 bbox literal (minx, miny, maxx, maxy; or with a min and max height) as its polygon."""
    if (
        not isinstance(numbers, list | tuple)
        or len(numbers) not in (4, 6)
        or not all(isinstance(n, int | float) and not isinstance(n, bool) for n in numbers)
    ):
        raise InvalidParameter("filter: a bbox is 4 numbers: minx, miny, maxx, maxy (6 with heights).", field="filter")
    minx, miny, maxx, maxy = (numbers[0], numbers[1], numbers[3], numbers[4]) if len(numbers) == 6 else numbers
    return dict(mapping(box(minx, miny, maxx, maxy)))


def _json_bboxes(node: Any) -> Any:
    """cql2-json with each ``{"bbox": [...]}`` as its polygon: pygeofilter 0.4.0 reads it as
    ``Envelope(*bbox)``, whose fields are (x1, x2, y1, y2), so miny would become a longitude."""
    if isinstance(node, dict):
        if set(node) == {"bbox"}:
            return _bbox_polygon(node["bbox"])
        return {key: _json_bboxes(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_json_bboxes(value) for value in node]
    return node


def _text_bboxes(node: Any) -> Any:
    """cql2-text with each ``BBOX(...)`` as its polygon (pygeofilter 0.4.0 reads it as a function)."""
    if isinstance(node, ast.Function) and node.name.lower() == "bbox":
        return values.Geometry(_bbox_polygon(node.arguments))
    if isinstance(node, ast.Node) and dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            setattr(node, f.name, [_text_bboxes(v) for v in value] if isinstance(value, list) else _text_bboxes(value))
    return node


def _check_wgs84(tree: ast.Node) -> None:
    """Geometry literals in CRS84 (the default filter-crs) are longitudes and latitudes: a point
    beyond them is a mistake (coordinates in another CRS, say), a 400 rather than no features."""
    for node in _walk(tree):
        if isinstance(node, values.Geometry):
            minx, miny, maxx, maxy = shape(node.__geo_interface__).bounds
            if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
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
            tree = _text_bboxes(parse_cql2_text(text))
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
        if isinstance(node, ast.Function):
            raise InvalidParameter(f"filter: the function {node.name[:60]!r} is not supported here.", field="filter")
    if srid == WGS84:
        _check_wgs84(tree)
    return tree


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


class _Native(NativeEvaluator):  # type: ignore[misc]
    """pygeofilter's Python evaluator, with geometry literals moved from ``filter-crs`` to WGS84."""

    def __init__(self, *, srid: int) -> None:
        super().__init__(use_getattr=False, allow_nested_attributes=False)
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
