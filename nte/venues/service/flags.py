"""What officers are warned of about a venue: pledges overdue, posters without enough trained staff,
accreditations expiring, possible duplicates, failed spot checks still open."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from nte.venues import repository as repo
from nte.venues.config import VenueSettings, get_venue_settings

ANGELA_TRAINING = ("wave", "ask_for_angela")


@dataclass(frozen=True)
class TrainedShare:
    """How many of a venue's stated staff count as trained (WAVE or Ask for Angela in the last 12
    months), for the "posters but no trained staff" flag."""

    staff_count: int | None
    trained: int  # staff trained in the last 12 months, at most the staff count
    new_starters: int  # told at renewal, after the last such training: untrained until the next one
    share: float | None  # None: no staff count stated
    required: float

    @property
    def enough(self) -> bool:
        return self.share is not None and self.share >= self.required

    @property
    def required_staff(self) -> int | None:
        """The fewest trained staff that meet the share."""
        if self.staff_count is None:
            return None
        return max(1, math.ceil(round(self.required * self.staff_count, 6)))


def trained_shares(
    session: Session,
    *,
    today: date,
    venue_ids: Iterable[int] | None = None,
    venue_settings: VenueSettings | None = None,
) -> dict[int, TrainedShare]:
    """Trained staff against the stated staff count, per venue. The people trained are the sum of
    the staff each WAVE or Ask for Angela event in the last 12 months trained, capped at the staff
    count (a venue cannot have more trained staff than staff). New starters that a renewal reported
    after the day of the last such training are untrained (a training that day or later may have
    trained them): the trained staff are then at most the staff count less the new starters."""
    required = (venue_settings or get_venue_settings()).trained_share
    since = today - timedelta(days=365)
    ids = list(venue_ids) if venue_ids is not None else None
    staff = repo.staff_counts(session, venue_ids=ids)
    trained = repo.staff_trained_since(session, since=since, types=ANGELA_TRAINING, venue_ids=ids)
    last = repo.last_training_dates(session, types=ANGELA_TRAINING, venue_ids=ids)
    starters = repo.latest_new_starters(session, venue_ids=ids)
    out = {}
    for venue_id, count in staff.items():
        new = 0
        told = starters.get(venue_id)
        if told is not None and (venue_id not in last or told[0] > last[venue_id]):
            new = told[1]
        people = trained.get(venue_id, 0)
        if count is not None:
            people = min(people, max(0, count - new))
        share = (people / count) if count else None
        out[venue_id] = TrainedShare(count, people, new, share, required)
    return out


def flags_by_venue(
    session: Session, *, today: date, venue_settings: VenueSettings | None = None
) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}

    def add(ids: Iterable[int], flag: str) -> None:
        for venue_id in ids:
            out.setdefault(venue_id, []).append(flag)

    add(repo.overdue_pledge_venue_ids(session, today=today), "pledge_overdue")
    angela = repo.angela_venue_ids(session)
    shares = trained_shares(session, today=today, venue_ids=angela, venue_settings=venue_settings) if angela else {}
    # Posters without enough trained staff: with a staff count, the share of it trained; without
    # one, we cannot count, so the venue is asked for it (and flagged untrained if nobody is).
    add((v for v, s in shares.items() if s.staff_count is None), "staff_count_missing")
    add(
        (
            v
            for v, s in shares.items()
            if (s.staff_count is None and s.trained == 0) or (s.staff_count and not s.enough)
        ),
        "angela_untrained",
    )
    add(
        repo.expiring_accreditation_venue_ids(session, today=today, until=today + timedelta(days=30)),
        "accreditation_expiring",
    )
    add(repo.open_duplicate_venue_ids(session), "possible_duplicate")
    add(repo.open_action_venue_ids(session), "spot_check_action")
    return out
