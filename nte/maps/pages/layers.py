"""The layers every map page draws besides its own figures (venues, safe spaces, patrol areas)."""

from __future__ import annotations


def layer_urls() -> dict[str, str]:
    return {
        "venues": "/api/venues.geojson",
        "safe_spaces": "/api/safe-spaces.geojson",
        "patrol_areas": "/api/patrols/areas.geojson",
        "example_venues": "/api/venues.geojson?examples=true",
    }


# Unverified example venues (demo data: real pubs that have NOT signed), clearly labelled and off
# by default, so a demo map looks realistic without claiming anything about them.
EXAMPLE_VENUES_LAYER = {
    "name": "Example venues (demo data, not signed)",
    "kind": "points",
    "colour": "#6f777b",
    "only": "example",
    "hidden": True,
}
