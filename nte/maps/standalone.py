"""The officer's map as one self-contained HTML document (the "standalone map" download): the cached
officer bundle, the patrol areas, and what the data covers, rendered by ``nte.maps.render``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shapely.geometry import mapping
from sqlalchemy.orm import Session

from nte.config import Settings
from nte.maps import render as renderer
from nte.maps import statistics as stats_service
from nte.maps.coverage import SourceCoverage
from nte.maps.filters import MapFilter
from nte.patrols import service as patrols


@dataclass(frozen=True)
class StandaloneMap:
    html: str
    #: The Content-Security-Policy the document needs (its own, sandboxed: scripts inline, tiles only).
    csp: str
    filename: str


def _patrol_area_layers(session: Session) -> list[tuple[str, dict[str, Any], str]]:
    areas = list(patrols.list_patrol_areas(session))
    if not areas:
        return []
    features = [{"type": "Feature", "geometry": mapping(a.geometry), "properties": {"name": a.name}} for a in areas]
    return [("Patrol areas", {"type": "FeatureCollection", "features": features}, "#6a3d9a")]


def standalone_map(
    session: Session,
    *,
    flt: MapFilter,
    covered: Sequence[SourceCoverage],
    settings: Settings,
    now: datetime,
    cell_size: float | None = None,
) -> StandaloneMap:
    """The officer map of ``flt`` as one HTML file, titled with what it counts and what the data covers."""
    bundle, _hit = stats_service.officer_map(session, flt=flt, settings=settings, now=now, cell_size=cell_size)
    tile_url = None if settings.tile_url == "none" else settings.tile_url
    html = renderer.standalone_html(
        bundle,
        title=f"NTE Safe ward map ({flt.source_words()}): {flt.describe()}. "
        f"Data covers: {', '.join(c.text for c in covered)}",
        tile_url=tile_url,
        tile_attribution=settings.tile_attribution,
        layers=_patrol_area_layers(session),
    )
    return StandaloneMap(html, renderer.standalone_csp(tile_url), f"nte-map-{flt.date_from}-{flt.date_to}.html")
