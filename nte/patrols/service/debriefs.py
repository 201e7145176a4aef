"""Debriefs: what a shift did, each person supported once (no personal data about the public),
incidents, and who may file one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shapely.geometry import Point
from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth.models import User
from nte.errors import Conflict, Forbidden
from nte.patrols import repository as repo
from nte.patrols.exceptions import (
    ActionNotAllowedNow,
    InvalidDebrief,
    NotTeamLead,
)
from nte.patrols.models import (
    GENDERS,
    SUPPORT_KINDS,
    Debrief,
    DebriefCount,
    DebriefIncident,
    Shift,
)
from nte.patrols.service._common import clean_text
from nte.patrols.service.areas import area_geometry, get_area
from nte.patrols.service.schedule import get_shift
from nte.patrols.service.volunteers import volunteer_for_user
from nte.patrols.vocabulary import (
    AGE_BANDS,
    EMERGENCY_HANDOVERS,
    HANDOVERS,
    MAX_PEOPLE_PER_DEBRIEF,
)
from nte.privacy import personal_data_in
from nte.spatial import from_db, to_db
from nte.spatial.coords import round_coord
from nte.wards.service import validate_point


def _no_personal_data(text: str | None, *, field: str) -> None:
    what = personal_data_in(text) if text else None
    if what is not None:
        raise InvalidDebrief(
            f"This looks like it contains {what}. A debrief must not hold personal data about "
            "members of the public; please remove it.",
            field=field,
        )


@dataclass(frozen=True)
class PersonSupported:
    """One person the patrol supported, as the debrief records them: no name, no free text."""

    gender: str
    kinds: tuple[str, ...]
    age_band: str | None = None
    handover: str | None = None


#: What a person's row may hold; anything else (a name, notes) is refused.
PERSON_FIELDS = ("gender", "age_band", "kinds", "handover")


def _choice(value: Any, allowed: Iterable[str], *, field: str, what: str, optional: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if optional:
            return None
        raise InvalidDebrief(f"Choose the {what}.", field=field)
    if not isinstance(value, str) or value.strip() not in allowed:
        raise InvalidDebrief(f"Unknown {what} {str(value)[:30]!r}.", field=field)
    return value.strip()


def clean_person(person: Mapping[str, Any], index: int) -> PersonSupported:
    """One person's row checked: gender as observed (required), age band (optional), one or more kinds
    of help, a hand-over (optional). A hand-over to police or ambulance is the kind "handed_over" too.
    Errors name the field, ``people.<index>.<field>``."""
    at = f"people.{index}"
    if not isinstance(person, Mapping):
        raise InvalidDebrief("Each person is an object with gender, age_band, kinds and handover.", field=at)
    for key in person:
        if key not in PERSON_FIELDS:
            raise InvalidDebrief(
                "A person holds only gender, age band, kinds of help and hand-over: no names or notes.",
                field=f"{at}.{str(key)[:30]}",
            )
    gender = _choice(person.get("gender"), GENDERS, field=f"{at}.gender", what="gender", optional=False)
    age_band = _choice(person.get("age_band"), AGE_BANDS, field=f"{at}.age_band", what="age band", optional=True)
    handover = _choice(person.get("handover"), HANDOVERS, field=f"{at}.handover", what="hand-over", optional=True)
    raw_kinds = person.get("kinds")
    if raw_kinds is None or isinstance(raw_kinds, str) or not isinstance(raw_kinds, Iterable):
        raise InvalidDebrief("Give the kinds of help as a list.", field=f"{at}.kinds")
    given = set()
    for kind in raw_kinds:
        if not isinstance(kind, str) or kind not in SUPPORT_KINDS:
            raise InvalidDebrief(f"Unknown kind of support {str(kind)[:30]!r}.", field=f"{at}.kinds")
        given.add(kind)
    if handover in EMERGENCY_HANDOVERS:
        given.add("handed_over")
    if not given:
        raise InvalidDebrief("Choose at least one kind of help given to this person.", field=f"{at}.kinds")
    assert gender is not None
    return PersonSupported(
        gender=gender, kinds=tuple(k for k in SUPPORT_KINDS if k in given), age_band=age_band, handover=handover
    )


def clean_people(people: Any) -> list[PersonSupported]:
    if people is None:
        return []
    if isinstance(people, (str, bytes, Mapping)) or not isinstance(people, Iterable):
        raise InvalidDebrief("Give the people supported as a list.", field="people")
    rows = list(people)
    if len(rows) > MAX_PEOPLE_PER_DEBRIEF:
        raise InvalidDebrief(
            f"A debrief records at most {MAX_PEOPLE_PER_DEBRIEF} people; you gave {len(rows)}.", field="people"
        )
    return [clean_person(person, i) for i, person in enumerate(rows)]


def check_debrief_lead(session: Session, *, user: User, shift: Shift) -> None:
    """Who may file a shift's debrief (the API and the debrief page both ask here): a volunteer who
    is a team lead with a confirmed place on the shift and not marked a no-show, or a coordinator."""
    if user.role == "volunteer":
        volunteer = volunteer_for_user(session, user)
        signup = repo.signup_for(session, shift.id, volunteer.id)
        if not volunteer.is_team_lead or signup is None or signup.status != "confirmed" or signup.no_show:
            raise NotTeamLead(
                "Only a team lead on this shift (or a coordinator) can file its debrief.", field="shift_id"
            )
    elif user.role not in ("coordinator", "admin"):
        raise Forbidden("Your role does not allow this.")


def file_debrief(
    session: Session,
    *,
    user: User,
    shift_id: int,
    people: Any = (),
    summary: str | None = None,
    incidents: Iterable[Mapping[str, Any]] = (),
    now: datetime,
) -> Debrief:
    """The team lead (or a coordinator) records what the shift did: each person supported once
    (``clean_person``), a summary and incidents. No personal data about the public."""
    shift = get_shift(session, shift_id)
    check_debrief_lead(session, user=user, shift=shift)
    if shift.status == "cancelled":
        raise ActionNotAllowedNow("This shift was cancelled; there is nothing to debrief.", field="shift_id")
    if now < shift.start_at:
        raise ActionNotAllowedNow("The debrief can be filed once the shift has started.", field="shift_id")
    if repo.debrief_for_shift(session, shift.id) is not None:
        raise Conflict("The debrief for this shift has already been filed.", field="shift_id", code="debrief_exists")
    clean = clean_people(people)
    clean_summary = clean_text(summary, limit=1000, field="summary", label="The summary")
    _no_personal_data(clean_summary, field="summary")
    area_geom = area_geometry(get_area(session, shift.area_id))
    clean_incidents = []
    for i, incident in enumerate(incidents):
        title = (str(incident.get("title") or "")).strip()
        if not title or len(title) > 120:
            raise InvalidDebrief(
                "Give each incident a short title (at most 120 characters).", field=f"incidents.{i}.title"
            )
        notes = clean_text(incident.get("notes"), limit=2000, field=f"incidents.{i}.notes", label="The notes")
        _no_personal_data(title, field=f"incidents.{i}.title")
        _no_personal_data(notes, field=f"incidents.{i}.notes")
        lon, lat = incident.get("lon"), incident.get("lat")
        point = None
        if lon not in (None, "") or lat not in (None, ""):
            lon_f, lat_f = validate_point(lon, lat, lon_field=f"incidents.{i}.lon", lat_field=f"incidents.{i}.lat")
            point = Point(lon_f, lat_f)
            if not area_geom.covers(point):
                raise InvalidDebrief(
                    "The incident location must be inside the patrol area.", field=f"incidents.{i}.lon"
                )
        clean_incidents.append((title, notes, point))
    debrief = Debrief(shift_id=shift.id, filed_by_id=user.id, filed_at=now, summary=clean_summary)
    session.add(debrief)
    session.flush()
    for position, person in enumerate(clean):
        repo.add_debrief_person(
            session,
            debrief_id=debrief.id,
            position=position,
            gender=person.gender,
            age_band=person.age_band,
            handover=person.handover,
            kinds=person.kinds,
        )
    for title, notes, point in clean_incidents:
        session.add(
            DebriefIncident(
                debrief_id=debrief.id, title=title, notes=notes, geom=to_db(point) if point is not None else None
            )
        )
    session.flush()
    audit.record(
        session,
        actor=user,
        action="patrols.debrief.file",
        target_type="patrol_shift",
        target_id=shift.id,
        detail={
            "people": len(clean),
            "actions": sum(len(p.kinds) for p in clean),
            "incidents": len(clean_incidents),
        },
        at=now,
    )
    return debrief


def estimate_people(cells: Iterable[tuple[str, str, int]]) -> dict[str, int]:
    """People by gender estimated from a debrief filed as kind x gender cells (before migration 0016):
    per gender, the largest single kind's count. A lower bound: everyone in that cell is a different
    person, and the same person may be in several kinds' cells, so no more can be claimed."""
    people: dict[str, int] = {}
    for _kind, gender, n in cells:
        people[gender] = max(people.get(gender, 0), n)
    return people


@dataclass
class DebriefView:
    debrief: Debrief
    #: Actions: how many times each kind of help was given, by gender as observed.
    counts: dict[tuple[str, str], int]
    incidents: list[dict[str, Any]]
    #: Each person supported (empty for a debrief filed before people were recorded one by one).
    people: list[PersonSupported] = field(default_factory=list)
    #: People by gender: counted from ``people``, or estimated (``estimate_people``) when ``estimated``.
    people_by_gender: dict[str, int] = field(default_factory=dict)

    @property
    def estimated(self) -> bool:
        return self.debrief.people_estimated

    @property
    def total(self) -> int:
        """People supported (each once); an estimate when ``estimated``."""
        return sum(self.people_by_gender.values())

    @property
    def actions(self) -> int:
        return sum(self.counts.values())


def people_and_actions(
    debrief: Debrief, people: list[PersonSupported], cells: list[DebriefCount]
) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    """A debrief's actions (kind x gender) and people by gender, for either shape of debrief."""
    if debrief.people_estimated:
        actions = {(c.kind, c.gender): c.people for c in cells}
        return actions, estimate_people((c.kind, c.gender, c.people) for c in cells)
    counted: Counter[tuple[str, str]] = Counter()
    by_gender: Counter[str] = Counter()
    for person in people:
        by_gender[person.gender] += 1
        for kind in person.kinds:
            counted[(kind, person.gender)] += 1
    return dict(counted), dict(by_gender)


def person_of(row: repo.PersonRow) -> PersonSupported:
    return PersonSupported(gender=row.gender, kinds=row.kinds, age_band=row.age_band, handover=row.handover)


def debrief_view(session: Session, shift_id: int, *, restricted: bool) -> DebriefView | None:
    """The debrief of a shift; incident notes only when ``restricted`` (coordinators)."""
    debrief = repo.debrief_for_shift(session, shift_id)
    if debrief is None:
        return None
    people = [person_of(row) for row in repo.debrief_people(session, [debrief.id])]
    counts, by_gender = people_and_actions(debrief, people, repo.debrief_counts(session, [debrief.id]))
    incidents = []
    for incident in repo.debrief_incidents(session, debrief.id):
        point = from_db(incident.geom)
        incidents.append(
            {
                "id": incident.id,
                "title": incident.title,
                "notes": incident.notes if restricted else None,
                "lon": round_coord(point.x) if point is not None else None,
                "lat": round_coord(point.y) if point is not None else None,
            }
        )
    return DebriefView(debrief, counts, incidents, people, by_gender)
