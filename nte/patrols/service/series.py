"""Shift series: checking a series' fields, creating one, describing it, and the hours it covers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth.models import User
from nte.errors import FieldErrors, NTEError
from nte.london import to_london
from nte.patrols import repository as repo
from nte.patrols.exceptions import (
    InvalidSeriesInput,
)
from nte.patrols.models import (
    ShiftSeries,
)
from nte.patrols.recurrence import (
    InvalidSeries,
    ShiftSeriesSpec,
    describe,
    materialise,
    plain_words,
)
from nte.patrols.service._common import clean_text
from nte.patrols.service.areas import get_area
from nte.patrols.service.materialise import materialise_series
from nte.patrols.service.schedule import spec_for


@dataclass(frozen=True)
class SeriesHours:
    """When a series patrols its area: local times and the (weekday, hour) cells it covers."""

    series_id: int
    name: str
    description: str
    start_time: time
    end_time: time
    tz: str
    #: (local weekday Monday=0, local hour) covered by at least one night in the next window.
    hours_of_week: frozenset[tuple[int, int]]
    nights_in_window: int


def series_hours(session: Session, area_id: int, *, now: datetime | None = None) -> list[SeriesHours]:
    """The active series patrolling ``area_id`` and the hours of the week they cover (next 8 weeks)."""
    now = now or datetime.now(UTC)
    out = []
    for series in repo.list_series(session, active_only=True, area_id=area_id):
        spec = spec_for(session, series)
        cells: set[tuple[int, int]] = set()
        nights = 0
        for occ in materialise(spec, window_start=now, window_end=now + timedelta(weeks=8)):
            if occ.cancelled:
                continue
            nights += 1
            hour = to_london(occ.start_at).replace(minute=0, second=0, microsecond=0)
            while hour < to_london(occ.end_at):
                cells.add((hour.weekday(), hour.hour))
                hour = to_london(hour.astimezone(UTC) + timedelta(hours=1))
        out.append(
            SeriesHours(
                series.id,
                series.name,
                describe(spec),
                series.start_time,
                series.end_time,
                series.tz,
                frozenset(cells),
                nights,
            )
        )
    return out


def _count_problems(
    min_volunteers: int | None, max_volunteers: int | None, min_team_leads: int | None
) -> dict[str, str]:
    """Every problem with the staffing numbers; ``None`` is a number the form could not read (already
    reported), so the checks that need it are skipped."""
    problems: dict[str, str] = {}
    if min_volunteers is not None and min_volunteers < 2:
        problems["min_volunteers"] = "Nobody patrols alone: the minimum must be at least 2 volunteers."
    if max_volunteers is not None:
        if min_volunteers is not None and max_volunteers < min_volunteers:
            problems["max_volunteers"] = "The maximum must not be below the minimum."
        elif max_volunteers > 200:
            problems["max_volunteers"] = "The maximum may be at most 200 volunteers."
    if min_team_leads is not None and (
        min_team_leads < 0 or (min_volunteers is not None and min_team_leads > min_volunteers)
    ):
        problems["min_team_leads"] = "Team leads must be between 0 and the minimum number of volunteers."
    return problems


class SeriesFormInvalid(FieldErrors, InvalidSeriesInput):
    """Several problems with one series form at once: ``errors`` maps each field to its sentence;
    ``field``/``detail`` carry the first and the JSON body lists them all (``fields``)."""

    code = "invalid_series"


def sentence(exc: InvalidSeries) -> str:
    return f"{exc.message[:1].upper()}{exc.message[1:]}."


def series_problems(
    session: Session,
    *,
    area_id: int | None,
    name: str | None,
    rrule: str | None,
    start_date: date | None,
    start_time: time | None,
    end_time: time | None,
    tz: str = "Europe/London",
    min_volunteers: int | None,
    max_volunteers: int | None,
    min_team_leads: int | None,
    meeting_point: str | None = None,
) -> dict[str, str]:
    """Every problem with a series' fields at once, keyed by field (empty when it can be saved).
    ``None`` means the caller could not read that value and has reported it already: the checks that
    need it are skipped, the others still run."""
    problems: dict[str, str] = {}
    if area_id is not None and repo.get_area(session, area_id) is None:
        problems["area_id"] = "Choose a patrol area from the list."
    if name is not None:
        clean_name = name.strip()
        if not clean_name or len(clean_name) > 120:
            problems["name"] = "Enter a name of at most 120 characters."
    problems.update(_count_problems(min_volunteers, max_volunteers, min_team_leads))
    if rrule is not None and len(rrule) > 300:
        problems["rrule"] = "The rule is too long."
    elif rrule is not None and start_date is not None and start_time is not None and end_time is not None:
        try:
            ShiftSeriesSpec(rrule=rrule, start_date=start_date, start_time=start_time, end_time=end_time, tz=tz)
        except InvalidSeries as exc:
            problems.setdefault(exc.field, sentence(exc))
    if meeting_point:
        try:
            clean_text(meeting_point, limit=200, field="meeting_point", label="The meeting point")
        except NTEError as exc:
            problems["meeting_point"] = exc.detail
    return problems


def create_series(
    session: Session,
    *,
    actor: User,
    area_id: int,
    name: str,
    rrule: str,
    start_date: date,
    start_time: time,
    end_time: time,
    tz: str = "Europe/London",
    min_volunteers: int = 4,
    max_volunteers: int = 12,
    min_team_leads: int = 1,
    meeting_point: str | None = None,
    now: datetime,
) -> ShiftSeries:
    area = get_area(session, area_id)
    fields: dict[str, Any] = {
        "rrule": rrule,
        "start_date": start_date,
        "start_time": start_time,
        "end_time": end_time,
        "tz": tz,
        "min_volunteers": min_volunteers,
        "max_volunteers": max_volunteers,
        "min_team_leads": min_team_leads,
    }
    problems = series_problems(session, area_id=None, name=name or "", meeting_point=meeting_point, **fields)
    if problems:
        raise SeriesFormInvalid(problems)
    fields["rrule"] = rrule.strip()
    series = ShiftSeries(
        area_id=area.id,
        name=(name or "").strip(),
        meeting_point=clean_text(meeting_point, limit=200, field="meeting_point", label="The meeting point"),
        created_at=now,
        updated_at=now,
        **fields,
    )
    session.add(series)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="patrols.series.create",
        target_type="patrol_series",
        target_id=series.id,
        detail={"rrule": series.rrule, "area": area.id},
        at=now,
    )
    materialise_series(session, series, now=now)
    return series


def list_series(session: Session) -> list[ShiftSeries]:
    return repo.list_series(session)


def describe_series(session: Session, series: ShiftSeries) -> str:
    return describe(spec_for(session, series))


def series_plain_words(session: Session, series: ShiftSeries) -> str:
    """ "Every Friday and Saturday, 22:00 to 03:00, from 4 Dec 2026 until 27 Feb 2027"."""
    return plain_words(spec_for(session, series))
