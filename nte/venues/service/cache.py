"""The public GeoJSON's in-process cache: a bounded LRU of built bodies under one lock, keyed by
the register's version (so a change made through any worker is seen by every worker on its next
read) and the filters."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

GEOJSON_CACHE_SIZE = 64


@dataclass(frozen=True)
class CachedGeoJSON:
    body: bytes
    etag: str

    @classmethod
    def of(cls, body: bytes) -> CachedGeoJSON:
        return cls(body=body, etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"')


_geojson_cache: OrderedDict[Hashable, CachedGeoJSON] = OrderedDict()
_geojson_lock = threading.Lock()


def clear_public_cache() -> None:
    with _geojson_lock:
        _geojson_cache.clear()


def cached(key: Hashable, build: Callable[[], bytes]) -> CachedGeoJSON:
    """The body cached under ``key``, or ``build()`` it (outside the lock) and keep it."""
    with _geojson_lock:
        hit = _geojson_cache.get(key)
        if hit is not None:
            _geojson_cache.move_to_end(key)
            return hit
    entry = CachedGeoJSON.of(build())
    with _geojson_lock:
        _geojson_cache[key] = entry
        while len(_geojson_cache) > GEOJSON_CACHE_SIZE:
            _geojson_cache.popitem(last=False)
    return entry
