"""Safe spaces: places someone can go at night for help, with their opening hours.

A charter venue can also be a safe space (one place, two roles): then ``venue_id`` is set and the
name, address, postcode and location are the venue's (these columns stay NULL here, so they are
never duplicated). Otherwise the safe space holds them itself.

Opening hours are the JSON form of :class:`nte.safespaces.hours.Schedule`; ``hours_confirmed_date``
drives "closed when unsure"."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, validates

from nte.db import Base, JSONType, utcnow
from nte.safespaces.hours import ANY_WEEK_HOUR, NO_WEEK_HOUR, InvalidHours, Schedule, week_hours
from nte.spatial import GeometryColumn

#: How safe spaces are named in ``ward_assignment`` (their ward in every vintage).
WARD_SUBJECT = "safe_space"
KINDS = ("pharmacy", "safe_haven", "charter_venue", "community_centre", "transport_hub", "other")
STATUSES = ("unverified", "verified", "withdrawn")
SOURCES = ("manual", "import", "demo")
PROPOSAL_STATUSES = ("pending", "approved", "rejected")

#: Westminster's night-time Safe Haven checklist (PRODUCT.md), as stable keys.
HELP_ITEMS = (
    "staff_on_duty",
    "trained_staff",
    "water",
    "phone_for_calls",
    "cctv",
    "toilets",
    "first_aid",
    "phone_charging",
    "lockable_room",
    "private_seating",
)
CODEWORDS = ("ask_for_ani", "ask_for_angela")


class SafeSpace(Base):
    __tablename__ = "safe_space"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {KINDS!r}", name="kind_known"),
        sa.CheckConstraint(f"status IN {STATUSES!r}", name="status_known"),
        sa.CheckConstraint(f"source IN {SOURCES!r}", name="source_known"),
        # Either the venue's identity, or its own - never both, never neither.
        sa.CheckConstraint(
            "(venue_id IS NOT NULL AND name IS NULL AND address IS NULL AND postcode IS NULL AND geom IS NULL)"
            " OR (venue_id IS NULL AND name IS NOT NULL AND geom IS NOT NULL)",
            name="identity_from_venue_or_own",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venue.id"), unique=True)
    name: Mapped[str | None] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20), index=True)
    address: Mapped[str | None] = mapped_column(sa.String(300))
    postcode: Mapped[str | None] = mapped_column(sa.String(10))
    geom = mapped_column(GeometryColumn("POINT"), nullable=True)
    phone: Mapped[str | None] = mapped_column(sa.String(30))
    access_note: Mapped[str | None] = mapped_column(sa.String(300))  # "ring the bell at the side door"
    help_offered: Mapped[list[str]] = mapped_column(JSONType, default=list)
    codewords: Mapped[list[str]] = mapped_column(JSONType, default=list)
    step_free: Mapped[bool | None]
    languages: Mapped[list[str]] = mapped_column(JSONType, default=list)
    hours: Mapped[dict[str, Any] | None] = mapped_column(JSONType)  # Schedule.to_json(); None = unknown
    hours_confirmed_date: Mapped[date | None] = mapped_column(index=True)
    # Derived from ``hours`` (kept in step by ``_derive_week_hours``): one character per hour of
    # the London week, "1" where the space may be open then. Lets "nearest open" searches skip,
    # inside the spatial index scan, the places that are surely closed at that hour; the hours
    # engine still decides. Rows written outside the ORM get the server default: "maybe, always".
    week_hours: Mapped[str] = mapped_column(sa.String(168), default=NO_WEEK_HOUR, server_default=ANY_WEEK_HOUR)
    status: Mapped[str] = mapped_column(sa.String(12), default="unverified", index=True)
    verified_at: Mapped[datetime | None]
    verified_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    owner_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    source: Mapped[str] = mapped_column(sa.String(10), default="manual")
    external_id: Mapped[str | None] = mapped_column(sa.String(80), unique=True)  # e.g. "nhs:FA049"
    is_example: Mapped[bool] = mapped_column(default=False)  # demo data, labelled as such
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @validates("hours")
    def _derive_week_hours(self, _key: str, hours: dict[str, Any] | None) -> dict[str, Any] | None:
        try:
            self.week_hours = week_hours(None if hours is None else Schedule.from_json(hours))
        except InvalidHours:  # validated before it gets here; if not, never wrongly skip the space
            self.week_hours = ANY_WEEK_HOUR
        return hours


class SafeSpaceProposal(Base):
    """A change an owner asks for; an officer approves (applied then) or rejects it."""

    __tablename__ = "safe_space_proposal"
    __table_args__ = (sa.CheckConstraint(f"status IN {PROPOSAL_STATUSES!r}", name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    safe_space_id: Mapped[int] = mapped_column(sa.ForeignKey("safe_space.id", ondelete="CASCADE"), index=True)
    proposed_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    changes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # field -> new value (validated)
    confirms_hours: Mapped[bool] = mapped_column(default=False)  # "the hours are still right"
    message: Mapped[str | None] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(10), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    decision_note: Mapped[str | None] = mapped_column(sa.String(500))
