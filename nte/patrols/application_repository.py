"""Queries for volunteer applications (``nte.patrols.applications``)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nte.auth.models import User
from nte.patrols.models import Signup, Volunteer, VolunteerApplication, VolunteerRecord


def get_application(session: Session, application_id: int) -> VolunteerApplication | None:
    return session.get(VolunteerApplication, application_id)


def undecided(session: Session) -> list[tuple[VolunteerApplication, Volunteer, User]]:
    """Applications no coordinator has approved yet, oldest first."""
    rows = session.execute(
        sa.select(VolunteerApplication, Volunteer, User)
        .join(Volunteer, Volunteer.id == VolunteerApplication.volunteer_id)
        .join(User, User.id == Volunteer.user_id)
        .where(VolunteerApplication.approved_at.is_(None))
        .order_by(VolunteerApplication.created_at, VolunteerApplication.id)
    ).all()
    return [(row[0], row[1], row[2]) for row in rows]


def profile_holds_anything(session: Session, volunteer_id: int) -> bool:
    """Whether a volunteer's profile has sign-ups or vetting records (then the account is kept)."""
    signups = session.scalar(sa.select(sa.func.count()).select_from(Signup).where(Signup.volunteer_id == volunteer_id))
    records = session.scalar(
        sa.select(sa.func.count()).select_from(VolunteerRecord).where(VolunteerRecord.volunteer_id == volunteer_id)
    )
    return bool(signups or records)


def account_holds_anything(session: Session, user: User) -> bool:
    """Whether the account's volunteer profile (if any) has sign-ups or vetting records."""
    volunteer = session.scalar(sa.select(Volunteer).where(Volunteer.user_id == user.id))
    return volunteer is not None and profile_holds_anything(session, volunteer.id)
