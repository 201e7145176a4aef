"""Postcode points: where each UK postcode is, from an open source loaded here (ONS Postcode
Directory, OS Code-Point Open) or derived from the shipped demo data. No third party is asked.

``postcode`` is the normalised form (``nte.postcodes.normalise_postcode``: "SW1A 1AA"); ``outward``
("SW1A") and ``sector`` ("SW1A 1") are kept beside it so that an outward code or a sector typed alone
finds the mean of its points with an indexed look-up, on SpatiaLite and PostGIS alike."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from nte.db import Base, utcnow
from nte.spatial import GeometryColumn

#: Where a postcode's point came from.
SOURCES = ("onspd", "codepoint-open", "demo-derived")


class PlacePostcode(Base):
    __tablename__ = "place_postcode"
    __table_args__ = (sa.CheckConstraint(f"source IN {SOURCES!r}", name="source_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    postcode: Mapped[str] = mapped_column(sa.String(8), unique=True)  # "SW1A 1AA"
    outward: Mapped[str] = mapped_column(sa.String(4), index=True)  # "SW1A"
    sector: Mapped[str] = mapped_column(sa.String(6), index=True)  # "SW1A 1"
    geom = mapped_column(GeometryColumn("POINT"), nullable=False)
    source: Mapped[str] = mapped_column(sa.String(20))
    # The point stands for the postcode only roughly (a mean of a few addresses, a sector mean).
    approximate: Mapped[bool] = mapped_column(default=False)
    # ONSPD's ``doterm``: the month the postcode was withdrawn (kept: people still type old ones).
    terminated_date: Mapped[date | None]
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
