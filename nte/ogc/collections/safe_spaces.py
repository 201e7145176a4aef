"""Safe spaces as the public layer shows them (public): every space not withdrawn (verified or not,
said by ``verified``), its opening hours in words (``opening_hours``) and as data (``hours``: the
weekly spans and date overrides, London wall-clock time), and whether it is open now (``open_now``,
with the layer's ``summary``, ``open_until``, ``opens_at`` and ``closed_reason``), computed by the
safe spaces service at the request's time in London ("closed when unsure": stale hours are never
open). ``at`` asks the same at another moment.

The version is the hash of the features as computed: it changes whenever a space does and whenever
an opening status does (at the minute it opens or closes), never otherwise."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import orjson
import shapely
from dateutil.parser import isoparse
from sqlalchemy.orm import Session

from nte.london import LONDON
from nte.ogc.collections.base import ComputedCollection, Context, Feature, Param, Queryable, Version
from nte.ogc.collections.built import Memo, extent_of
from nte.ogc.exceptions import InvalidParameter
from nte.safespaces import service as spaces_service
from nte.safespaces.models import KINDS

#: One request's build, shared by its version() and features() calls (keyed by the request's own
#: session and clock, so never by another request).
_BUILT: Memo[tuple[str, list[Feature]]] = Memo(size=16)


def _moment(ctx: Context) -> datetime:
    text = ctx.extra.get("at")
    if text is None:
        return ctx.now
    try:
        moment = isoparse(text)
    except (ValueError, OverflowError):
        raise InvalidParameter(
            f"at: an ISO date-time such as 2026-12-05T23:30 (London time unless it has an offset), not {text[:40]!r}.",
            field="at",
        ) from None
    return moment.replace(tzinfo=LONDON) if moment.tzinfo is None else moment


class SafeSpacesCollection(ComputedCollection):
    id = "safe-spaces"
    title = "Safe spaces"
    description = (
        "Places to go for help at night (pharmacies, safe havens, charter venues...), as the public safe spaces "
        "map shows them: unverified spaces are listed with verified = false. Opening hours in words "
        "(opening_hours) and as data (hours: weekly [day, opens, closes] in London time, and date overrides), "
        "and open_now at the time of the request in London; at=<ISO date-time> asks for another moment (London "
        "time unless it has an offset). Hours not confirmed recently are never shown as open."
    )
    attribution = spaces_service.NHS_ATTRIBUTION
    site_path = "/safe-spaces"
    queryables = (
        Queryable("name", "string", "Name"),
        Queryable("kind", "string", "Kind of place", enum=KINDS),
        Queryable("postcode", "string", "Postcode"),
        Queryable("verified", "boolean", "Verified by the council"),
        Queryable("is_example", "boolean", "Demo data (an example, not a real safe space)"),
        Queryable("step_free", "boolean", "Step-free access"),
        Queryable("open_now", "boolean", "Open now", "Open at the time of the request (or at the time asked, at)."),
    )
    params = (Param("at", "The moment open_now is for: an ISO date-time, London time unless it has an offset."),)

    def _built(self, session: Session, ctx: Context) -> tuple[str, list[Feature]]:
        at = _moment(ctx)

        def build() -> tuple[str, list[Feature]]:
            rows = spaces_service.public_spaces(session, at=at)
            tag = hashlib.sha256(orjson.dumps(rows)).hexdigest()[:32]
            points = shapely.points([r["geometry"]["coordinates"] for r in rows]) if rows else []
            return tag, [
                Feature(id=r["id"], geometry=point, properties=_properties(r["properties"]))
                for r, point in zip(rows, points, strict=True)
            ]

        return _BUILT.get((id(session), ctx.now, at), build)

    def version(self, session: Session, ctx: Context) -> Version:
        return Version(f"safe-spaces:{self._built(session, ctx)[0]}")

    def features(self, session: Session, ctx: Context) -> list[Feature]:
        return self._built(session, ctx)[1]

    def extent(self, session: Session, ctx: Context) -> dict[str, Any] | None:
        return extent_of(self.features(session, ctx))


def _properties(layer: dict[str, Any]) -> dict[str, Any]:
    """The layer's properties, its ``is_open`` named ``open_now``."""
    out = {k: v for k, v in layer.items() if k != "is_open"}
    out["open_now"] = layer["is_open"]
    return out
