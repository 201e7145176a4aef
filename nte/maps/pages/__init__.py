"""Map pages: the officer map (filters, ward choropleth, hotspots, venues, safe spaces, patrol areas),
a ward's figures and trend, the standalone map download, the printable monthly ward report, the
public ward map, and the coordinator's patrol-area view, one module each.

The pages keep the site's strict CSP (no inline script): Leaflet and ``maps-page.js`` are served
from /static and read their layers from ``data-`` attributes. Folium is only used for the
standalone download, which is a separate document with its own sandboxed CSP."""

from __future__ import annotations

from fastapi import APIRouter

from nte.maps.pages import coordinator, export, officer, public, report, ward_panel

#: Every map page (``nte.app`` includes it).
router = APIRouter(include_in_schema=False)
for section in (officer, ward_panel, export, report, public, coordinator):
    router.include_router(section.router)
