"""Ward boundaries, one collection per vintage (public): the wards in force today, and the
December 2013 wards the 2016 police.uk data was published in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import InstrumentedAttribute

from nte.ogc.collections.base import Context, Queryable, SqlCollection, Version
from nte.wards.models import Ward, WardSet

WARDS_ATTRIBUTION = (
    "Ward boundaries: Office for National Statistics / Greater London Authority. Contains National Statistics "
    "data and OS data © Crown copyright and database right, licensed under the Open Government Licence v3.0."
)


class WardsCollection(SqlCollection):
    geometry_type: ClassVar[str] = "MultiPolygon"
    key_type: ClassVar[str] = "string"
    attribution = WARDS_ATTRIBUTION
    site_path = "/map"
    queryables = (
        Queryable("code", "string", "Ward code", "The ONS ward code (GSS), e.g. E05013806."),
        Queryable("name", "string", "Ward name"),
        Queryable("borough_code", "string", "Borough code", "The ONS local authority district code."),
        Queryable("borough_name", "string", "Borough name"),
        Queryable("area_km2", "number", "Area (km²)"),
    )

    def __init__(self, vintage: str, title: str) -> None:
        self.vintage = vintage
        self.id = f"wards-{vintage}"  # type: ignore[misc]
        self.title = title  # type: ignore[misc]
        self.description = (  # type: ignore[misc]
            f"Ward boundaries of the {vintage} vintage in the boroughs this service covers. Reports are placed in "
            "a ward of every vintage from their exact point."
        )

    @property
    def key(self) -> InstrumentedAttribute[Any]:
        return Ward.code

    @property
    def geometry(self) -> InstrumentedAttribute[Any]:
        return Ward.geom

    def columns(self) -> Sequence[Any]:
        return [
            Ward.code.label("code"),
            Ward.name.label("name"),
            Ward.borough_code.label("borough_code"),
            Ward.borough_name.label("borough_name"),
            Ward.area_km2.label("area_km2"),
        ]

    def fields(self) -> Mapping[str, Any]:
        return {
            "code": Ward.code,
            "name": Ward.name,
            "borough_code": Ward.borough_code,
            "borough_name": Ward.borough_name,
            "area_km2": Ward.area_km2,
        }

    def conditions(self, session: Session, ctx: Context) -> list[ColumnElement[bool]]:
        of_vintage = sa.select(WardSet.id).where(WardSet.vintage == self.vintage).scalar_subquery()
        return [Ward.ward_set_id == of_vintage, Ward.borough_code.in_(list(ctx.settings.boroughs))]

    def properties(self, row: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(row)
        out["area_km2"] = round(float(out["area_km2"]), 3)
        out["vintage"] = self.vintage
        return out

    def version(self, session: Session, ctx: Context) -> Version:
        row = session.execute(
            sa.select(WardSet.id, WardSet.version, WardSet.imported_at).where(WardSet.vintage == self.vintage)
        ).first()
        if row is None:
            return Version(f"{self.id}:none")
        return Version(f"{self.id}:{row[0]}:{row[1]}:{','.join(sorted(ctx.settings.boroughs))}", row[2])
