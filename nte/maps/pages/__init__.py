"""Map pages: the officer map (filters, ward choropleth, hotspots, venues, safe spaces, patrol areas),
a ward's figures and trend, the standalone map download, the printable monthly ward report, the
public ward map, and the coordinator's patrol-area view, one module each (``officer_filter`` and
``layers`` hold what the officer's pages and every map share).

The pages keep the site's strict CSP (no inline script): Leaflet and ``maps-page.js`` are served
from /static and read their layers from ``data-`` attributes. Folium is only used for the
standalone download, which is a separate document with its own sandboxed CSP."""

from __future__ import annotations

from fastapi import APIRouter

from nte.maps.pages import coordinator, export, officer, public, report, ward_panel

#: The page routers in matching order, listed one by one in ``nte.app.ROUTERS``.
ROUTERS: tuple[APIRouter, ...] = (
    officer.router,
    ward_panel.router,
    export.router,
    report.router,
    public.router,
    coordinator.router,
)
