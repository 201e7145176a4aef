"""What the places API answers with."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

PlaceKind = Literal["postcode", "ward", "venue", "safe_space", "street"]


class PlaceRead(BaseModel):
    label: str = Field(description="What to show: a postcode, a ward, street or venue name")
    kind: PlaceKind
    lon: float = Field(description="WGS84 longitude")
    lat: float = Field(description="WGS84 latitude")
    approximate: bool = Field(description="The point stands for an area (an outward code, a street, a ward)")
    ward_name: str | None = Field(description="The served ward the point falls in, if any")


class PlaceSearchRead(BaseModel):
    count: int
    results: list[PlaceRead]
