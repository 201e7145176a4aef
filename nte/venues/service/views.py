"""Everything a venue page shows (public, portal or officer) in one object."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from nte.config import Settings
from nte.london import london_today
from nte.spatial import from_db
from nte.venues import repository as repo
from nte.venues.exceptions import VenueNotFound
from nte.venues.models import (
    Venue,
    VenueAccreditation,
    VenueAction,
    VenueDuplicate,
    VenueEvidence,
    VenueSpotCheck,
    VenueTraining,
)
from nte.venues.service.details import PIN_POSTCODE_FLAG_M
from nte.venues.service.flags import TrainedShare, flags_by_venue, trained_shares
from nte.venues.service.wards import ward_names


@dataclass
class VenueView:
    """Everything shown on a venue page (public, portal or officer)."""

    venue: Venue
    lon: float
    lat: float
    ward_name: str
    trainings: list[VenueTraining]
    accreditations: list[VenueAccreditation]
    current_schemes: list[str]
    last_training: date | None
    flags: list[str] = field(default_factory=list)
    evidence: list[VenueEvidence] = field(default_factory=list)
    spot_checks: list[VenueSpotCheck] = field(default_factory=list)
    duplicates: list[VenueDuplicate] = field(default_factory=list)
    #: Open actions from failed spot checks (what to put right, by when), oldest due first.
    actions: list[VenueAction] = field(default_factory=list)
    trained: TrainedShare | None = None

    @property
    def pin_far_from_postcode(self) -> bool:
        """The pin is further than PIN_POSTCODE_FLAG_M from the postcode's point: an officer checks it."""
        distance = self.venue.pin_postcode_distance_m
        return distance is not None and distance > PIN_POSTCODE_FLAG_M


def view(session: Session, *, venue: Venue, now: datetime, settings: Settings, private: bool) -> VenueView:
    today = london_today(now)
    point = from_db(venue.geom)
    assert point is not None  # venue.geom is NOT NULL
    trainings = repo.trainings(session, venue.id)
    accs = repo.accreditations(session, venue.id)
    result = VenueView(
        venue=venue,
        lon=point.x,
        lat=point.y,
        ward_name=ward_names(session, settings=settings).get(venue.ward_code, venue.ward_code),
        trainings=trainings,
        accreditations=accs,
        current_schemes=sorted({a.scheme for a in accs if a.valid_from_date <= today <= a.valid_to_date}),
        last_training=max((t.training_date for t in trainings), default=None),
    )
    if private:
        result.flags = flags_by_venue(session, today=today).get(venue.id, [])
        result.evidence = repo.evidence(session, venue.id)
        result.spot_checks = repo.spot_checks(session, venue.id)
        result.duplicates = repo.duplicates(session, venue_id=venue.id, open_only=False)
        result.actions = repo.open_actions(session, venue_id=venue.id)
        result.trained = trained_shares(session, today=today, venue_ids=[venue.id]).get(venue.id)
    else:
        # The public sees what holds today: an expired accreditation is not shown as the venue's.
        result.accreditations = [a for a in accs if a.valid_from_date <= today <= a.valid_to_date]
    return result


def public_venue(session: Session, *, venue_id: int) -> Venue:
    venue = repo.get_venue(session, venue_id)
    if venue is None or not (venue.status == "verified" or venue.is_example):
        raise VenueNotFound()
    return venue
