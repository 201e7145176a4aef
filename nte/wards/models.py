"""Ward sets (one per vintage), their wards, which vintage is current in each borough, and the
ward every located record falls in, in every vintage."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from nte.db import Base, utcnow
from nte.spatial import GeometryColumn


class WardSet(Base):
    """One vintage of ward boundaries (London redrew wards in 2014 and 2022). Its wards may be added
    one borough at a time; ``version`` counts those changes (caches of the set are keyed by it)."""

    __tablename__ = "ward_set"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    #: The key used everywhere a vintage is chosen (``vintage=2022-05``): the month the boundaries took effect.
    vintage: Mapped[str] = mapped_column(sa.String(20), index=True, unique=True)
    vintage_date: Mapped[date | None]
    source: Mapped[str] = mapped_column(sa.String(300))
    attribution: Mapped[str] = mapped_column(sa.Text)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Current for at least one borough (kept in step with ``ward_current``).
    is_active: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)


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


class CurrentWards(Base):
    """Which vintage is current in a borough: new records are checked against it and figures are
    given in it unless another vintage is asked for."""

    __tablename__ = "ward_current"

    borough_code: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    ward_set_id: Mapped[int] = mapped_column(sa.ForeignKey("ward_set.id", ondelete="CASCADE"), index=True)
    since: Mapped[datetime] = mapped_column(default=utcnow)


class WardAssignment(Base):
    """The ward a located record (``subject``: report, venue, safe_space) falls in, in one ward set.
    ``ward_code`` is NULL when the record lies outside that set's wards (so a bulk assignment can
    resume: every record it has looked at has a row). The primary key (subject, set, record) is the
    only index: every read names all three (a record's wards: the set ids listed), and a bulk write
    maintains nothing else."""

    __tablename__ = "ward_assignment"

    subject: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    ward_set_id: Mapped[int] = mapped_column(sa.ForeignKey("ward_set.id", ondelete="CASCADE"), primary_key=True)
    subject_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    ward_code: Mapped[str | None] = mapped_column(sa.String(20))
    borough_code: Mapped[str | None] = mapped_column(sa.String(20))
