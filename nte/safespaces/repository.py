"""Every query of the safe-space domain. Spatial SQL comes from ``nte.spatial``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nte.auth.models import User
from nte.safespaces.models import SafeSpace, SafeSpaceProposal
from nte.spatial import ScanStats, nearest_rows, within_bbox
from nte.venues.models import Venue

#: A venue in these states no longer lends its identity to a public safe space.
HIDDEN_VENUE_STATUSES = ("rejected", "withdrawn")


def get(session: Session, space_id: int) -> SafeSpace | None:
    return session.get(SafeSpace, space_id)


def get_venue(session: Session, venue_id: int) -> Venue | None:
    return session.get(Venue, venue_id)


def space_for_venue(session: Session, venue_id: int) -> SafeSpace | None:
    return session.scalar(sa.select(SafeSpace).where(SafeSpace.venue_id == venue_id))


def by_external_ids(session: Session, external_ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    ids = list(external_ids)
    for start in range(0, len(ids), 500):
        found.update(
            session.scalars(sa.select(SafeSpace.external_id).where(SafeSpace.external_id.in_(ids[start : start + 500])))
        )
    return found


def _point_columns(geom: Any) -> list[Any]:
    return [sa.func.ST_X(geom).label("lon"), sa.func.ST_Y(geom).label("lat")]


def list_spaces(
    session: Session,
    *,
    status: str | None = None,
    owner_user_id: int | None = None,
    manager_user_id: int | None = None,
    limit: int = 1000,
) -> list[tuple[SafeSpace, Venue | None]]:
    stmt = (
        sa.select(SafeSpace, Venue)
        .outerjoin(Venue, Venue.id == SafeSpace.venue_id)
        .order_by(sa.func.coalesce(SafeSpace.name, Venue.name), SafeSpace.id)
        .limit(limit)
    )
    if status:
        stmt = stmt.where(SafeSpace.status == status)
    owners = []
    if owner_user_id is not None:
        owners.append(SafeSpace.owner_user_id == owner_user_id)
    if manager_user_id is not None:
        owners.append(Venue.manager_user_id == manager_user_id)
    if owners:
        stmt = stmt.where(sa.or_(*owners))
    return [(s, v) for s, v in session.execute(stmt).all()]


def point_of(session: Session, space: SafeSpace) -> tuple[float, float] | None:
    """(lon, lat) of the space: its own point, or its venue's."""
    if space.venue_id is not None:
        row = session.execute(sa.select(*_point_columns(Venue.geom)).where(Venue.id == space.venue_id)).one_or_none()
    else:
        row = session.execute(sa.select(*_point_columns(SafeSpace.geom)).where(SafeSpace.id == space.id)).one_or_none()
    return (float(row.lon), float(row.lat)) if row is not None and row.lon is not None else None


# --- public rows (nearest, GeoJSON) -------------------------------------------------------------

_PUBLIC_COLUMNS = (
    SafeSpace.id,
    SafeSpace.kind,
    SafeSpace.phone,
    SafeSpace.access_note,
    SafeSpace.help_offered,
    SafeSpace.codewords,
    SafeSpace.step_free,
    SafeSpace.languages,
    # The hours as stored text: parsed once per distinct text (a cache in the service), not per row.
    sa.cast(SafeSpace.hours, sa.Text).label("hours_text"),
    SafeSpace.hours_confirmed_date,
    SafeSpace.status,
    SafeSpace.is_example,
)


_OWN_COLUMNS = (
    *_PUBLIC_COLUMNS,
    SafeSpace.name.label("name"),
    SafeSpace.address.label("address"),
    SafeSpace.postcode.label("postcode"),
    *_point_columns(SafeSpace.geom),
)


def _own_select() -> sa.Select[*tuple[Any, ...]]:  # rows of any width
    return sa.select(*_OWN_COLUMNS).where(SafeSpace.venue_id.is_(None), SafeSpace.status != "withdrawn")


def _venue_select() -> sa.Select[*tuple[Any, ...]]:  # rows of any width
    return (
        sa.select(
            *_PUBLIC_COLUMNS,
            Venue.name.label("name"),
            Venue.address.label("address"),
            Venue.postcode.label("postcode"),
            *_point_columns(Venue.geom),
        )
        .join(Venue, Venue.id == SafeSpace.venue_id)
        .where(SafeSpace.status != "withdrawn", Venue.status.not_in(HIDDEN_VENUE_STATUSES))
    )


# Built once: the statement cache then skips compiling, and "IN" takes a list as one parameter.
_AT_VENUES = _venue_select().where(SafeSpace.venue_id.in_(sa.bindparam("ids", expanding=True)))


def public_rows_at_venues(session: Session, *, venue_ids: Sequence[int]) -> list[Any]:
    """Public rows (with hours and point) of the safe spaces at the given venues; withdrawn spaces
    and hidden venues are left out. (Spaces with their own location come with the index scan.)"""
    if not venue_ids:
        return []
    return list(session.execute(_AT_VENUES, {"ids": list(venue_ids)}).all())


def public_rows(session: Session, *, bbox: tuple[float, float, float, float] | None = None) -> list[Any]:
    own, venue = _own_select(), _venue_select()
    if bbox is not None:
        own = own.where(within_bbox(session, SafeSpace.geom, *bbox))
        venue = venue.where(within_bbox(session, Venue.geom, *bbox))
    return [*session.execute(own.order_by(SafeSpace.id)).all(), *session.execute(venue.order_by(SafeSpace.id)).all()]


def any_venue_linked(session: Session) -> bool:
    return session.scalar(sa.select(SafeSpace.id).where(SafeSpace.venue_id.is_not(None)).limit(1)) is not None


@dataclass(frozen=True)
class MaybeOpen:
    """The safe spaces that may be open in hour ``week_hour`` of the London week (see
    ``SafeSpace.week_hours``) with hours confirmed on or after ``confirmed_since``: a prefilter
    that only ever leaves out spaces the hours engine would report closed."""

    week_hour: int
    confirmed_since: date

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        # Written "<> '0'" rather than "= '1'" (the same, since the column holds only 0s and 1s):
        # PostgreSQL guesses 0.5% of rows pass an equality on an expression and would then sort a
        # sequential scan; for an inequality it guesses 99.5%, and walks the KNN index as it should.
        return [
            sa.func.substr(SafeSpace.week_hours, self.week_hour + 1, 1) != "0",
            SafeSpace.hours_confirmed_date >= self.confirmed_since,
        ]


def nearest_space_keys(
    session: Session,
    lon: float,
    lat: float,
    *,
    max_distance_m: float,
    stats: ScanStats,
    first_batch: int = 16,
    prefilter: MaybeOpen | None = None,
) -> Iterator[tuple[int, float, Any]]:
    """Safe spaces with their own location (not withdrawn, passing ``prefilter``), nearest first
    (spatial index), each with its public row (read in the same query)."""
    where = [SafeSpace.status != "withdrawn", *(prefilter.conditions() if prefilter else [])]
    return nearest_rows(
        session,
        SafeSpace.geom,
        lon,
        lat,
        max_distance_m=max_distance_m,
        stats=stats,
        first_batch=first_batch,
        where=where,
        columns=[c for c in _OWN_COLUMNS if c is not SafeSpace.id],
    )


def nearest_venue_keys(
    session: Session,
    lon: float,
    lat: float,
    *,
    max_distance_m: float,
    stats: ScanStats,
    prefilter: MaybeOpen | None = None,
) -> Iterator[tuple[int, float, Any]]:
    """Venues that lend their place to a safe space (not withdrawn, passing ``prefilter``), nearest
    first (spatial index)."""
    spaces = sa.select(SafeSpace.venue_id).where(
        SafeSpace.venue_id.is_not(None), SafeSpace.status != "withdrawn", *(prefilter.conditions() if prefilter else [])
    )
    return nearest_rows(
        session,
        Venue.geom,
        lon,
        lat,
        max_distance_m=max_distance_m,
        stats=stats,
        where=[Venue.id.in_(spaces), Venue.status.not_in(HIDDEN_VENUE_STATUSES)],
    )


# --- owners, reminders ------------------------------------------------------------------------------


def venue_manager_id(session: Session, venue_id: int) -> int | None:
    return session.scalar(sa.select(Venue.manager_user_id).where(Venue.id == venue_id))


def users_by_ids(session: Session, user_ids: Sequence[int]) -> list[User]:
    if not user_ids:
        return []
    return list(session.scalars(sa.select(User).where(User.id.in_(list(user_ids)), User.is_active.is_(True))))


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.lower()))


def active_officers(session: Session) -> list[User]:
    return list(
        session.scalars(sa.select(User).where(User.role == "officer", User.is_active.is_(True)).order_by(User.id))
    )


def confirmed_on_or_before(session: Session, *, on_or_before: date) -> list[tuple[SafeSpace, Venue | None]]:
    """Spaces (not withdrawn) with hours confirmed on or before a date."""
    stmt = (
        sa.select(SafeSpace, Venue)
        .outerjoin(Venue, Venue.id == SafeSpace.venue_id)
        .where(
            SafeSpace.status != "withdrawn",
            SafeSpace.hours.is_not(None),
            SafeSpace.hours_confirmed_date.is_not(None),
            SafeSpace.hours_confirmed_date <= on_or_before,
        )
        .order_by(SafeSpace.id)
    )
    return [(s, v) for s, v in session.execute(stmt).all()]


# --- proposals -----------------------------------------------------------------------------------


def get_proposal(session: Session, proposal_id: int) -> SafeSpaceProposal | None:
    return session.get(SafeSpaceProposal, proposal_id)


def list_proposals(
    session: Session, *, status: str | None = "pending", space_id: int | None = None, limit: int = 200
) -> list[SafeSpaceProposal]:
    stmt = sa.select(SafeSpaceProposal).order_by(SafeSpaceProposal.created_at, SafeSpaceProposal.id).limit(limit)
    if status:
        stmt = stmt.where(SafeSpaceProposal.status == status)
    if space_id is not None:
        stmt = stmt.where(SafeSpaceProposal.safe_space_id == space_id)
    return list(session.scalars(stmt))


def count_proposals(session: Session, *, status: str = "pending") -> int:
    return int(
        session.scalar(
            sa.select(sa.func.count()).select_from(SafeSpaceProposal).where(SafeSpaceProposal.status == status)
        )
        or 0
    )
