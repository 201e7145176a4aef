"""Response classes and OpenAPI declarations for the non-JSON formats the API serves."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

GEOJSON = "application/geo+json"
CSV = "text/csv"


class GeoJSONResponse(JSONResponse):
    media_type = GEOJSON


def formats(*media_types: str, description: str = "OK") -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route whose 200 answer is in one of these media types."""
    return {
        200: {
            "description": description,
            "content": {m: {"schema": {"type": "object"} if "json" in m else {"type": "string"}} for m in media_types},
        }
    }
