"""Every query of the venues domain."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nte.spatial import lock_rows, within_bbox
from nte.venues.models import (
    Venue,
    VenueAccreditation,
    VenueAction,
    VenueDuplicate,
    VenueEvidence,
    VenuePledge,
    VenueRenewal,
    VenueSpotCheck,
    VenueTraining,
)


def get_venue(session: Session, venue_id: int) -> Venue | None:
    return session.get(Venue, venue_id)


def venue_by_licence(session: Session, licence_key: str, *, lock: bool = False) -> Venue | None:
    stmt = sa.select(Venue).where(Venue.licence_key == licence_key)
    if lock:
        stmt = lock_rows(stmt, session)
    return session.scalars(stmt).first()


def venues_in_bbox(
    session: Session,
    *,
    name_key: str,
    minx: float,
    miny: float,
    maxx: float,
    maxy: float,
    exclude_id: int | None = None,
) -> list[Venue]:
    stmt = sa.select(Venue).where(Venue.name_key == name_key, within_bbox(session, Venue.geom, minx, miny, maxx, maxy))
    if exclude_id is not None:
        stmt = stmt.where(Venue.id != exclude_id)
    return list(session.scalars(stmt))


def venues_managed_by(session: Session, user_id: int) -> list[Venue]:
    return list(session.scalars(sa.select(Venue).where(Venue.manager_user_id == user_id).order_by(Venue.id)))


def held_duplicates_by(session: Session, user_id: int) -> list[VenueDuplicate]:
    return list(
        session.scalars(
            sa.select(VenueDuplicate).where(
                VenueDuplicate.submitted_by_user_id == user_id, VenueDuplicate.duplicate_venue_id.is_(None)
            )
        )
    )


def list_venues(
    session: Session,
    *,
    statuses: list[str] | None = None,
    ward_code: str | None = None,
    venue_type: str | None = None,
    scheme: str | None = None,
    on_date: date | None = None,
    include_examples: bool = True,
    examples_only: bool = False,
    limit: int | None = None,
) -> list[Venue]:
    stmt = sa.select(Venue).order_by(Venue.name_key, Venue.id)
    if statuses:
        stmt = stmt.where(Venue.status.in_(statuses))
    if ward_code:
        stmt = stmt.where(Venue.ward_code == ward_code)
    if venue_type:
        stmt = stmt.where(Venue.venue_type == venue_type)
    if scheme:
        current = sa.select(VenueAccreditation.venue_id).where(VenueAccreditation.scheme == scheme)
        if on_date:
            current = current.where(
                VenueAccreditation.valid_from_date <= on_date, VenueAccreditation.valid_to_date >= on_date
            )
        stmt = stmt.where(Venue.id.in_(current))
    if examples_only:
        stmt = stmt.where(Venue.is_example.is_(True))
    elif not include_examples:
        stmt = stmt.where(Venue.is_example.is_(False))
    if limit:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def public_rows(
    session: Session,
    *,
    include_examples: bool,
    ward_code: str | None,
    venue_type: str | None,
    scheme: str | None,
    on_date: date,
) -> list[sa.Row[*tuple[Any, ...]]]:
    """Columns for the public GeoJSON, without loading ORM objects (5,000 venues in a few ms)."""
    cond = Venue.status == "verified"
    if include_examples:
        cond = sa.or_(cond, Venue.is_example.is_(True))
    stmt = (
        sa.select(
            Venue.id,
            Venue.name,
            Venue.venue_type,
            Venue.address,
            Venue.postcode,
            Venue.ward_code,
            Venue.is_example,
            Venue.renewal_date,
            sa.func.ST_X(Venue.geom),
            sa.func.ST_Y(Venue.geom),
        )
        .where(cond)
        .order_by(Venue.id)
    )
    if ward_code:
        stmt = stmt.where(Venue.ward_code == ward_code)
    if venue_type:
        stmt = stmt.where(Venue.venue_type == venue_type)
    if scheme:
        stmt = stmt.where(
            Venue.id.in_(
                sa.select(VenueAccreditation.venue_id).where(
                    VenueAccreditation.scheme == scheme,
                    VenueAccreditation.valid_from_date <= on_date,
                    VenueAccreditation.valid_to_date >= on_date,
                )
            )
        )
    return list(session.execute(stmt))


def venue_points(session: Session, venue_ids: list[int]) -> dict[int, tuple[float, float]]:
    if not venue_ids:
        return {}
    rows = session.execute(
        sa.select(Venue.id, sa.func.ST_X(Venue.geom), sa.func.ST_Y(Venue.geom)).where(Venue.id.in_(venue_ids))
    )
    return {r[0]: (float(r[1]), float(r[2])) for r in rows}


def current_schemes(session: Session, *, on_date: date, venue_ids: list[int] | None = None) -> dict[int, list[str]]:
    stmt = (
        sa.select(VenueAccreditation.venue_id, VenueAccreditation.scheme)
        .where(VenueAccreditation.valid_from_date <= on_date, VenueAccreditation.valid_to_date >= on_date)
        .order_by(VenueAccreditation.venue_id, VenueAccreditation.scheme)
    )
    if venue_ids is not None:
        stmt = stmt.where(VenueAccreditation.venue_id.in_(venue_ids))
    out: dict[int, list[str]] = {}
    for venue_id, scheme in session.execute(stmt):
        schemes = out.setdefault(venue_id, [])
        if scheme not in schemes:
            schemes.append(scheme)
    return out


def last_training_dates(
    session: Session, *, venue_ids: list[int] | None = None, types: tuple[str, ...] | None = None
) -> dict[int, date]:
    stmt = sa.select(VenueTraining.venue_id, sa.func.max(VenueTraining.training_date)).group_by(VenueTraining.venue_id)
    if types:
        stmt = stmt.where(VenueTraining.training_type.in_(types))
    if venue_ids is not None:
        stmt = stmt.where(VenueTraining.venue_id.in_(venue_ids))
    return {venue_id: when for venue_id, when in session.execute(stmt)}


def register_version(session: Session) -> tuple[Any, ...]:
    """Changes whenever any venue is added, removed or touched (every change bumps updated_at)."""
    row = session.execute(
        sa.select(sa.func.count(Venue.id), sa.func.max(Venue.id), sa.func.max(Venue.updated_at))
    ).one()
    return (row[0], row[1], str(row[2]))


def trainings(session: Session, venue_id: int) -> list[VenueTraining]:
    return list(
        session.scalars(
            sa.select(VenueTraining)
            .where(VenueTraining.venue_id == venue_id)
            .order_by(VenueTraining.training_date.desc(), VenueTraining.id.desc())
        )
    )


def accreditations(session: Session, venue_id: int) -> list[VenueAccreditation]:
    return list(
        session.scalars(
            sa.select(VenueAccreditation)
            .where(VenueAccreditation.venue_id == venue_id)
            .order_by(VenueAccreditation.valid_to_date.desc(), VenueAccreditation.id.desc())
        )
    )


def evidence(session: Session, venue_id: int) -> list[VenueEvidence]:
    return list(
        session.scalars(
            sa.select(VenueEvidence).where(VenueEvidence.venue_id == venue_id).order_by(VenueEvidence.id.desc())
        )
    )


def get_evidence(session: Session, evidence_id: int) -> VenueEvidence | None:
    return session.get(VenueEvidence, evidence_id)


def get_spot_check(session: Session, spot_check_id: int) -> VenueSpotCheck | None:
    return session.get(VenueSpotCheck, spot_check_id)


def spot_checks(session: Session, venue_id: int) -> list[VenueSpotCheck]:
    return list(
        session.scalars(
            sa.select(VenueSpotCheck)
            .where(VenueSpotCheck.venue_id == venue_id)
            .order_by(VenueSpotCheck.check_date.desc(), VenueSpotCheck.id.desc())
        )
    )


def get_training(session: Session, training_id: int) -> VenueTraining | None:
    return session.get(VenueTraining, training_id)


def get_accreditation(session: Session, accreditation_id: int) -> VenueAccreditation | None:
    return session.get(VenueAccreditation, accreditation_id)


def duplicates(session: Session, *, venue_id: int | None = None, open_only: bool = True) -> list[VenueDuplicate]:
    stmt = sa.select(VenueDuplicate).order_by(VenueDuplicate.id)
    if venue_id is not None:
        stmt = stmt.where(sa.or_(VenueDuplicate.venue_id == venue_id, VenueDuplicate.duplicate_venue_id == venue_id))
    if open_only:
        stmt = stmt.where(VenueDuplicate.resolved_at.is_(None))
    return list(session.scalars(stmt))


def get_duplicate(session: Session, duplicate_id: int) -> VenueDuplicate | None:
    return session.get(VenueDuplicate, duplicate_id)


def overdue_pledge_venue_ids(session: Session, *, today: date) -> set[int]:
    stmt = sa.select(VenuePledge.venue_id).where(VenuePledge.met.is_(False), VenuePledge.target_date < today).distinct()
    return set(session.scalars(stmt))


def expiring_accreditation_venue_ids(session: Session, *, today: date, until: date) -> set[int]:
    stmt = (
        sa.select(VenueAccreditation.venue_id)
        .where(VenueAccreditation.valid_to_date >= today, VenueAccreditation.valid_to_date <= until)
        .distinct()
    )
    return set(session.scalars(stmt))


def angela_venue_ids(session: Session) -> set[int]:
    return set(session.scalars(sa.select(Venue.id).where(Venue.ask_for_angela.is_(True))))


def open_duplicate_venue_ids(session: Session) -> set[int]:
    rows = session.execute(
        sa.select(VenueDuplicate.venue_id, VenueDuplicate.duplicate_venue_id).where(
            VenueDuplicate.resolved_at.is_(None)
        )
    )
    out: set[int] = set()
    for a, b in rows:
        out.add(a)
        if b:
            out.add(b)
    return out


def venues_due_for_renewal(session: Session, *, on_or_before: date) -> list[Venue]:
    return list(
        session.scalars(
            sa.select(Venue)
            .where(Venue.status == "verified", Venue.renewal_date.is_not(None), Venue.renewal_date <= on_or_before)
            .order_by(Venue.renewal_date, Venue.id)
        )
    )


def lock_expired(session: Session, *, today: date) -> list[Venue]:
    stmt = sa.select(Venue).where(Venue.status == "verified", Venue.renewal_date < today).order_by(Venue.id)
    return list(session.scalars(lock_rows(stmt, session, skip_locked=True)))


def example_source_ids(session: Session) -> set[str]:
    return set(session.scalars(sa.select(Venue.example_source_id).where(Venue.example_source_id.is_not(None))))


def staff_counts(session: Session, *, venue_ids: list[int] | None = None) -> dict[int, int | None]:
    stmt = sa.select(Venue.id, Venue.staff_count)
    if venue_ids is not None:
        stmt = stmt.where(Venue.id.in_(venue_ids))
    return {venue_id: count for venue_id, count in session.execute(stmt)}


def staff_trained_since(
    session: Session, *, since: date, types: tuple[str, ...], venue_ids: list[int] | None = None
) -> dict[int, int]:
    """Staff trained per venue in training events on or after ``since``."""
    stmt = (
        sa.select(VenueTraining.venue_id, sa.func.sum(VenueTraining.staff_trained))
        .where(VenueTraining.training_date >= since, VenueTraining.training_type.in_(types))
        .group_by(VenueTraining.venue_id)
    )
    if venue_ids is not None:
        stmt = stmt.where(VenueTraining.venue_id.in_(venue_ids))
    return {venue_id: int(total or 0) for venue_id, total in session.execute(stmt)}


def latest_new_starters(session: Session, *, venue_ids: list[int] | None = None) -> dict[int, tuple[date, int]]:
    """Per venue, the latest renewal that said how many people started since the last training:
    (its London date, the number)."""
    stmt = (
        sa.select(VenueRenewal.venue_id, VenueRenewal.renewed_on, VenueRenewal.new_starters)
        .where(VenueRenewal.new_starters.is_not(None))
        .order_by(VenueRenewal.venue_id, VenueRenewal.renewed_on, VenueRenewal.id)
    )
    if venue_ids is not None:
        stmt = stmt.where(VenueRenewal.venue_id.in_(venue_ids))
    return {venue_id: (on, int(n or 0)) for venue_id, on, n in session.execute(stmt)}  # the last one wins


def last_renewal(session: Session, venue_id: int, *, kind: str) -> VenueRenewal | None:
    return session.scalars(
        sa.select(VenueRenewal)
        .where(VenueRenewal.venue_id == venue_id, VenueRenewal.kind == kind)
        .order_by(VenueRenewal.id.desc())
        .limit(1)
    ).first()


def renewals(session: Session, venue_id: int) -> list[VenueRenewal]:
    return list(
        session.scalars(sa.select(VenueRenewal).where(VenueRenewal.venue_id == venue_id).order_by(VenueRenewal.id))
    )


def _open_action() -> sa.ColumnElement[bool]:
    return sa.and_(VenueAction.cleared_at.is_(None), VenueAction.lapsed_at.is_(None))


def open_actions(session: Session, *, venue_id: int) -> list[VenueAction]:
    return list(
        session.scalars(
            sa.select(VenueAction)
            .where(VenueAction.venue_id == venue_id, _open_action())
            .order_by(VenueAction.due_date, VenueAction.id)
        )
    )


def actions(session: Session, *, venue_id: int) -> list[VenueAction]:
    return list(
        session.scalars(sa.select(VenueAction).where(VenueAction.venue_id == venue_id).order_by(VenueAction.id))
    )


def open_action_venue_ids(session: Session) -> set[int]:
    return set(session.scalars(sa.select(VenueAction.venue_id).where(_open_action()).distinct()))


def lock_overdue_actions(session: Session, *, today: date) -> list[VenueAction]:
    """Open actions whose due date has passed (due yesterday or earlier), locked for the lapse job."""
    stmt = sa.select(VenueAction).where(_open_action(), VenueAction.due_date < today).order_by(VenueAction.id)
    return list(session.scalars(lock_rows(stmt, session, skip_locked=True)))
