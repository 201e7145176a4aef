"""The venue portal: what a venue's manager keeps up to date (details, pledges, staff count,
training, accreditations). Officers may make the same changes; each one is audited."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shapely.geometry import Point
from sqlalchemy.orm import Session

from nte.auth.models import User
from nte.config import Settings
from nte.london import london_today
from nte.spatial import to_db
from nte.venues import repository as repo
from nte.venues.models import Venue, VenueAccreditation, VenueDuplicate, VenuePledge, VenueTraining
from nte.venues.service.details import clean_details
from nte.venues.service.pledges import clean_pledges
from nte.venues.service.records import assign_ward, saved, venue_for
from nte.venues.service.validation import (
    ACCREDITATION_FIELDS,
    STAFF_COUNT_FIELDS,
    TRAINING_FIELDS,
    accreditation_dates_problem,
    cleaned,
    in_order,
    licence_key,
    name_key,
    raise_if_any,
    training_date_problem,
)
from nte.web.forms import collect


def my_venues(session: Session, *, user: User) -> list[Venue]:
    return repo.venues_managed_by(session, user.id)


def my_held_sign_ups(session: Session, *, user: User) -> list[VenueDuplicate]:
    return repo.held_duplicates_by(session, user.id)


def update_details(
    session: Session, *, user: User, venue_id: int, raw: Mapping[str, Any], settings: Settings, now: datetime
) -> Venue:
    venue = venue_for(session, user=user, venue_id=venue_id)
    errors: dict[str, str] = {}
    d = clean_details(session, raw, settings=settings, errors=errors)
    if d and d.licence_number:
        other = repo.venue_by_licence(session, licence_key(d.licence_number))
        if other is not None and other.id != venue.id:
            errors["licence_number"] = "Another venue is registered with this licence number; an officer can help."
    raise_if_any(errors)
    assert d is not None
    before = {"name": venue.name, "address": venue.address, "postcode": venue.postcode}
    venue.name, venue.name_key, venue.venue_type = d.name, name_key(d.name), d.venue_type
    venue.address, venue.postcode = d.address, d.postcode
    venue.licence_number = d.licence_number
    venue.licence_key = licence_key(d.licence_number) if d.licence_number else None
    venue.geom = to_db(Point(d.lon, d.lat))
    venue.ward_code, venue.borough_code = d.ward_code, d.borough_code
    assign_ward(session, venue)
    venue.contact_email, venue.contact_phone = d.contact_email, d.contact_phone
    venue.champion_name, venue.champion_role, venue.ask_for_angela = d.champion_name, d.champion_role, d.ask_for_angela
    saved(session, venue, actor=user, action="venue.update_details", now=now, detail=lambda: {"before": before})
    return venue


def update_pledges(session: Session, *, user: User, venue_id: int, raw: Mapping[str, Any], now: datetime) -> Venue:
    venue = venue_for(session, user=user, venue_id=venue_id)
    errors: dict[str, str] = {}
    existing = {p.number: p for p in venue.pledges}
    pledges = clean_pledges(raw, today=london_today(now), errors=errors, existing=existing)
    raise_if_any(errors)
    for p in pledges:
        row = existing.get(p.number)
        if row is None:
            row = VenuePledge(number=p.number)
            venue.pledges.append(row)
        row.met, row.how_met, row.target_date, row.reviewed_at = p.met, p.how_met, p.target_date, now
    saved(
        session,
        venue,
        actor=user,
        action="venue.update_pledges",
        now=now,
        detail=lambda: {"met": sum(p.met for p in pledges)},
    )
    return venue


def add_training(
    session: Session, *, user: User, venue_id: int, raw: Mapping[str, Any], now: datetime
) -> VenueTraining:
    venue = venue_for(session, user=user, venue_id=venue_id)
    values, errors = collect(TRAINING_FIELDS, raw)
    when = values.get("training_date")
    problem = training_date_problem(when, today=london_today(now)) if when is not None else None
    if problem is not None:
        errors["training_date"] = problem
    raise_if_any(in_order(errors, TRAINING_FIELDS))
    kind = values["training_type"]
    row = VenueTraining(
        venue_id=venue.id,
        training_type=kind,
        provider=values["provider"],
        training_date=when,
        staff_trained=values["staff_trained"],
        created_at=now,
    )
    session.add(row)
    saved(
        session,
        venue,
        actor=user,
        action="venue.add_training",
        now=now,
        detail=lambda: {"training_id": row.id, "type": kind},
    )
    return row


def update_staff_count(session: Session, *, user: User, venue_id: int, raw: Mapping[str, Any], now: datetime) -> Venue:
    """The venue's stated staff count: trained staff are counted against it."""
    venue = venue_for(session, user=user, venue_id=venue_id)
    count = cleaned(STAFF_COUNT_FIELDS, raw)["staff_count"]
    before = venue.staff_count
    venue.staff_count = count
    saved(
        session,
        venue,
        actor=user,
        action="venue.update_staff_count",
        now=now,
        detail=lambda: {"before": before, "after": count},
    )
    return venue


def add_accreditation(
    session: Session, *, user: User, venue_id: int, raw: Mapping[str, Any], now: datetime
) -> VenueAccreditation:
    venue = venue_for(session, user=user, venue_id=venue_id)
    values, errors = collect(ACCREDITATION_FIELDS, raw)
    start, end = values.get("valid_from_date"), values.get("valid_to_date")
    problem = accreditation_dates_problem(start, end) if start and end else None
    if problem is not None:
        errors["valid_to_date"] = problem
    raise_if_any(errors)
    scheme = values["scheme"]
    row = VenueAccreditation(
        venue_id=venue.id,
        scheme=scheme,
        level=values["level"] or None,
        valid_from_date=start,
        valid_to_date=end,
        created_at=now,
    )
    session.add(row)
    saved(
        session,
        venue,
        actor=user,
        action="venue.add_accreditation",
        now=now,
        detail=lambda: {"accreditation_id": row.id, "scheme": scheme},
    )
    return row
