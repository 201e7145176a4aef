"""Every query of the places domain: postcode points, and the public names place search reads
(verified venues, verified safe spaces; wards come from ``nte.maps.wards``). Nothing here reads
report data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nte.places.models import PlacePostcode
from nte.safespaces.models import SafeSpace
from nte.spatial import bulk_insert, ewkt_point, existing_values
from nte.venues.models import Venue

_TABLE = cast(sa.Table, PlacePostcode.__table__)  # a mapped class's table (typed as the wider FromClause)
#: At most this many rows of names are ranked per search (verified venues; verified safe spaces).
NAME_ROWS_LIMIT = 20_000


def _point(geom: Any) -> tuple[Any, Any]:
    return sa.func.ST_X(geom).label("lon"), sa.func.ST_Y(geom).label("lat")


_POSTCODE_COLUMNS = (
    PlacePostcode.postcode,
    *_point(PlacePostcode.geom),
    PlacePostcode.approximate,
    PlacePostcode.source,
    PlacePostcode.terminated_date,
)


def postcode_row(session: Session, postcode: str) -> sa.Row[Any] | None:
    return session.execute(sa.select(*_POSTCODE_COLUMNS).where(PlacePostcode.postcode == postcode)).one_or_none()


def mean_point(
    session: Session, *, outward: str | None = None, sector: str | None = None
) -> tuple[float, float, int] | None:
    """(lon, lat, count) of the live postcodes of an outward code or a sector; None when it has none."""
    column = PlacePostcode.outward if outward is not None else PlacePostcode.sector
    value = outward if outward is not None else sector
    row = session.execute(
        sa.select(
            sa.func.avg(sa.func.ST_X(PlacePostcode.geom)),
            sa.func.avg(sa.func.ST_Y(PlacePostcode.geom)),
            sa.func.count(),
        ).where(column == value, PlacePostcode.terminated_date.is_(None))
    ).one()
    if not row[2]:
        return None
    return float(row[0]), float(row[1]), int(row[2])


def outwards_starting(session: Session, prefix: str, *, limit: int) -> list[str]:
    """Outward codes that start with ``prefix`` ("SW1" -> SW1A, SW1E, ...), shortest first."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stmt = (
        sa.select(PlacePostcode.outward)
        .where(PlacePostcode.outward.like(escaped + "%", escape="\\"), PlacePostcode.terminated_date.is_(None))
        .group_by(PlacePostcode.outward)
        .order_by(sa.func.length(PlacePostcode.outward), PlacePostcode.outward)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def count_postcodes(session: Session, *, source: str | None = None) -> int:
    stmt = sa.select(sa.func.count()).select_from(PlacePostcode)
    if source:
        stmt = stmt.where(PlacePostcode.source == source)
    return int(session.scalar(stmt) or 0)


def sources_of(session: Session, postcodes: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    values = list(postcodes)
    for start in range(0, len(values), 2000):
        chunk = values[start : start + 2000]
        found.update(
            (pc, src)
            for pc, src in session.execute(
                sa.select(PlacePostcode.postcode, PlacePostcode.source).where(PlacePostcode.postcode.in_(chunk))
            )
        )
    return found


def upsert_postcodes(session: Session, rows: Sequence[dict[str, Any]], *, now: datetime) -> tuple[int, int]:
    """Insert new postcodes and update the ones already stored (same postcode, new point/source):
    (inserted, updated). ``rows`` hold postcode, lon, lat, source, approximate, terminated_date, each
    postcode once. Runs inside the caller's transaction."""
    if not rows:
        return 0, 0
    present = existing_values(session, _TABLE.c.postcode, [r["postcode"] for r in rows])
    new = [r for r in rows if r["postcode"] not in present]
    old = [r for r in rows if r["postcode"] in present]
    table = _TABLE
    bulk_insert(
        session,
        table,
        ("postcode", "outward", "sector", "geom", "source", "approximate", "terminated_date", "imported_at"),
        [
            (
                r["postcode"],
                r["postcode"].split(" ")[0],
                r["postcode"][:-2],
                ewkt_point(r["lon"], r["lat"]),
                r["source"],
                r["approximate"],
                r["terminated_date"],
                now,
            )
            for r in new
        ],
    )
    if old:
        session.execute(
            sa.update(table)
            .where(table.c.postcode == sa.bindparam("key"))
            .values(
                geom=sa.func.ST_GeomFromEWKT(sa.bindparam("ewkt")),
                source=sa.bindparam("new_source"),
                approximate=sa.bindparam("new_approximate"),
                terminated_date=sa.bindparam("new_terminated_date"),
                imported_at=sa.bindparam("new_imported_at"),
            ),
            [
                {
                    "key": r["postcode"],
                    "ewkt": ewkt_point(r["lon"], r["lat"]),
                    "new_source": r["source"],
                    "new_approximate": r["approximate"],
                    "new_terminated_date": r["terminated_date"],
                    "new_imported_at": now,
                }
                for r in old
            ],
        )
    return len(new), len(old)


# --- names for place search ------------------------------------------------------------------------


def verified_venue_rows(session: Session) -> list[sa.Row[Any]]:
    """id, name, address, postcode, ward_code, lon, lat of every verified venue (public already)."""
    stmt = (
        sa.select(Venue.id, Venue.name, Venue.address, Venue.postcode, Venue.ward_code, *_point(Venue.geom))
        .where(Venue.status == "verified")
        .order_by(Venue.id)
        .limit(NAME_ROWS_LIMIT)
    )
    return list(session.execute(stmt))


def verified_safe_space_rows(session: Session) -> list[sa.Row[Any]]:
    """id, name, address, postcode, lon, lat of every verified safe space with its own identity (a
    safe space at a venue is found as the venue)."""
    stmt = (
        sa.select(SafeSpace.id, SafeSpace.name, SafeSpace.address, SafeSpace.postcode, *_point(SafeSpace.geom))
        .where(SafeSpace.status == "verified", SafeSpace.venue_id.is_(None))
        .order_by(SafeSpace.id)
        .limit(NAME_ROWS_LIMIT)
    )
    return list(session.execute(stmt))


def terminated_on_or_before(session: Session, day: date) -> int:
    stmt = sa.select(sa.func.count()).where(PlacePostcode.terminated_date <= day)
    return int(session.scalar(stmt) or 0)
