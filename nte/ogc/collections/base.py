"""What a collection is: its id, who may see it, its queryables, and how its features are found.

Two kinds:
- ``SqlCollection``: features are rows (reports, venues, wards). Filters, bbox, datetime and the
  keyset page run in the database (``nte.ogc.repository``); the millionth feature costs what the
  first does.
- ``ComputedCollection``: features a domain service computes (published ward counts, hotspot cells,
  safe spaces' open-now state). Filters run on the computed features, so they can only ever see what
  the collection publishes (a suppressed count stays suppressed, whatever the filter)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, ClassVar, get_args

from dateutil.parser import isoparse
from shapely.geometry.base import BaseGeometry
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import InstrumentedAttribute

from nte.config import Settings
from nte.ogc.exceptions import InvalidParameter


@dataclass(frozen=True)
class Queryable:
    """A property a filter may name (and, as a query parameter, ask to equal a value)."""

    name: str
    type: str  # JSON Schema: string, integer, number, boolean
    title: str
    description: str = ""
    enum: tuple[str, ...] = ()
    format: str | None = None  # "date-time", "date"

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"title": self.title, "type": self.type}
        if self.description:
            out["description"] = self.description
        if self.enum:
            out["enum"] = list(self.enum)
        if self.format:
            out["format"] = self.format
        return out

    def parse(self, text: str) -> Any:
        """A query parameter's text as this queryable's type (400 naming it otherwise)."""
        if self.type == "integer":
            try:
                return int(text)
            except ValueError:
                raise InvalidParameter(f"{self.name}: a whole number, not {text[:40]!r}.", field=self.name) from None
        if self.type == "number":
            try:
                return float(text)
            except ValueError:
                raise InvalidParameter(f"{self.name}: a number, not {text[:40]!r}.", field=self.name) from None
        if self.type == "boolean":
            if text.lower() not in ("true", "false"):
                raise InvalidParameter(f"{self.name}: true or false, not {text[:40]!r}.", field=self.name)
            return text.lower() == "true"
        if self.format == "date-time":
            try:
                moment = isoparse(text)
            except ValueError:
                raise InvalidParameter(
                    f"{self.name}: an RFC 3339 date-time such as 2026-10-01T22:00:00Z, not {text[:40]!r}.",
                    field=self.name,
                ) from None
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        if self.format == "date":
            try:
                return date.fromisoformat(text)
            except ValueError:
                raise InvalidParameter(
                    f"{self.name}: a date such as 2026-10-01, not {text[:40]!r}.", field=self.name
                ) from None
        if self.enum and text not in self.enum:
            raise InvalidParameter(f"{self.name}: one of {', '.join(self.enum)}, not {text[:40]!r}.", field=self.name)
        return text


@dataclass(frozen=True)
class Param:
    """A collection's own query parameter (beyond the standard ones and its queryables)."""

    name: str
    description: str
    enum: tuple[str, ...] = ()


@dataclass(frozen=True)
class Version:
    """What the ETag and Last-Modified headers say: changes whenever the collection's data does."""

    tag: str
    modified: datetime | None = None


@dataclass
class Feature:
    """One feature: its id, geometry (WGS84, Shapely) and properties."""

    id: int | str
    geometry: BaseGeometry | None
    properties: dict[str, Any]


@dataclass
class Page:
    features: list[Feature]
    matched: int | None
    #: The key the next page starts after (None: this is the last page).
    next_after: Any = None


@dataclass(frozen=True)
class Context:
    """What every collection call gets besides the session."""

    settings: Settings
    now: datetime
    #: The caller's role (None: not signed in).
    role: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


class Collection(ABC):
    id: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    #: Who may see it: a role dependency of ``nte.auth.deps`` (``OfficerApi``...), None for everyone.
    #: The router puts it on every route of the collection.
    access: ClassVar[Any] = None
    geometry_type: ClassVar[str] = "Point"
    queryables: ClassVar[tuple[Queryable, ...]] = ()
    #: The queryable ``datetime`` filters on (None: the collection has no time).
    temporal: ClassVar[str | None] = None
    params: ClassVar[tuple[Param, ...]] = ()
    attribution: ClassVar[str | None] = None
    #: JSON Schema type of feature ids.
    key_type: ClassVar[str] = "integer"
    #: Where the same data is on the rest of the site (a path), for the HTML pages.
    site_path: ClassVar[str | None] = None

    @property
    def allowed_roles(self) -> frozenset[str] | None:
        """The roles ``access`` admits (None: everyone)."""
        if self.access is None:
            return None
        return frozenset(get_args(self.access)[1].dependency.allowed_roles)

    @property
    def is_public(self) -> bool:
        return self.access is None

    def visible_to(self, role: str | None) -> bool:
        allowed = self.allowed_roles
        return allowed is None or (role is not None and role in allowed)

    def queryable(self, name: str) -> Queryable:
        return next(q for q in self.queryables if q.name == name)

    def parse_key(self, text: str) -> int | str | None:
        """A feature id from the path (None: it cannot be one of this collection's)."""
        if self.key_type == "integer":
            return int(text) if text.isdigit() and len(text) < 19 else None
        return text if len(text) <= 120 else None

    def check_params(self, extra: Mapping[str, str]) -> None:
        for param in self.params:
            value = extra.get(param.name)
            if value is not None and param.enum and value not in param.enum:
                raise InvalidParameter(
                    f"{param.name}: one of {', '.join(param.enum)}, not {value[:40]!r}.", field=param.name
                )

    @abstractmethod
    def version(self, session: Session, ctx: Context) -> Version: ...

    def extent(self, session: Session, ctx: Context) -> dict[str, Any] | None:
        """The collection's extent document (spatial bbox in CRS84, temporal interval), if known."""
        return None


class SqlCollection(Collection):
    """Rows of one table: ``key`` orders the pages, ``geometry`` is the WGS84 column."""

    @property
    @abstractmethod
    def key(self) -> InstrumentedAttribute[Any]: ...

    @property
    @abstractmethod
    def geometry(self) -> InstrumentedAttribute[Any]: ...

    @abstractmethod
    def columns(self) -> Sequence[ColumnElement[Any] | InstrumentedAttribute[Any]]:
        """The property columns, labelled with the property names they become."""

    @abstractmethod
    def fields(self) -> Mapping[str, Any]:
        """Each queryable's column expression."""

    def conditions(self, session: Session, ctx: Context) -> list[ColumnElement[bool]]:
        """What every page of the collection is limited to (verified venues only, say)."""
        return []

    def properties(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """A row's properties (by default the labelled columns as they are)."""
        return dict(row)


class ComputedCollection(Collection):
    """Features a domain service computes, every one of them, sorted by id."""

    @abstractmethod
    def features(self, session: Session, ctx: Context) -> list[Feature]: ...
