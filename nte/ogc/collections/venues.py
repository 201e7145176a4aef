"""Charter venues as the public directory lists them (public): verified venues only, with the
directory's own properties (``nte.venues.service.directory``: the same rule, the same fields,
nothing an officer or the venue's manager sees besides) and whether the venue displays Ask for
Angela posters, as its public page says.

Computed from the directory service, not read from the table: the directory decides which venues
are listed and what of them is public (today's accreditations, last training, ward names), and
caches it per register version; reading it here keeps the two from drifting apart. The version is
the directory body's own hash (an exact one), with the poster venues."""

from __future__ import annotations

import hashlib
from typing import Any

import shapely
from sqlalchemy.orm import Session

from nte.ogc.collections.base import ComputedCollection, Context, Feature, Param, Queryable, Version
from nte.ogc.collections.built import Memo, extent_of
from nte.venues import service as venues_service
from nte.venues.models import SCHEMES, VENUE_TYPES

_BUILT: Memo[list[Feature]] = Memo()


class VenuesCollection(ComputedCollection):
    id = "venues"
    title = "Charter venues"
    description = (
        "Venues that signed the Women's Night Safety Charter and were verified by the council, as the public "
        "venue directory lists them: type, address, ward, the accreditation schemes held today, the most recent "
        "staff training, the renewal date, and whether the venue displays Ask for Angela posters. "
        "scheme=<scheme> keeps the venues holding that accreditation today."
    )
    geometry_type = "Point"
    site_path = "/venues"
    queryables = (
        Queryable("name", "string", "Venue name"),
        Queryable("venue_type", "string", "Venue type", enum=VENUE_TYPES),
        Queryable("postcode", "string", "Postcode"),
        Queryable("ward_code", "string", "Ward code", "The ONS ward code of the current wards."),
        Queryable("ward_name", "string", "Ward name"),
        Queryable("ask_for_angela", "boolean", "Displays Ask for Angela posters"),
        Queryable(
            "last_training_date",
            "string",
            "Most recent staff training",
            "A London calendar date (YYYY-MM-DD); compare it as text, e.g. last_training_date >= '2026-01-01'.",
            format="date",
        ),
        Queryable(
            "renewal_date", "string", "Charter renewal due", "A London calendar date (YYYY-MM-DD).", format="date"
        ),
    )
    params = (Param("scheme", "Only venues holding this accreditation scheme today.", enum=SCHEMES),)

    def _listed(self, session: Session, ctx: Context) -> tuple[str, Any]:
        scheme = ctx.extra.get("scheme")
        listed = venues_service.public_geojson(
            session,
            ward=None,
            venue_type=None,
            scheme=scheme,
            include_examples=False,
            settings=ctx.settings,
            now=ctx.now,
        )
        posters = sorted(venues_service.angela_poster_venues(session))
        tag = hashlib.sha256(f"{listed.etag}|{posters}".encode()).hexdigest()[:32]
        return tag, (scheme, set(posters))

    def version(self, session: Session, ctx: Context) -> Version:
        return Version(f"venues:{self._listed(session, ctx)[0]}")

    def features(self, session: Session, ctx: Context) -> list[Feature]:
        tag, (scheme, posters) = self._listed(session, ctx)

        def build() -> list[Feature]:
            rows = venues_service.directory(
                session,
                ward=None,
                venue_type=None,
                scheme=scheme,
                include_examples=False,
                settings=ctx.settings,
                now=ctx.now,
            )
            points = shapely.points([r["geometry"]["coordinates"] for r in rows]) if rows else []
            base = ctx.settings.base_url.rstrip("/")
            return sorted(
                (
                    Feature(
                        id=r["id"],
                        geometry=point,
                        properties={
                            **r["properties"],
                            "url": base + r["properties"]["url"],
                            "ask_for_angela": r["id"] in posters,
                        },
                    )
                    for r, point in zip(rows, points, strict=True)
                ),
                key=lambda f: f.id,
            )

        return _BUILT.get((tag, ctx.settings.base_url), build)

    def extent(self, session: Session, ctx: Context) -> dict[str, Any] | None:
        return extent_of(self.features(session, ctx))
