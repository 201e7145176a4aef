"""The query parameters of an items request, read and checked before anything touches the database.

Every mistake is a 400 naming the parameter (OGC API - Features /req/core/query-param-invalid and
/query-param-unknown); nothing is silently ignored: a misspelt ``fliter`` would return every feature."""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from dateutil.parser import isoparse
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from nte.ogc.crs import CRS84, parse_crs, srid_of
from nte.ogc.exceptions import InvalidParameter
from nte.spatial.cql import literal_geometry

DEFAULT_LIMIT = 100
#: The most features one page holds (documented in the API definition; QGIS reads it from there).
MAX_LIMIT = 10_000
FILTER_LANGS = ("cql2-text", "cql2-json")
#: Parameters every items request may carry; a collection adds its queryables and its own.
ITEMS_PARAMS = (
    "f",
    "lang",
    "limit",
    "bbox",
    "bbox-crs",
    "crs",
    "datetime",
    "filter",
    "filter-lang",
    "filter-crs",
    "cursor",
)
#: Parameters of a single feature.
FEATURE_PARAMS = ("f", "lang", "crs")
MAX_FILTER_CHARS = 20_000


@dataclass(frozen=True)
class Interval:
    """``datetime``: an instant or a half-open range [start, end] (None: open)."""

    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class ItemsQuery:
    limit: int = DEFAULT_LIMIT
    #: WGS84 area the bbox covers (already transformed from ``bbox-crs``), and the numbers as sent.
    bbox: BaseGeometry | None = None
    bbox_sent: tuple[float, ...] | None = None
    bbox_crs: str = CRS84
    crs: str = CRS84
    datetime: Interval | None = None
    datetime_sent: str | None = None
    filter_text: str | None = None
    filter_lang: str = "cql2-text"
    filter_crs: str = CRS84
    after: Any = None  # the keyset cursor: the last key of the previous page
    #: Queryables given as query parameters (equality), name -> text as sent.
    equals: Mapping[str, str] = field(default_factory=dict)
    #: The collection's own parameters, name -> text as sent.
    extra: Mapping[str, str] = field(default_factory=dict)

    def params(self, *, cursor: str | None = None) -> dict[str, str]:
        """The query parameters that give this request again (``cursor``: the next page's)."""
        out: dict[str, str] = {}
        if self.limit != DEFAULT_LIMIT:
            out["limit"] = str(self.limit)
        if self.bbox_sent is not None:
            # Every digit sent (repr: the shortest text of the same number). ``:g`` kept 6 digits, so a
            # next link's box differed from the first page's (QGIS sends 17) and so did its count.
            out["bbox"] = ",".join(str(int(v)) if v.is_integer() else repr(v) for v in self.bbox_sent)
            if self.bbox_crs != CRS84:
                out["bbox-crs"] = self.bbox_crs
        if self.crs != CRS84:
            out["crs"] = self.crs
        if self.datetime_sent:
            out["datetime"] = self.datetime_sent
        if self.filter_text is not None:
            out["filter"] = self.filter_text
            if self.filter_lang != "cql2-text":
                out["filter-lang"] = self.filter_lang
            if self.filter_crs != CRS84:
                out["filter-crs"] = self.filter_crs
        out.update(self.equals)
        out.update(self.extra)
        if cursor:
            out["cursor"] = cursor
        return out

    def filter_key(self) -> str:
        """Everything that decides which features match (not the page, CRS or format)."""
        params = self.params()
        for name in ("limit", "crs", "cursor"):
            params.pop(name, None)
        return json.dumps(params, sort_keys=True)


def _one(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise InvalidParameter(f"{name}: give it once, not {len(values)} times.", field=name)
    return values[0]


def parse_limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    try:
        limit = int(value)
    except ValueError:
        raise InvalidParameter(
            f"limit: a whole number from 1 to {MAX_LIMIT}, not {value[:40]!r}.", field="limit"
        ) from None
    if limit < 1:
        raise InvalidParameter(f"limit: a whole number from 1 to {MAX_LIMIT}.", field="limit")
    # Above the maximum: the server's maximum (OGC API - Features /rec/core/limit-response).
    return min(limit, MAX_LIMIT)


def parse_bbox(value: str | None, *, srid: int) -> tuple[BaseGeometry | None, tuple[float, ...] | None]:
    if value is None:
        return None, None
    try:
        numbers = tuple(float(p) for p in value.split(","))
    except ValueError:
        raise InvalidParameter(
            "bbox: four numbers, minx,miny,maxx,maxy (or six, with heights).", field="bbox"
        ) from None
    if len(numbers) == 6:  # heights are not stored: ignore them
        flat = (numbers[0], numbers[1], numbers[3], numbers[4])
    elif len(numbers) == 4:
        flat = numbers
    else:
        raise InvalidParameter("bbox: four numbers, minx,miny,maxx,maxy (or six, with heights).", field="bbox")
    if not all(math.isfinite(v) for v in flat):
        raise InvalidParameter("bbox: the numbers must be finite.", field="bbox")
    minx, miny, maxx, maxy = flat
    if miny > maxy:
        raise InvalidParameter("bbox: the lower edge is above the upper edge.", field="bbox")
    if srid != 27700 and (not -90 <= miny <= 90 or not -90 <= maxy <= 90 or abs(minx) > 180 or abs(maxx) > 180):
        raise InvalidParameter("bbox: longitudes run from -180 to 180 and latitudes from -90 to 90.", field="bbox")
    if minx > maxx:
        if srid == 27700:
            raise InvalidParameter("bbox: the left edge is right of the right edge.", field="bbox")
        # Across the antimeridian: nothing NTE Safe stores is there; the two halves cover it.
        area = box(minx, miny, 180, maxy).union(box(-180, miny, maxx, maxy))
    else:
        area = box(minx, miny, maxx, maxy)
    # A box in BNG is not a box in WGS84: densify its edges before moving it.
    if srid == 27700:
        area = literal_geometry(area.segmentize(max(maxx - minx, maxy - miny, 1.0) / 16), srid=srid)
    return area, numbers


def _instant(text: str, *, end: bool) -> datetime:
    try:
        if len(text) == 10:  # a date: the whole day, UTC
            day = date.fromisoformat(text)
            moment = datetime.combine(day + timedelta(days=1) if end else day, time(0), UTC)
            return moment - timedelta(microseconds=1) if end else moment
        moment = isoparse(text)
    except ValueError:
        raise InvalidParameter(
            f"datetime: an RFC 3339 date-time (2016-06-01T22:00:00Z), a date, or an interval "
            f"start/end with .. for an open end, not {text[:60]!r}.",
            field="datetime",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_datetime(value: str | None) -> Interval | None:
    if value is None:
        return None
    if "/" in value:
        start_text, _, end_text = value.partition("/")
        start = None if start_text in ("", "..") else _instant(start_text, end=False)
        end = None if end_text in ("", "..") else _instant(end_text, end=True)
        if start is None and end is None:
            raise InvalidParameter("datetime: at least one end of the interval must be given.", field="datetime")
        if start and end and start > end:
            raise InvalidParameter("datetime: the interval ends before it starts.", field="datetime")
        return Interval(start, end)
    if len(value) == 10:
        return Interval(_instant(value, end=False), _instant(value, end=True))
    moment = _instant(value, end=False)
    return Interval(moment, moment)


def encode_cursor(after: Any, *, start: int | None = None) -> str:
    """The next page's cursor: the key it starts after. ``start`` (HTML pages only) is how many
    features came before it, so the page can say "Showing 101-200"; it never decides what is found."""
    body: dict[str, Any] = {"after": after}
    if start is not None:
        body["start"] = start
    raw = json.dumps(body, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_start(value: str | None) -> int | None:
    """How many features came before the page ``value`` starts (0 without a cursor: the first page;
    None when the cursor does not say, as the JSON next links do not)."""
    if value is None:
        return 0
    try:
        start = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))).get("start")
    except (binascii.Error, ValueError, AttributeError):
        return None
    return start if isinstance(start, int) and not isinstance(start, bool) and start >= 0 else None


def decode_cursor(value: str | None) -> Any:
    if value is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        after = json.loads(raw)["after"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise InvalidParameter("cursor: use the next link of the previous page as it is.", field="cursor") from None
    if not isinstance(after, int | str) or isinstance(after, bool):
        raise InvalidParameter("cursor: use the next link of the previous page as it is.", field="cursor")
    return after


def check_known(params: Mapping[str, list[str]], allowed: Collection[str]) -> None:
    unknown = [name for name in params if name not in allowed]
    if unknown:
        shown = ", ".join(repr(n[:40]) for n in unknown[:5])
        raise InvalidParameter(
            f"{unknown[0][:40]}: this collection takes no parameter called {shown}; it takes "
            + ", ".join(sorted(allowed))
            + ".",
            field=unknown[0][:40],
        )


def parse_items_query(
    params: Mapping[str, list[str]],
    *,
    queryables: Collection[str],
    extra: Collection[str] = (),
) -> ItemsQuery:
    """Read an items request's parameters (``params``: each name with every value sent)."""
    check_known(params, (*ITEMS_PARAMS, *queryables, *extra))
    bbox_crs = parse_crs(_one(params, "bbox-crs"), field="bbox-crs")
    bbox, bbox_sent = parse_bbox(_one(params, "bbox"), srid=srid_of(bbox_crs))
    datetime_sent = _one(params, "datetime")
    filter_text = _one(params, "filter")
    if filter_text is not None and len(filter_text) > MAX_FILTER_CHARS:
        raise InvalidParameter(f"filter: at most {MAX_FILTER_CHARS:,} characters.", field="filter")
    filter_lang = _one(params, "filter-lang") or "cql2-text"
    if filter_lang not in FILTER_LANGS:
        raise InvalidParameter(f"filter-lang: cql2-text or cql2-json, not {filter_lang[:40]!r}.", field="filter-lang")
    equals = {name: value for name in queryables if (value := _one(params, name)) is not None}
    return ItemsQuery(
        limit=parse_limit(_one(params, "limit")),
        bbox=bbox,
        bbox_sent=bbox_sent,
        bbox_crs=bbox_crs,
        crs=parse_crs(_one(params, "crs"), field="crs"),
        datetime=parse_datetime(datetime_sent),
        datetime_sent=datetime_sent,
        filter_text=filter_text,
        filter_lang=filter_lang,
        filter_crs=parse_crs(_one(params, "filter-crs"), field="filter-crs"),
        after=decode_cursor(_one(params, "cursor")),
        equals=equals,
        extra={name: value for name in extra if (value := _one(params, name)) is not None},
    )
