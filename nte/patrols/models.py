"""Volunteer patrols: volunteers and their vetting records, patrol areas, shift series, shifts,
sign-ups (with the waitlist) and debriefs.

Times are aware UTC (``*_at``); local dates (``*_date``) are Europe/London calendar dates. A shift
made from a series is keyed by (series, occurrence_date) so materialising twice changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from nte.db import Base, utcnow
from nte.patrols.vocabulary import AGE_BANDS, HANDOVERS
from nte.spatial import GeometryColumn

VOLUNTEER_STATUSES = ("applicant", "active", "paused", "left")
RECORD_KINDS = ("dbs", "induction", "first_aid", "wave")
SHIFT_STATUSES = ("scheduled", "cancelled")
SIGNUP_STATUSES = ("confirmed", "waitlisted", "offered", "cancelled", "declined", "expired")
SUPPORT_KINDS = ("welfare", "escorted", "first_aid", "handed_over", "phone_charged", "water_flipflops", "other")
GENDERS = ("woman", "man", "other", "not_recorded")


class Volunteer(Base):
    """A volunteer's patrol profile, attached to a user account with role "volunteer"."""

    __tablename__ = "patrol_volunteer"
    __table_args__ = (sa.CheckConstraint(f"status IN {VOLUNTEER_STATUSES!r}", name="status_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    emergency_contact: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(12), default="applicant", index=True)
    is_team_lead: Mapped[bool] = mapped_column(default=False)
    # The secret calendar URL: only the SHA-256 of the token is stored; None when revoked.
    feed_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    feed_token_created_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class VolunteerRecord(Base):
    """A vetting or training record (DBS check, induction, first aid, WAVE) with its expiry."""

    __tablename__ = "patrol_volunteer_record"
    __table_args__ = (sa.CheckConstraint(f"kind IN {RECORD_KINDS!r}", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(sa.ForeignKey("patrol_volunteer.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    reference: Mapped[str | None] = mapped_column(sa.String(80))
    completed_date: Mapped[date]
    expires_date: Mapped[date | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PatrolArea(Base):
    __tablename__ = "patrol_area"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    description: Mapped[str | None] = mapped_column(sa.String(500))
    area_km2: Mapped[float]
    geom = mapped_column(GeometryColumn("POLYGON"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ShiftSeries(Base):
    """A recurring shift: RRULE anchored at a local date and time (see ``recurrence.py``)."""

    __tablename__ = "patrol_series"
    __table_args__ = (
        sa.CheckConstraint("min_volunteers >= 2", name="team_of_two"),
        sa.CheckConstraint("max_volunteers >= min_volunteers", name="max_not_below_min"),
        sa.CheckConstraint("min_team_leads >= 0", name="leads_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("patrol_area.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    rrule: Mapped[str] = mapped_column(sa.String(300))
    start_date: Mapped[date]
    start_time: Mapped[time]
    end_time: Mapped[time]
    tz: Mapped[str] = mapped_column(sa.String(60), default="Europe/London")
    min_volunteers: Mapped[int] = mapped_column(default=4)
    max_volunteers: Mapped[int] = mapped_column(default=12)
    min_team_leads: Mapped[int] = mapped_column(default=1)
    meeting_point: Mapped[str | None] = mapped_column(sa.String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SeriesRule(Base):
    """An earlier rule of a series, kept when the series was changed from a date: it governs the
    series' nights from its ``start_date`` up to its rule's UNTIL (the day before the next rule).
    The series row carries the rule in force from its own ``start_date`` on (see
    ``service.change_series_from``); the time zone is the series'."""

    __tablename__ = "patrol_series_rule"
    __table_args__ = (
        sa.CheckConstraint("min_volunteers >= 2", name="team_of_two"),
        sa.CheckConstraint("max_volunteers >= min_volunteers", name="max_not_below_min"),
        sa.CheckConstraint("min_team_leads >= 0", name="leads_not_negative"),
        sa.UniqueConstraint("series_id", "start_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("patrol_series.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("patrol_area.id", ondelete="RESTRICT"), index=True)
    rrule: Mapped[str] = mapped_column(sa.String(300))
    start_date: Mapped[date]
    start_time: Mapped[time]
    end_time: Mapped[time]
    min_volunteers: Mapped[int] = mapped_column(default=4)
    max_volunteers: Mapped[int] = mapped_column(default=12)
    min_team_leads: Mapped[int] = mapped_column(default=1)
    meeting_point: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SeriesNight(Base):
    """One night of a series cancelled (exception) or changed (times, moved to another date)."""

    __tablename__ = "patrol_series_night"
    __table_args__ = (sa.UniqueConstraint("series_id", "occurrence_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int] = mapped_column(sa.ForeignKey("patrol_series.id", ondelete="CASCADE"), index=True)
    occurrence_date: Mapped[date]
    cancelled: Mapped[bool] = mapped_column(default=False)
    start_time: Mapped[time | None]
    end_time: Mapped[time | None]
    moved_to: Mapped[date | None]


class Shift(Base):
    """A concrete night. ``sequence`` is the iCal SEQUENCE, bumped when times, place or status change."""

    __tablename__ = "patrol_shift"
    __table_args__ = (
        sa.UniqueConstraint("series_id", "occurrence_date"),
        sa.CheckConstraint(f"status IN {SHIFT_STATUSES!r}", name="status_known"),
        sa.CheckConstraint("min_volunteers >= 2", name="team_of_two"),
        sa.CheckConstraint("max_volunteers >= min_volunteers", name="max_not_below_min"),
        sa.CheckConstraint("end_at >= start_at", name="ends_after_start"),
        sa.Index("ix_patrol_shift_window", "start_at", "end_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    series_id: Mapped[int | None] = mapped_column(sa.ForeignKey("patrol_series.id", ondelete="SET NULL"))
    occurrence_date: Mapped[date | None]
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("patrol_area.id", ondelete="RESTRICT"), index=True)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    min_volunteers: Mapped[int] = mapped_column(default=4)
    max_volunteers: Mapped[int] = mapped_column(default=12)
    min_team_leads: Mapped[int] = mapped_column(default=1)
    meeting_point: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(10), default="scheduled")
    sequence: Mapped[int] = mapped_column(default=0)
    # Sign-ups holding a place (confirmed or offered). Kept by the service with atomic SQL updates:
    # a sign-up claims a place with "+1 WHERE places_taken < max_volunteers", so capacity holds
    # under concurrency without a lock held across the sign-up checks.
    places_taken: Mapped[int] = mapped_column(default=0, server_default="0")
    # Stood down before the start for being below its minimum (the status is then "cancelled", so
    # sign-up, check-in and the feed treat it as not running); the reason says what was missing.
    stood_down_at: Mapped[datetime | None]
    stand_down_reason: Mapped[str | None] = mapped_column(sa.String(300))
    # A coordinator's confirmation that it runs below its minimum (never below a team of two).
    below_minimum_confirmed_at: Mapped[datetime | None]
    below_minimum_confirmed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    below_minimum_reason: Mapped[str | None] = mapped_column(sa.String(300))
    last_modified_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Signup(Base):
    """A volunteer on a shift: confirmed, on the waitlist, offered a freed place, or gone."""

    __tablename__ = "patrol_signup"
    __table_args__ = (
        sa.UniqueConstraint("shift_id", "volunteer_id"),
        sa.CheckConstraint(f"status IN {SIGNUP_STATUSES!r}", name="status_known"),
        sa.Index("ix_patrol_signup_shift_status", "shift_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("patrol_shift.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(sa.ForeignKey("patrol_volunteer.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(sa.String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    waitlisted_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    offered_at: Mapped[datetime | None]
    offer_expires_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    checked_in_at: Mapped[datetime | None]
    no_show: Mapped[bool] = mapped_column(default=False)
    home_safe_at: Mapped[datetime | None]
    lone_worker_alerted_at: Mapped[datetime | None]
    # Added to the shift's SEQUENCE in this volunteer's feed (their own cancellation is a change too).
    feed_sequence: Mapped[int] = mapped_column(default=0)


class Debrief(Base):
    """Filed by the team lead after a shift: each person supported once (``DebriefPerson``), no
    personal data about the public.

    ``people_estimated`` marks a debrief filed before people were recorded one by one (migration
    0016): it has only kind x gender cells (``DebriefCount``), which count actions, and its people
    are estimated from them (``service.estimate_people``)."""

    __tablename__ = "patrol_debrief"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("patrol_shift.id", ondelete="CASCADE"), unique=True)
    filed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    summary: Mapped[str | None] = mapped_column(sa.String(1000))
    people_estimated: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class DebriefPerson(Base):
    """One person supported on the shift, recorded once: gender and age band as observed and who
    they were handed over to, if anyone. No name, no free text. Their kinds of help are
    ``DebriefPersonKind`` rows (one or more)."""

    __tablename__ = "patrol_debrief_person"
    __table_args__ = (
        sa.CheckConstraint(f"gender IN {GENDERS!r}", name="gender_known"),
        sa.CheckConstraint(f"age_band IN {AGE_BANDS!r}", name="age_band_known"),
        sa.CheckConstraint(f"handover IN {HANDOVERS!r}", name="handover_known"),
        sa.UniqueConstraint("debrief_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    debrief_id: Mapped[int] = mapped_column(sa.ForeignKey("patrol_debrief.id", ondelete="CASCADE"))
    #: The row's place in the debrief as filed (0 first).
    position: Mapped[int]
    gender: Mapped[str] = mapped_column(sa.String(14))
    age_band: Mapped[str | None] = mapped_column(sa.String(10))
    handover: Mapped[str | None] = mapped_column(sa.String(16))


class DebriefPersonKind(Base):
    """A kind of help one person supported was given (each kind once per person)."""

    __tablename__ = "patrol_debrief_person_kind"
    __table_args__ = (sa.CheckConstraint(f"kind IN {SUPPORT_KINDS!r}", name="kind_known"),)

    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("patrol_debrief_person.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)


class DebriefCount(Base):
    """Kind x gender cells of a debrief filed before people were recorded one by one: each cell is
    how many times that kind of help was given to people of that gender (actions: one person given
    two kinds of help is in two cells). Kept as filed; new debriefs record ``DebriefPerson`` rows."""

    __tablename__ = "patrol_debrief_count"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {SUPPORT_KINDS!r}", name="kind_known"),
        sa.CheckConstraint(f"gender IN {GENDERS!r}", name="gender_known"),
        sa.CheckConstraint("people > 0", name="people_positive"),
    )

    debrief_id: Mapped[int] = mapped_column(sa.ForeignKey("patrol_debrief.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    gender: Mapped[str] = mapped_column(sa.String(14), primary_key=True)
    people: Mapped[int]


class DebriefIncident(Base):
    """An incident on the shift. ``notes`` are restricted to coordinators; ``geom`` lies in the area."""

    __tablename__ = "patrol_debrief_incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    debrief_id: Mapped[int] = mapped_column(sa.ForeignKey("patrol_debrief.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    notes: Mapped[str | None] = mapped_column(sa.Text)
    geom = mapped_column(GeometryColumn("POINT"), nullable=True)


class VolunteerApplication(Base):
    """What a person wrote when they applied to volunteer (``/volunteer/apply``), read by coordinators
    only. Kept while undecided and after approval (``approved_at``); a declined applicant's account,
    profile and this row are deleted."""

    __tablename__ = "patrol_application"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(sa.ForeignKey("patrol_volunteer.id", ondelete="CASCADE"), unique=True)
    about: Mapped[str] = mapped_column(sa.String(1000))
    dbs_consent_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
