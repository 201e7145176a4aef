"""A series over its life: pause and resume, end after a date, change from a date on (in place)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth.models import User
from nte.london import london_today
from nte.patrols import repository as repo
from nte.patrols.exceptions import (
    ActionNotAllowedNow,
    InvalidSeriesInput,
)
from nte.patrols.models import (
    SeriesRule,
    Shift,
    ShiftSeries,
)
from nte.patrols.recurrence import (
    InvalidSeries,
    ShiftSeriesSpec,
    occurs_on,
    rule_until,
    with_until,
)
from nte.patrols.service._common import clean_text
from nte.patrols.service.materialise import materialise_series
from nte.patrols.service.schedule import get_series, spec_for
from nte.patrols.service.series import SeriesFormInvalid, series_problems


def set_series_active(session: Session, *, actor: User, series_id: int, active: bool, now: datetime) -> SeriesChange:
    """Pause (``active=False``) or resume a series.

    Pausing means no patrol of the series runs until it is resumed: every night already made that has
    not started is cancelled (the row is kept, with its sign-ups, and shown as cancelled in calendars)
    and its signed-up volunteers are told; no new nights are made while paused. A night under way or
    over is not touched. Resuming brings the nights back on the same rows (same calendar UID, SEQUENCE
    bumped), with the sign-ups they had, tells those volunteers, and schedules the rolling window
    again; nights cancelled one by one stay cancelled."""
    series = get_series(session, series_id)
    if series.is_active == active:
        raise ActionNotAllowedNow(
            "This series is already running." if active else "This series is already paused.", field="series_id"
        )
    before = _snapshot(session, series.id, now=now)
    series.is_active = active
    series.updated_at = now
    audit.record(
        session,
        actor=actor,
        action="patrols.series.resume" if active else "patrols.series.pause",
        target_type="patrol_series",
        target_id=series.id,
        at=now,
    )
    result = SeriesChange(series)
    materialise_series(session, series, now=now)
    _count_change(session, before, result)
    return result


@dataclass
class SeriesChange:
    """What a series change did: the series that now carries the nights, how many shifts were
    cancelled or moved, and how many signed-up volunteers were told."""

    series: ShiftSeries
    cancelled: int = 0
    moved: int = 0
    told: int = 0


def _active_signups(session: Session, shift: Shift) -> int:
    return sum(1 for signup, _v, _u in repo.signups_for_shift(session, shift.id) if signup.status in repo.ACTIVE)


def _snapshot(
    session: Session, series_id: int, *, now: datetime
) -> dict[int, tuple[str, datetime, datetime, str | None]]:
    return {
        s.id: (s.status, s.start_at, s.end_at, s.meeting_point)
        for s in repo.shifts_of_series(session, series_id, from_at=now)
        if s.start_at > now
    }


def _count_change(
    session: Session, before: Mapping[int, tuple[str, datetime, datetime, str | None]], result: SeriesChange
) -> None:
    for shift_id, (status, start_at, end_at, meeting_point) in before.items():
        shift = repo.get_shift(session, shift_id)
        if shift is None or (status == "cancelled" and shift.status == "cancelled"):
            continue
        if shift.status == "cancelled":
            result.cancelled += 1
        elif status == "cancelled" or (shift.start_at, shift.end_at, shift.meeting_point) != (
            start_at,
            end_at,
            meeting_point,
        ):
            result.moved += 1  # moved, re-timed, or back on after a cancellation
        else:
            continue
        result.told += _active_signups(session, shift)


def _first_date(session: Session, series: ShiftSeries) -> date:
    earlier = repo.earlier_rules(session, series.id)
    return earlier[0].start_date if earlier else series.start_date


def _ends_by(rrule: str, tz: str, last: date) -> str:
    """``rrule`` ending on ``last`` at the latest (an earlier UNTIL is kept, never pushed later)."""
    until = rule_until(rrule, tz)
    return rrule if until is not None and until <= last else with_until(rrule, last)


def _generates(rrule: str, *, start_date: date, start_time: time, end_time: time, tz: str) -> bool:
    try:
        ShiftSeriesSpec(rrule=rrule, start_date=start_date, start_time=start_time, end_time=end_time, tz=tz)
    except InvalidSeries:
        return False
    return True


def end_series(session: Session, *, actor: User, series_id: int, last_date: date, now: datetime) -> SeriesChange:
    """End a series after ``last_date`` (London date, inclusive): the rule that governs that date gets
    UNTIL (RFC 5545) and the rules from later dates (of a change from a date) are dropped. Later
    nights are cancelled (kept) and the volunteers signed up to them told (the usual cancellation mail)."""
    series = get_series(session, series_id)
    today = london_today(now)
    first = _first_date(session, series)
    if last_date < first:
        raise InvalidSeriesInput(f"The end date is before the series starts ({first:%d %b %Y}).", field="end_date")
    if last_date < today:
        raise InvalidSeriesInput(
            "The end date is in the past: choose today or a later date (nights already run stay on record).",
            field="end_date",
        )
    earlier = repo.earlier_rules(session, series.id)
    # The rule in force on last_date: the current one, or an earlier one that comes back as current.
    governing = next((r for r in reversed(earlier) if r.start_date <= last_date), None)
    if series.start_date <= last_date:
        governing = None
    source = governing or series
    rule = _ends_by(source.rrule, series.tz, last_date)
    if not _generates(
        rule, start_date=source.start_date, start_time=source.start_time, end_time=source.end_time, tz=series.tz
    ):
        raise InvalidSeriesInput(
            "No night of the series falls on or before this date: pause the series instead.", field="end_date"
        )
    before = _snapshot(session, series.id, now=now)
    old_rule = series.rrule
    if governing is not None:
        _restore_rule(series, governing)
        for row in earlier:
            if row.start_date >= governing.start_date:
                session.delete(row)
        session.flush()
    series.rrule = rule
    series.updated_at = now
    audit.record(
        session,
        actor=actor,
        action="patrols.series.end",
        target_type="patrol_series",
        target_id=series.id,
        detail={"until": str(last_date), "rrule": rule, "was": old_rule},
        at=now,
    )
    result = SeriesChange(series)
    materialise_series(session, series, now=now)
    _count_change(session, before, result)
    return result


def _restore_rule(series: ShiftSeries, row: SeriesRule) -> None:
    series.rrule, series.start_date, series.start_time, series.end_time = (
        row.rrule,
        row.start_date,
        row.start_time,
        row.end_time,
    )
    series.area_id, series.meeting_point = row.area_id, row.meeting_point
    series.min_volunteers, series.max_volunteers, series.min_team_leads = (
        row.min_volunteers,
        row.max_volunteers,
        row.min_team_leads,
    )


PAST_FROM_DATE = "Choose today or a later date: nights already past are not changed."


def change_series_from(
    session: Session,
    *,
    actor: User,
    series_id: int,
    from_date: date,
    rrule: str,
    start_time: time,
    end_time: time,
    min_volunteers: int,
    max_volunteers: int,
    min_team_leads: int,
    meeting_point: str | None,
    area_id: int | None = None,
    now: datetime,
) -> SeriesChange:
    """From ``from_date`` (London date) on, the series follows a new rule, times, meeting point, area
    and staffing; nights before it keep the old ones. The series is changed in place (same id, name
    and calendar): the rule it followed up to the day before is kept as an earlier rule
    (``patrol_series_rule``), so nights between today and ``from_date`` are still made from it.
    Shifts already made from that date keep their rows and sign-ups when the new rule still has their
    night (new times and place, SEQUENCE bumped, their volunteers told old -> new); the others are
    cancelled (kept, told too). Per-night changes from that date carry over where the new rule has
    the night; the others are dropped with the nights they were about."""
    series = get_series(session, series_id)
    today = london_today(now)
    problems: dict[str, str] = {}
    if from_date < today:
        problems["from_date"] = PAST_FROM_DATE
    problems.update(
        series_problems(
            session,
            area_id=area_id,
            name=None,
            rrule=rrule,
            start_date=max(from_date, today),
            start_time=start_time,
            end_time=end_time,
            tz=series.tz,
            min_volunteers=min_volunteers,
            max_volunteers=max_volunteers,
            min_team_leads=min_team_leads,
            meeting_point=meeting_point,
        )
    )
    if problems:
        raise SeriesFormInvalid(problems)
    before = _snapshot(session, series.id, now=now)
    day_before = from_date - timedelta(days=1)
    # History: every rule that governed nights before from_date keeps them, ending the day before.
    for row in repo.earlier_rules(session, series.id):
        cut = _ends_by(row.rrule, series.tz, day_before)
        if row.start_date >= from_date or not _generates(
            cut, start_date=row.start_date, start_time=row.start_time, end_time=row.end_time, tz=series.tz
        ):
            session.delete(row)
        else:
            row.rrule = cut
    if series.start_date < from_date:
        cut = _ends_by(series.rrule, series.tz, day_before)
        if _generates(
            cut, start_date=series.start_date, start_time=series.start_time, end_time=series.end_time, tz=series.tz
        ):
            session.add(
                SeriesRule(
                    series_id=series.id,
                    area_id=series.area_id,
                    rrule=cut,
                    start_date=series.start_date,
                    start_time=series.start_time,
                    end_time=series.end_time,
                    min_volunteers=series.min_volunteers,
                    max_volunteers=series.max_volunteers,
                    min_team_leads=series.min_team_leads,
                    meeting_point=series.meeting_point,
                    created_at=now,
                )
            )
    old_rule = series.rrule
    series.rrule = rrule.strip()
    series.start_date = from_date
    series.start_time, series.end_time = start_time, end_time
    series.min_volunteers, series.max_volunteers, series.min_team_leads = (
        min_volunteers,
        max_volunteers,
        min_team_leads,
    )
    series.meeting_point = clean_text(meeting_point, limit=200, field="meeting_point", label="The meeting point")
    if area_id is not None:
        series.area_id = area_id
    series.updated_at = now
    session.flush()
    new_spec = spec_for(session, series, [])
    for night in repo.nights_for(session, series.id):
        if night.occurrence_date >= from_date and not occurs_on(new_spec, night.occurrence_date):
            session.delete(night)  # about a night the series no longer has
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="patrols.series.change",
        target_type="patrol_series",
        target_id=series.id,
        detail={"from": str(from_date), "rrule": series.rrule, "was": old_rule, "area": series.area_id},
        at=now,
    )
    result = SeriesChange(series)
    materialise_series(session, series, now=now)
    _count_change(session, before, result)
    return result
