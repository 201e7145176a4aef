"""Answer /ogc requests: which collections a caller sees, and a page of one collection's features.

No web types here: the router reads the request into an ``ItemsQuery`` and writes the answer."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from pygeofilter import ast
from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth.models import User
from nte.london import london_moment, london_today
from nte.ogc import cql
from nte.ogc import repository as repo
from nte.ogc.collections import COLLECTIONS
from nte.ogc.collections.base import Collection, ComputedCollection, Context, Feature, SqlCollection, Version
from nte.ogc.crs import CRS84, srid_of
from nte.ogc.exceptions import UnknownCollection, UnknownFeature
from nte.ogc.query import ItemsQuery, encode_cursor
from nte.spatial.coords import round_coord


@dataclass
class ItemsAnswer:
    features: list[Feature]
    matched: int
    next_cursor: str | None
    version: Version


def visible(role: str | None) -> list[Collection]:
    """The collections a caller with ``role`` (None: not signed in) may see, in the order listed."""
    return [c for c in COLLECTIONS if c.visible_to(role)]


def get_collection(collection_id: str) -> Collection:
    for collection in COLLECTIONS:
        if collection.id == collection_id:
            return collection
    raise UnknownCollection(f"There is no collection {collection_id[:80]!r} here.", field="collectionId")


# Each SQL collection's extent, per data version (a scan of the table: once per change, not per request).
_EXTENTS: dict[tuple[str, str], dict[str, Any] | None] = {}
_EXTENTS_LOCK = threading.Lock()
_TRS = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"


def _iso(moment: Any) -> str | None:
    if moment is None:
        return None
    if getattr(moment, "tzinfo", None) is None:
        moment = moment.replace(tzinfo=UTC)
    return str(moment.astimezone(UTC).isoformat().replace("+00:00", "Z"))


def extent(session: Session, collection: Collection, ctx: Context) -> dict[str, Any] | None:
    """The collection's extent document: its bounding box in CRS84 and, if it has time, its interval."""
    if not isinstance(collection, SqlCollection):
        return collection.extent(session, ctx)
    key = (collection.id, collection.version(session, ctx).tag)
    with _EXTENTS_LOCK:
        if key in _EXTENTS:
            return _EXTENTS[key]
    box, (first, last) = repo.extent(session, collection, ctx)
    doc: dict[str, Any] | None = None
    if box is not None:
        doc = {"spatial": {"bbox": [[round_coord(v) for v in box]], "crs": CRS84}}
        if collection.temporal:
            doc["temporal"] = {"interval": [[_iso(first), _iso(last)]], "trs": _TRS}
    with _EXTENTS_LOCK:
        if len(_EXTENTS) > 256:
            _EXTENTS.clear()
        _EXTENTS[key] = doc
    return doc


def filter_tree(collection: Collection, query: ItemsQuery) -> ast.Node | None:
    """``filter`` and the queryables given as parameters, as one condition."""
    names = [q.name for q in collection.queryables]
    trees: list[ast.Node | None] = []
    if query.filter_text is not None:
        srid = srid_of(query.filter_crs)
        trees.append(cql.parse_filter(query.filter_text, lang=query.filter_lang, queryables=names, srid=srid))
    for name, text in query.equals.items():
        trees.append(cql.equal(name, collection.queryable(name).parse(text)))
    return cql.combine(trees)


# numberMatched of a filter, per collection data version: paging through a million features
# counts them once, not once per page. Small and per process.
_COUNTS: OrderedDict[tuple[str, str, str], int] = OrderedDict()
_COUNTS_LOCK = threading.Lock()
_COUNTS_SIZE = 512


def _cached_count(key: tuple[str, str, str]) -> int | None:
    with _COUNTS_LOCK:
        if key in _COUNTS:
            _COUNTS.move_to_end(key)
            return _COUNTS[key]
    return None


def _remember_count(key: tuple[str, str, str], value: int) -> None:
    with _COUNTS_LOCK:
        _COUNTS[key] = value
        while len(_COUNTS) > _COUNTS_SIZE:
            _COUNTS.popitem(last=False)


def _sql_items(
    session: Session,
    collection: SqlCollection,
    query: ItemsQuery,
    tree: ast.Node | None,
    ctx: Context,
    version: Version,
) -> ItemsAnswer:
    where = repo.conditions(session, collection, query, tree, ctx, srid=srid_of(query.filter_crs))
    features, next_after = repo.page(session, collection, where, after=query.after, limit=query.limit)
    key = (collection.id, version.tag, query.filter_key())
    matched = _cached_count(key)
    if matched is None:
        if query.after is None and next_after is None:
            matched = len(features)  # the whole answer is on this page
        else:
            matched = repo.count(session, collection, where)
        _remember_count(key, matched)
    return ItemsAnswer(features, matched, encode_cursor(next_after) if next_after is not None else None, version)


def _in_interval(value: Any, query: ItemsQuery) -> bool:
    interval = query.datetime
    if interval is None:
        return True
    if value is None:
        return False
    return (interval.start is None or value >= interval.start) and (interval.end is None or value <= interval.end)


def _computed_items(
    session: Session,
    collection: ComputedCollection,
    query: ItemsQuery,
    tree: ast.Node | None,
    ctx: Context,
    version: Version,
) -> ItemsAnswer:
    found: Sequence[Feature] = collection.features(session, ctx)
    if query.bbox is not None:
        found = [f for f in found if f.geometry is not None and f.geometry.intersects(query.bbox)]
    if query.datetime is not None and collection.temporal:
        found = [f for f in found if _in_interval(f.properties.get(collection.temporal), query)]
    if tree is not None:
        matches = cql.python_predicate(tree, srid=srid_of(query.filter_crs))
        found = [f for f in found if matches({**f.properties, cql.GEOMETRY: f.geometry})]
    matched = len(found)
    if query.after is not None:
        after = query.after
        found = [f for f in found if _after(f.id, after)]
    page = list(found[: query.limit])
    more = len(found) > query.limit
    cursor = encode_cursor(page[-1].id) if more and page else None
    return ItemsAnswer(page, matched, cursor, version)


def _after(key: int | str, after: Any) -> bool:
    try:
        return bool(key > after)
    except TypeError:
        return str(key) > str(after)


def items(session: Session, collection: Collection, query: ItemsQuery, ctx: Context) -> ItemsAnswer:
    """One page of the collection's features that match ``query``."""
    collection.check_params(query.extra)
    tree = filter_tree(collection, query)
    version = collection.version(session, ctx)
    if isinstance(collection, SqlCollection):
        return _sql_items(session, collection, query, tree, ctx, version)
    assert isinstance(collection, ComputedCollection)
    return _computed_items(session, collection, query, tree, ctx, version)


def feature(session: Session, collection: Collection, feature_id: str, ctx: Context) -> tuple[Feature, Version]:
    version = collection.version(session, ctx)
    key = collection.parse_key(feature_id)
    found: Feature | None = None
    if key is not None:
        if isinstance(collection, SqlCollection):
            found = repo.one(session, collection, key, ctx)
        else:
            assert isinstance(collection, ComputedCollection)
            found = next((f for f in collection.features(session, ctx) if f.id == key), None)
    if found is None:
        raise UnknownFeature(
            f"There is no feature {feature_id[:80]!r} in the collection {collection.id}.", field="featureId"
        )
    return found, version


def record_read(
    session: Session, collection: Collection, *, actor: User | None, params: dict[str, str], now: datetime
) -> None:
    """Restricted data read into a GIS tool is a copy on someone's desktop: the audit log records, once
    a London day per person and collection, who read it and with which first filter (as exports are
    recorded). Public collections are not recorded."""
    if collection.is_public or actor is None:
        return
    day_start = london_moment(london_today(now), time(0))
    audit.record_once_since(
        session,
        actor=actor,
        action="ogc.read",
        target_type="ogc_collection",
        target_id=collection.id,
        since=day_start,
        detail={k: v for k, v in params.items() if k != "cursor"},
        at=now,
    )
