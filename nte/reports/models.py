"""Anonymous reports and imported police records.

Privacy by construction: there is no column that could hold an IP address, user agent, cookie,
account or language; the submission time is stored to the hour; the exact point is kept for
officers (and the ward is assigned from it at ingestion); free text is scrubbed before storage
and purged by the retention job."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nte.db import Base, utcnow
from nte.spatial import GeometryColumn

REPORT_STATUSES = ("new", "accepted", "spam", "duplicate")
REPORT_SOURCES = ("public", "police", "import")
TIME_PRECISIONS = ("exact", "approximate", "month")
LOCATION_PRECISIONS = ("exact", "ward")
#: How reports are named in ``ward_assignment`` (their ward in every vintage).
WARD_SUBJECT = "report"


class Report(Base):
    __tablename__ = "report"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {REPORT_STATUSES!r}", name="status_known"),
        sa.CheckConstraint(f"source IN {REPORT_SOURCES!r}", name="source_known"),
        sa.CheckConstraint(f"time_precision IN {TIME_PRECISIONS!r}", name="time_precision_known"),
        sa.CheckConstraint(f"location_precision IN {LOCATION_PRECISIONS!r}", name="location_precision_known"),
        sa.Index("ix_report_stats", "status", "occurred_at", "ward_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(10), default="public")
    status: Mapped[str] = mapped_column(sa.String(10), default="new", index=True)
    # When it happened (UTC). For month-precision records, the first instant of the month (London).
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    time_precision: Mapped[str] = mapped_column(sa.String(12), default="exact")
    time_band: Mapped[str | None] = mapped_column(sa.String(20))  # e.g. "22:00-02:00" when approximate
    # Submission time, coarsened to the hour at ingestion.
    received_hour: Mapped[datetime]
    # Where: exact point (WGS84) for officers, plus British National Grid metres for fast gridding.
    location_precision: Mapped[str] = mapped_column(sa.String(8), default="exact")
    geom = mapped_column(GeometryColumn("POINT"), nullable=True)
    easting: Mapped[float | None]
    northing: Mapped[float | None]
    ward_code: Mapped[str] = mapped_column(sa.String(20), index=True)
    borough_code: Mapped[str] = mapped_column(sa.String(20), index=True)
    # What: the first category is the main one; all are in report_category.
    main_category: Mapped[str] = mapped_column(sa.String(40), index=True)
    factors: Mapped[str | None] = mapped_column(sa.String(300))  # comma-separated environmental factors
    description: Mapped[str | None] = mapped_column(sa.Text)  # scrubbed; officers only; purged by retention
    description_purged_at: Mapped[datetime | None]
    age_band: Mapped[str | None] = mapped_column(sa.String(10))
    gender: Mapped[str | None] = mapped_column(sa.String(20))
    receipt_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # Imports: the source record's id (police.uk Crime ID) or a content hash, for idempotency.
    external_id: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    import_batch_id: Mapped[int | None] = mapped_column(index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("report.id", ondelete="SET NULL"))
    flagged_near_duplicate: Mapped[bool] = mapped_column(default=False)
    moderated_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    categories: Mapped[list[ReportCategory]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class ReportCategory(Base):
    __tablename__ = "report_category"

    report_id: Mapped[int] = mapped_column(sa.ForeignKey("report.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(sa.String(40), primary_key=True, index=True)


class WardUpdate(Base):
    """ "You said, we did": what the council did in a ward, posted by an officer. Reporters see the
    updates for their report's ward on the status page (by receipt code)."""

    __tablename__ = "report_ward_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_code: Mapped[str] = mapped_column(sa.String(20), index=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    body: Mapped[str] = mapped_column(sa.Text)
    posted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    author_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))


class ReportImport(Base):
    """One import run (CLI or upload): its file, format and summary. ``report.import_batch_id``
    points here. Rows are committed in batches; a re-run skips what earlier runs stored."""

    __tablename__ = "report_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    file_format: Mapped[str] = mapped_column(sa.String(20))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    rows_read: Mapped[int] = mapped_column(default=0)
    inserted: Mapped[int] = mapped_column(default=0)
    already_present: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    actor_label: Mapped[str] = mapped_column(sa.String(254), default="cli")
