from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from nte.db import Base, utcnow
from nte.spatial import GeometryColumn


class WardSet(Base):
    """One vintage of ward boundaries (London redrew wards in 2014 and 2022)."""

    __tablename__ = "ward_set"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    vintage_date: Mapped[date | None]
    source: Mapped[str] = mapped_column(sa.String(300))
    attribution: Mapped[str] = mapped_column(sa.Text)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    is_active: Mapped[bool] = mapped_column(default=False)


class Ward(Base):
    __tablename__ = "ward"
    __table_args__ = (sa.UniqueConstraint("ward_set_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_set_id: Mapped[int] = mapped_column(sa.ForeignKey("ward_set.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(20), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    borough_code: Mapped[str] = mapped_column(sa.String(20), index=True)
    borough_name: Mapped[str] = mapped_column(sa.String(120))
    area_km2: Mapped[float]
    geom = mapped_column(GeometryColumn("MULTIPOLYGON"), nullable=False)
