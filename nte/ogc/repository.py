"""The SQL behind a ``SqlCollection``'s pages: every condition in one statement, keyset paging on
the collection's key (``WHERE key > :after ORDER BY key LIMIT n + 1``: an index range scan, so a
page deep in a million rows costs what the first does; no OFFSET)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import shapely
import sqlalchemy as sa
from pygeofilter import ast
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from nte.ogc.collections.base import Context, Feature, SqlCollection
from nte.ogc.query import Interval, ItemsQuery
from nte.spatial.cql import bbox_condition, cql_condition
from nte.spatial.queries import extent_of


def _datetime_condition(column: Any, interval: Interval) -> ColumnElement[bool]:
    parts = []
    if interval.start is not None:
        parts.append(column >= interval.start)
    if interval.end is not None:
        parts.append(column <= interval.end)
    return sa.and_(*parts)


def conditions(
    session: Session,
    collection: SqlCollection,
    query: ItemsQuery,
    tree: ast.Node | None,
    ctx: Context,
    *,
    srid: int,
) -> list[ColumnElement[bool]]:
    where = list(collection.conditions(session, ctx))
    if query.bbox is not None:
        where.append(bbox_condition(session, collection.geometry, query.bbox))
    if query.datetime is not None and collection.temporal:
        where.append(_datetime_condition(collection.fields()[collection.temporal], query.datetime))
    if tree is not None:
        fields = {**collection.fields(), "geometry": collection.geometry}
        where.append(cql_condition(session, tree, fields=fields, geometry=collection.geometry, srid=srid))
    return where


def count(session: Session, collection: SqlCollection, where: Sequence[ColumnElement[bool]]) -> int:
    return int(
        session.execute(sa.select(sa.func.count()).select_from(collection.key.class_).where(*where)).scalar_one()
    )


#: The labels of the key and geometry columns every page selects first.
_OWN = ("_key", "_wkb")


def _features(collection: SqlCollection, rows: Sequence[Any], names: Sequence[str]) -> list[Feature]:
    """Features of the rows (key, WKB, then the property columns called ``names``)."""
    if not rows:
        return []
    blobs = [bytes(r[1]) if r[1] is not None else None for r in rows]
    geoms = shapely.from_wkb(blobs)
    return [
        Feature(id=row[0], geometry=geom, properties=collection.properties(dict(zip(names, row[2:], strict=True))))
        for row, geom in zip(rows, geoms, strict=True)
    ]


def _select(collection: SqlCollection) -> sa.Select[Any]:
    return sa.select(
        collection.key.label("_key"), sa.func.ST_AsBinary(collection.geometry).label("_wkb"), *collection.columns()
    )


def page(
    session: Session,
    collection: SqlCollection,
    where: Sequence[ColumnElement[bool]],
    *,
    after: Any,
    limit: int,
) -> tuple[list[Feature], Any]:
    """Up to ``limit`` features after the key ``after``, and the key the next page starts after."""
    stmt = _select(collection).where(*where)
    if after is not None:
        stmt = stmt.where(collection.key > after)
    result = session.execute(stmt.order_by(collection.key).limit(limit + 1))
    names = list(result.keys())[len(_OWN) :]
    rows = result.all()
    more = len(rows) > limit
    rows = rows[:limit]
    features = _features(collection, rows, names)
    return features, (rows[-1][0] if more else None)


def one(session: Session, collection: SqlCollection, key: Any, ctx: Context) -> Feature | None:
    stmt = _select(collection).where(collection.key == key, *collection.conditions(session, ctx))
    result = session.execute(stmt)
    names = list(result.keys())[len(_OWN) :]
    found = _features(collection, result.all(), names)
    return found[0] if found else None


def extent(
    session: Session, collection: SqlCollection, ctx: Context
) -> tuple[tuple[float, ...] | None, tuple[Any, Any]]:
    """The collection's bounding box (WGS84) and, if it has time, its first and last instant."""
    where = collection.conditions(session, ctx)
    box = extent_of(session, collection.geometry, *where)
    span: tuple[Any, Any] = (None, None)
    if collection.temporal:
        column = collection.fields()[collection.temporal]
        first, last = session.execute(
            sa.select(sa.func.min(column), sa.func.max(column)).select_from(collection.key.class_).where(*where)
        ).one()
        span = (first, last)
    return box, span
