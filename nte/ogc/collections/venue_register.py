"""The officers' venue register as a layer: every charter venue whatever its status, with what the
register shows officers about its standing (pledges met, training, renewal date, Ask for Angela,
its ward and borough).

The register's contact details stay off this layer: no champion's or manager's name, email or phone
(``champion_named`` says whether a champion is named). A desktop GIS copies what it reads; the
register page and its audited export are where officers see who to call. The demo's example venues
are left out, as on the register, unless ``examples=true``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import InstrumentedAttribute

from nte.auth.deps import OfficerApi
from nte.ogc.collections.base import Context, Param, Queryable, SqlCollection, Version
from nte.venues.models import VENUE_STATUSES, VENUE_TYPES, Venue, VenuePledge, VenueTraining
from nte.venues.vocabulary import STATUS_LABELS
from nte.wards.models import Ward


def _pledges_met() -> Any:
    return (
        sa.select(sa.func.count())
        .where(VenuePledge.venue_id == Venue.id, VenuePledge.met.is_(True))
        .correlate(Venue)
        .scalar_subquery()
    )


def _training(aggregate: Any) -> Any:
    return sa.select(aggregate).where(VenueTraining.venue_id == Venue.id).correlate(Venue).scalar_subquery()


def _ward_name() -> Any:
    return sa.select(sa.func.max(Ward.name)).where(Ward.code == Venue.ward_code).correlate(Venue).scalar_subquery()


class VenueRegisterCollection(SqlCollection):
    id = "venue-register"
    title = "Venue register (officers)"
    description = (
        "Every charter venue with its status (submitted, changes requested, verified, rejected, lapsed, "
        "withdrawn), pledges met, training (sessions, staff trained, last date), renewal date, Ask for Angela, "
        "and its ward and borough. No contact details: whether a champion is named, not who. The demo's example "
        "venues only with examples=true. Filter with CQL2, e.g. status = 'verified' AND renewal_date < "
        "DATE('2027-01-01')."
    )
    access = OfficerApi
    geometry_type = "Point"
    site_path = "/officer/venues"
    params = (Param("examples", "true: include the demo's example venues (default false).", enum=("true", "false")),)
    queryables = (
        Queryable("name", "string", "Venue name"),
        Queryable("venue_type", "string", "Kind of venue", enum=VENUE_TYPES),
        Queryable("status", "string", "Status", enum=VENUE_STATUSES),
        Queryable("ward_code", "string", "Ward code (current wards)"),
        Queryable("borough_code", "string", "Borough code"),
        Queryable("champion_named", "boolean", "A champion is named"),
        Queryable("ask_for_angela", "boolean", "Shows Ask for Angela posters"),
        Queryable("pledges_met", "integer", "Pledges met (of 7)"),
        Queryable("trainings", "integer", "Training sessions recorded"),
        Queryable("staff_trained", "integer", "Staff trained (all sessions)"),
        Queryable("last_training_date", "string", "Last training", format="date"),
        Queryable("renewal_date", "string", "Renewal due", format="date"),
        Queryable("example", "boolean", "A demo example venue"),
    )

    @property
    def key(self) -> InstrumentedAttribute[Any]:
        return Venue.id

    @property
    def geometry(self) -> InstrumentedAttribute[Any]:
        return Venue.geom

    def fields(self) -> Mapping[str, Any]:
        return {
            "name": Venue.name,
            "venue_type": Venue.venue_type,
            "status": Venue.status,
            "ward_code": Venue.ward_code,
            "borough_code": Venue.borough_code,
            "champion_named": sa.func.length(sa.func.trim(Venue.champion_name)) > 0,
            "ask_for_angela": Venue.ask_for_angela,
            "pledges_met": _pledges_met(),
            "trainings": _training(sa.func.count(VenueTraining.id)),
            "staff_trained": sa.func.coalesce(_training(sa.func.sum(VenueTraining.staff_trained)), 0),
            "last_training_date": _training(sa.func.max(VenueTraining.training_date)),
            "renewal_date": Venue.renewal_date,
            "example": Venue.is_example,
        }

    def columns(self) -> Sequence[Any]:
        f = self.fields()
        return [
            Venue.name.label("name"),
            Venue.venue_type.label("venue_type"),
            Venue.status.label("status"),
            Venue.address.label("address"),
            Venue.postcode.label("postcode"),
            Venue.licence_number.label("licence_number"),
            Venue.ward_code.label("ward_code"),
            _ward_name().label("ward_name"),
            Venue.borough_code.label("borough_code"),
            f["champion_named"].label("champion_named"),
            Venue.ask_for_angela.label("ask_for_angela"),
            f["pledges_met"].label("pledges_met"),
            f["trainings"].label("trainings"),
            f["staff_trained"].label("staff_trained"),
            f["last_training_date"].label("last_training_date"),
            Venue.renewal_date.label("renewal_date"),
            Venue.verified_at.label("verified_at"),
            Venue.location_approximate.label("location_approximate"),
            Venue.is_example.label("example"),
        ]

    def conditions(self, session: Session, ctx: Context) -> list[ColumnElement[bool]]:
        if ctx.extra.get("examples") == "true":
            return []
        return [Venue.is_example.is_(False)]

    def properties(self, row: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(row)
        out["status_label"] = STATUS_LABELS.get(row["status"], row["status"])
        out["licence_number"] = row["licence_number"] or ""
        out["ward_name"] = row["ward_name"] or ""
        for name in ("champion_named", "ask_for_angela", "location_approximate", "example"):
            out[name] = bool(row[name])
        out["staff_trained"] = int(row["staff_trained"] or 0)
        last = row["last_training_date"]
        # SQLite hands an aggregate of dates back as text.
        out["last_training_date"] = last.isoformat() if hasattr(last, "isoformat") else last
        return out

    def version(self, session: Session, ctx: Context) -> Version:
        return register_version(session)


def register_version(session: Session) -> Version:
    """Changes whenever a venue is added, removed or touched (every change to a venue, or anything
    shown with it, bumps its ``updated_at``), and when a pledge or training row changes."""
    venues = session.execute(
        sa.select(sa.func.count(Venue.id), sa.func.max(Venue.id), sa.func.max(Venue.updated_at))
    ).one()
    training = session.execute(
        sa.select(
            sa.func.count(VenueTraining.id),
            sa.func.max(VenueTraining.id),
            sa.func.coalesce(sa.func.sum(VenueTraining.staff_trained), 0),
        )
    ).one()
    pledges = session.execute(sa.select(sa.func.count()).where(VenuePledge.met.is_(True))).scalar_one()
    tag = ":".join(str(v) for v in (*venues, *training, pledges))
    return Version(f"venue-register:{tag}", venues[2])
