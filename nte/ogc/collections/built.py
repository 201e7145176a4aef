"""What a computed collection built: kept per process under the version it was built from (``Memo``,
a small LRU under one lock), so a page of a computed collection costs a lookup, not a rebuild; and
the extent of the features built (``extent_of``). A ``Memo`` key must hold everything the features
depend on (the collection's exact data version, its parameters), so an entry is never stale: a
change of data is a new key."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

import shapely

from nte.ogc.collections.base import Feature
from nte.ogc.crs import CRS84
from nte.spatial.coords import round_coord

T = TypeVar("T")


class Memo(Generic[T]):
    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        """The value kept under ``key``, or ``build()`` it (outside the lock) and keep it."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = build()
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def extent_of(features: Sequence[Feature]) -> dict[str, Any] | None:
    """The features' bounding box as an OGC extent (CRS84), None when there are none."""
    geoms = [f.geometry for f in features if f.geometry is not None]
    if not geoms:
        return None
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    return {"spatial": {"bbox": [[round_coord(v) for v in (minx, miny, maxx, maxy)]], "crs": CRS84}}
