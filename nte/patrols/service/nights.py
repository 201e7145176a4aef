"""One night at a time: cancel, re-time, move or restore one night of a series; cancel one shift."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth.models import User
from nte.patrols import repository as repo
from nte.patrols.exceptions import (
    ActionNotAllowedNow,
    InvalidSeriesInput,
)
from nte.patrols.models import (
    SeriesNight,
    Shift,
)
from nte.patrols.recurrence import (
    InvalidSeries,
)
from nte.patrols.service.materialise import materialise_series, set_schedule_status
from nte.patrols.service.schedule import get_series, get_shift, night_of, series_rules


def change_night(
    session: Session,
    *,
    actor: User,
    series_id: int,
    occurrence_date: date,
    cancelled: bool = False,
    start_time: time | None = None,
    end_time: time | None = None,
    moved_to: date | None = None,
    now: datetime,
) -> SeriesNight | None:
    """Cancel one night, change its times or move it; with nothing set, the night is restored."""
    series = get_series(session, series_id)
    nights = {n.occurrence_date: n for n in repo.nights_for(session, series.id)}
    night = nights.get(occurrence_date)
    candidate = SeriesNight(
        series_id=series.id,
        occurrence_date=occurrence_date,
        cancelled=cancelled,
        start_time=start_time,
        end_time=end_time,
        moved_to=moved_to,
    )
    trial = {**nights, occurrence_date: candidate}
    try:
        rules = series_rules(session, series, trial.values())
    except InvalidSeries as exc:
        raise InvalidSeriesInput(
            f"{exc.message[:1].upper()}{exc.message[1:]}.",
            field="start_time" if "time" in exc.message else "occurrence_date",
        ) from None
    if night_of(rules, occurrence_date) is None:
        raise InvalidSeriesInput(
            f"{occurrence_date:%A %d %B %Y} is not a night of this series.", field="occurrence_date"
        )
    existing = next(
        (s for s in repo.shifts_of_series(session, series.id) if s.occurrence_date == occurrence_date), None
    )
    if existing is not None and existing.start_at <= now:
        raise ActionNotAllowedNow(
            "This night has already started; it can no longer be changed.", field="occurrence_date"
        )
    restore = not cancelled and start_time is None and end_time is None and moved_to is None
    if restore:
        if night is not None:
            session.delete(night)
            session.flush()
        result = None
    else:
        if night is None:
            night = candidate
            session.add(night)
        else:
            night.cancelled, night.start_time, night.end_time, night.moved_to = (
                cancelled,
                start_time,
                end_time,
                moved_to,
            )
        session.flush()
        result = night
    audit.record(
        session,
        actor=actor,
        action="patrols.series.night",
        target_type="patrol_series",
        target_id=series.id,
        detail={"date": str(occurrence_date), "cancelled": cancelled, "restored": restore},
        at=now,
    )
    materialise_series(session, series, now=now)
    return result


def cancel_shift(session: Session, *, actor: User, shift_id: int, now: datetime) -> Shift:
    shift = get_shift(session, shift_id)
    if shift.start_at <= now:
        raise ActionNotAllowedNow("This shift has already started and cannot be cancelled.", field="shift_id")
    if shift.series_id is not None and shift.occurrence_date is not None:
        change_night(
            session,
            actor=actor,
            series_id=shift.series_id,
            occurrence_date=shift.occurrence_date,
            cancelled=True,
            now=now,
        )
    else:
        set_schedule_status(session, shift, "cancelled", now=now)
    return shift
