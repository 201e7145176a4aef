"""Charter venues: identity, champion, the 7 pledges, training, accreditations, evidence, spot
checks, duplicate flags and the yearly renewal.

A premises licence belongs to one premises, so ``licence_key`` (the normalised licence number) is
unique: two sign-ups with the same licence can never both become venues, even when they race. The
second one is held as a ``VenueDuplicate`` for an officer, never merged."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nte.db import Base, JSONType, utcnow
from nte.spatial import GeometryColumn

#: How venues are named in ``ward_assignment`` (their ward in every vintage).
WARD_SUBJECT = "venue"
VENUE_TYPES = ("pub", "bar", "nightclub", "late_night_food", "hotel", "theatre", "other")
#: "changes_requested": an officer sent the sign-up back with reasons; the manager fixes it and
#: resubmits it (back to "submitted"). "rejected" is final and says why.
VENUE_STATUSES = ("submitted", "changes_requested", "verified", "rejected", "lapsed", "withdrawn")
TRAINING_TYPES = ("wave", "ask_for_angela", "bystander", "other")
SCHEMES = ("night_haven", "safety_thirst", "hackney_nights", "best_bar_none", "other")
SPOT_CHECK_OUTCOMES = ("pass", "advice", "fail")
#: "renew": a verified venue's manager renewed it (expiry moved a cycle on). "request": a lapsed or
#: withdrawn venue's manager asked to renew; it went back to the officer queue (submitted).
RENEWAL_KINDS = ("renew", "request")
DUPLICATE_REASONS = ("licence_number", "name_nearby")
EVIDENCE_OWNERS = ("training", "accreditation", "venue")


class Venue(Base):
    __tablename__ = "venue"
    __table_args__ = (
        sa.CheckConstraint(f"venue_type IN {VENUE_TYPES!r}", name="venue_type_known"),
        sa.CheckConstraint(f"status IN {VENUE_STATUSES!r}", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_key: Mapped[str] = mapped_column(sa.String(200), index=True)  # lower-case, single spaces
    venue_type: Mapped[str] = mapped_column(sa.String(20), index=True)
    address: Mapped[str] = mapped_column(sa.String(300))
    postcode: Mapped[str] = mapped_column(sa.String(10))
    licence_number: Mapped[str | None] = mapped_column(sa.String(40))
    licence_key: Mapped[str | None] = mapped_column(sa.String(40), unique=True)  # upper-case, no spaces
    geom = mapped_column(GeometryColumn("POINT"), nullable=False)
    ward_code: Mapped[str] = mapped_column(sa.String(20), index=True)
    borough_code: Mapped[str] = mapped_column(sa.String(20))
    contact_email: Mapped[str] = mapped_column(sa.String(254))
    contact_phone: Mapped[str] = mapped_column(sa.String(20))
    champion_name: Mapped[str] = mapped_column(sa.String(120))
    champion_role: Mapped[str] = mapped_column(sa.String(120))
    ask_for_angela: Mapped[bool] = mapped_column(default=False)  # displays Ask for Angela posters
    # Signed up without a pin: the location is the postcode's point (nte.places), not the entrance.
    location_approximate: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # At sign-up, how far the pin was from the postcode's point (None: no point held for it).
    pin_postcode_distance_m: Mapped[float | None]
    status: Mapped[str] = mapped_column(sa.String(20), default="submitted", index=True)
    # The officer's words for the current status (what to change, why rejected), shown to the manager.
    status_reason: Mapped[str | None] = mapped_column(sa.String(2000))
    manager_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    renewal_date: Mapped[date | None] = mapped_column(index=True)
    # How many people work at the venue, as its manager states it: trained staff are counted against it.
    staff_count: Mapped[int | None]
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    verified_at: Mapped[datetime | None]
    # Demo data: real pubs loaded as unverified examples (labelled, with attribution).
    is_example: Mapped[bool] = mapped_column(default=False)
    example_source_id: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    pledges: Mapped[list[VenuePledge]] = relationship(
        cascade="all, delete-orphan", order_by="VenuePledge.number", lazy="selectin"
    )


class VenuePledge(Base):
    __tablename__ = "venue_pledge"

    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venue.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True)  # 1..7
    met: Mapped[bool] = mapped_column(default=False)
    how_met: Mapped[str | None] = mapped_column(sa.String(500))
    target_date: Mapped[date | None]  # when a pledge not yet met will be
    reviewed_at: Mapped[datetime] = mapped_column(default=utcnow)


class VenueTraining(Base):
    __tablename__ = "venue_training"
    __table_args__ = (sa.CheckConstraint(f"training_type IN {TRAINING_TYPES!r}", name="training_type_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venue.id", ondelete="CASCADE"), index=True)
    training_type: Mapped[str] = mapped_column(sa.String(20))
    provider: Mapped[str] = mapped_column(sa.String(120))
    training_date: Mapped[date]
    staff_trained: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VenueAccreditation(Base):
    __tablename__ = "venue_accreditation"
    __table_args__ = (sa.CheckConstraint(f"scheme IN {SCHEMES!r}", name="scheme_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venue.id", ondelete="CASCADE"), index=True)
    scheme: Mapped[str] = mapped_column(sa.String(20), index=True)
    level: Mapped[str | None] = mapped_column(sa.String(60))
    valid_from_date: Mapped[date]
    valid_to_date: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VenueEvidence(Base):
    """An uploaded file, stored under ``settings.upload_dir`` with a random name (never the user's)."""

    __tablename__ = "venue_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venue.id", ondelete="CASCADE"), index=True)
    training_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venue_training.id", ondelete="SET NULL"))
    accreditation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venue_accreditation.id", ondelete="SET NULL"))
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    original_name: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size_bytes: Mapped[int]
    uploaded_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VenueSpotCheck(Base):
    __tablename__ = "venue_spot_check"
    __table_args__ = (sa.CheckConstraint(f"outcome IN {SPOT_CHECK_OUTCOMES!r}", name="outcome_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venue.id", ondelete="CASCADE"), index=True)
    check_date: Mapped[date]
    outcome: Mapped[str] = mapped_column(sa.String(10))
    notes: Mapped[str | None] = mapped_column(sa.String(2000))
    officer_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VenueDuplicate(Base):
    """A possible duplicate for an officer. ``licence_number``: a second sign-up with a licence that
    is already registered; it is held here (``submission``) and no second venue is created.
    ``name_nearby``: a new venue with the same name within 50 m of another (``duplicate_venue_id``)."""

    __tablename__ = "venue_duplicate"
    __table_args__ = (sa.CheckConstraint(f"reason IN {DUPLICATE_REASONS!r}", name="reason_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venue.id", ondelete="CASCADE"), index=True)
    duplicate_venue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venue.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.String(20))
    submission: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    submitted_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolution_note: Mapped[str | None] = mapped_column(sa.String(500))


class VenueRenewal(Base):
    """One renewal by a venue manager, with what the renewal form asked: new starters since the last
    training (they count as untrained staff until a later training)."""

    __tablename__ = "venue_renewal"
    __table_args__ = (sa.CheckConstraint(f"kind IN {RENEWAL_KINDS!r}", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venue.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    from_status: Mapped[str] = mapped_column(sa.String(20))
    renewal_date_before: Mapped[date | None]
    renewal_date_after: Mapped[date | None]
    new_starters: Mapped[int | None]  # None: an officer renewed it (the form is the manager's)
    renewed_on: Mapped[date]  # London date
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VenueAction(Base):
    """What a failed spot check asks the venue to put right, by when. Open until a later passing
    spot check clears it (``cleared_at``) or it is past due and the venue lapses (``lapsed_at``)."""

    __tablename__ = "venue_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venue.id", ondelete="CASCADE"), index=True)
    spot_check_id: Mapped[int] = mapped_column(sa.ForeignKey("venue_spot_check.id", ondelete="CASCADE"))
    findings: Mapped[str] = mapped_column(sa.String(2000))
    due_date: Mapped[date] = mapped_column(index=True)
    opened_by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cleared_at: Mapped[datetime | None]
    cleared_by_spot_check_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("venue_spot_check.id", ondelete="SET NULL")
    )
    lapsed_at: Mapped[datetime | None]
