"""How precisely coordinates leave the service: one rounding for every GeoJSON, CSV and JSON answer.

Six decimal places of a degree are about 0.1 m in London: exact enough for any map, and no
float noise (``-0.13419999999999999``) in exports."""

from __future__ import annotations

COORD_DECIMALS = 6


def round_coord(value: float) -> float:
    """A longitude or latitude as the service shows it."""
    return round(float(value), COORD_DECIMALS)


def rounded_point(lon: float, lat: float) -> list[float]:
    """A GeoJSON position ``[lon, lat]``, rounded."""
    return [round_coord(lon), round_coord(lat)]
