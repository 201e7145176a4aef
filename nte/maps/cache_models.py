"""Rendered map data shared by every worker: public ward views (frozen once published) and
officer map bundles (per filter, invalidated by the report data version)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from nte.db import Base, utcnow


class MapCache(Base):
    __tablename__ = "map_cache"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)  # sha256 of kind + parameters
    kind: Mapped[str] = mapped_column(sa.String(20), index=True)  # "public" | "officer"
    label: Mapped[str] = mapped_column(sa.String(120))  # e.g. the public period id
    data_version: Mapped[str] = mapped_column(sa.String(120))
    content_type: Mapped[str] = mapped_column(sa.String(60))
    body: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
