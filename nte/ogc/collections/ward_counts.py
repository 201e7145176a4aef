"""Published ward counts (public): the public map's figures, exactly as it publishes them
(``nte.maps.public``): the fixed periods it offers only (months, quarters, years), each source on
its own (public reports, police-recorded crime: never added together), every count below the
threshold suppressed (null, "fewer than 10") and the rest rounded to 5, quarters and years the
sums of their months' published figures. One feature per period x source x ward.

Nothing here counts a report: the features are the map's frozen published views, so a filter,
a bbox or any pair of requests can only select among published figures, never compute a new one.
``period`` and ``source`` choose among the offered ones; there is no date-range parameter."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from nte.maps import public as public_maps
from nte.ogc.collections.base import ComputedCollection, Context, Feature, Param, Queryable, Version
from nte.ogc.collections.built import Memo, extent_of
from nte.ogc.collections.wards import WARDS_ATTRIBUTION
from nte.ogc.exceptions import InvalidParameter
from nte.spatial.geometry import shape_from_geojson

_BUILT: Memo[list[Feature]] = Memo(size=8)
_SOURCES = tuple(public_maps.PUBLIC_SOURCES)


class WardCountsCollection(ComputedCollection):
    id = "public-ward-counts"
    title = "Published ward counts"
    description = (
        "The public map's published figures: per ward, fixed period (the last 12 full months, 4 quarters, 2 "
        "years and earlier full years) and source (public: reports made to NTE Safe; police: police.uk "
        "street-level crime), each source on its own. A count below the suppression threshold is null and "
        "shown as 'fewer than N'; other counts are rounded to the nearest 5; a quarter or a year is the sum of "
        "its months' published figures (months_below_threshold says how many were suppressed). Moderated "
        "reports only. period=<id> and source=public|police choose; the periods offered are listed in the "
        "period parameter's description and in every feature. Feature ids are period:source:ward."
    )
    geometry_type = "MultiPolygon"
    key_type = "string"
    attribution = f"{WARDS_ATTRIBUTION} {public_maps.POLICE_ATTRIBUTION}"
    site_path = "/map"
    queryables = (
        Queryable("period_kind", "string", "Kind of period", enum=tuple(public_maps.KIND_ORDER)),
        Queryable("ward_code", "string", "Ward code"),
        Queryable("ward_name", "string", "Ward name"),
        Queryable("borough_name", "string", "Borough name"),
        Queryable("count", "integer", "Published count", "Null when suppressed (below the threshold)."),
        Queryable("months_below_threshold", "integer", "Months suppressed in the period"),
        Queryable("class", "integer", "Map class (0 = fewer than the threshold ... 4 = 100 or more)"),
    )
    params = (
        Param(
            "period",
            "One of the periods offered: month-YYYY-MM, quarter-YYYY-Qn or year-YYYY (the public map's list); "
            "any other is refused.",
        ),
        Param("source", "public (reports made to NTE Safe) or police (police.uk).", enum=_SOURCES),
    )

    def _chosen(self, session: Session, ctx: Context) -> tuple[public_maps.PublishedStamp, list[Any], list[str]]:
        stamp = public_maps.published_stamp(session, settings=ctx.settings, now=ctx.now)
        periods = stamp.periods
        period_id = ctx.extra.get("period")
        if period_id is not None:
            periods = [p for p in periods if p.id == period_id]
            if not periods:
                offered = ", ".join(p.id for p in stamp.periods)
                raise InvalidParameter(
                    f"period: one of the periods offered ({offered}), not {period_id[:40]!r}.", field="period"
                )
        source = ctx.extra.get("source")
        return stamp, periods, [source] if source else list(_SOURCES)

    def version(self, session: Session, ctx: Context) -> Version:
        stamp, periods, sources = self._chosen(session, ctx)
        return Version(f"{self.id}:{stamp.token}", stamp.published_at)

    def features(self, session: Session, ctx: Context) -> list[Feature]:
        stamp, periods, sources = self._chosen(session, ctx)
        key = (
            str(session.get_bind().engine.url),
            stamp.token,
            tuple(sorted(ctx.settings.boroughs)),
            ctx.settings.public_suppression_threshold,
            tuple(p.id for p in periods),
            tuple(sources),
        )
        if any(p.id in stamp.due for p in periods):
            # Published by this build, in this transaction: kept only once it is (a later request
            # finds it under its publication time), never under "due".
            return _build(session, ctx, periods, sources)
        return _BUILT.get(key, lambda: _build(session, ctx, periods, sources))

    def extent(self, session: Session, ctx: Context) -> dict[str, Any] | None:
        """The served wards' extent, from the newest period (an older one keeps the wards of its day, in
        the same boroughs)."""
        newest = public_maps.published_stamp(session, settings=ctx.settings, now=ctx.now).periods[0]
        extra = {"period": newest.id, "source": _SOURCES[0]}
        return extent_of(self.features(session, Context(settings=ctx.settings, now=ctx.now, extra=extra)))


def _build(session: Session, ctx: Context, periods: list[Any], sources: list[str]) -> list[Feature]:
    shapes: dict[tuple[str, str], Any] = {}  # one Shapely ward per ward set, shared by its periods
    out = []
    for period in periods:
        view = public_maps.published_view(session, period_id=period.id, settings=ctx.settings, now=ctx.now)
        for source in sources:
            shown = public_maps.for_source(view, source)
            for f in shown["features"]:
                p = f["properties"]
                shape_key = (str(shown.get("ward_set")), p["code"])
                if shape_key not in shapes:
                    shapes[shape_key] = shape_from_geojson(f["geometry"]) if f.get("geometry") else None
                out.append(
                    Feature(
                        id=f"{period.id}:{source}:{p['code']}",
                        geometry=shapes[shape_key],
                        properties={
                            "period": period.id,
                            "period_label": period.label,
                            "period_kind": period.kind,
                            "period_start": period.start.isoformat(),
                            "period_end": period.end.isoformat(),
                            "source": source,
                            "source_label": public_maps.PUBLIC_SOURCE_LABELS[source],
                            "ward_code": p["code"],
                            "ward_name": p["name"],
                            "borough_name": p["borough_name"],
                            "count": p["value"],
                            "months_below_threshold": p["months_below_threshold"],
                            "shown": p["shown"],
                            "class": p["class"],
                            "fill": p["fill"],
                            "published_on": shown.get("published_on"),
                        },
                    )
                )
    return sorted(out, key=lambda f: str(f.id))
