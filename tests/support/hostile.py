"""Hostile inputs that more than one test sends."""

from __future__ import annotations

#: Far past Python's recursion limit (1,000): the JSON decoder itself gives up.
DEEP = 5_000


def nested_geojson_text(depth: int, kind: str) -> str:
    """JSON text ``depth`` levels deep, without building the object (json.dumps would recurse):
    ``feature_collections``, ``geometry_collections`` or (any other kind) nested property objects."""
    if kind == "feature_collections":
        opening, closing = '{"type": "FeatureCollection", "features": [', "]}"
    elif kind == "geometry_collections":
        opening, closing = '{"type": "GeometryCollection", "geometries": [', "]}"
    else:  # a nested object, as a property value
        opening, closing = '{"a": ', "}"
    leaf = '{"type": "Point", "coordinates": [-0.1337, 51.5132]}'
    return opening * depth + leaf + closing * depth
