from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nte.maps.models import Ward, WardSet
from nte.spatial import contains_point


def active_ward_set(session: Session) -> WardSet | None:
    return session.scalar(sa.select(WardSet).where(WardSet.is_active.is_(True)).order_by(WardSet.id.desc()))


def get_ward_set_by_name(session: Session, name: str) -> WardSet | None:
    return session.scalar(sa.select(WardSet).where(WardSet.name == name))


def list_ward_sets(session: Session) -> list[WardSet]:
    return list(session.scalars(sa.select(WardSet).order_by(WardSet.imported_at)))


def list_wards(session: Session, *, ward_set_id: int, borough_codes: list[str] | None = None) -> list[Ward]:
    stmt = sa.select(Ward).where(Ward.ward_set_id == ward_set_id).order_by(Ward.borough_code, Ward.name)
    if borough_codes is not None:
        stmt = stmt.where(Ward.borough_code.in_(borough_codes))
    return list(session.scalars(stmt))


def get_ward(session: Session, *, ward_set_id: int, code: str) -> Ward | None:
    return session.scalar(sa.select(Ward).where(Ward.ward_set_id == ward_set_id, Ward.code == code))


def ward_at_point(
    session: Session, *, ward_set_id: int, lon: float, lat: float, borough_codes: list[str]
) -> Ward | None:
    stmt = (
        sa.select(Ward)
        .where(
            Ward.ward_set_id == ward_set_id,
            Ward.borough_code.in_(borough_codes),
            contains_point(session, Ward.geom, lon, lat),
        )
        .order_by(Ward.code)  # a point on a shared edge goes to the lowest code, deterministically
        .limit(1)
    )
    return session.scalar(stmt)


def boroughs(session: Session, *, ward_set_id: int) -> list[tuple[str, str, int]]:
    rows = session.execute(
        sa.select(Ward.borough_code, Ward.borough_name, sa.func.count())
        .where(Ward.ward_set_id == ward_set_id)
        .group_by(Ward.borough_code, Ward.borough_name)
        .order_by(Ward.borough_name)
    )
    return [(r[0], r[1], r[2]) for r in rows]


def deactivate_all(session: Session) -> None:
    session.execute(sa.update(WardSet).values(is_active=False))
