"""Making shifts from a series over the rolling window, and bringing stored nights in line with it
(changed, cancelled or back on nights bump their calendar SEQUENCE and tell their volunteers)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from nte.notifications import service as outbox
from nte.patrols import ical
from nte.patrols import repository as repo
from nte.patrols.config import PatrolSettings, get_patrol_settings
from nte.patrols.messages import (
    MEET_AS_USUAL,
    SHIFT_BACK_ON,
    SHIFT_CANCELLED,
    SHIFT_CANCELLED_SUBJECT,
    SHIFT_CHANGED,
    SHIFT_CHANGED_SUBJECT,
    SHIFT_NOW_RUNS,
    greeted,
    render,
)
from nte.patrols.models import (
    PatrolArea,
    Shift,
    ShiftSeries,
)
from nte.patrols.recurrence import (
    materialise,
)
from nte.patrols.service.areas import get_area
from nte.patrols.service.clock import fmt_local
from nte.patrols.service.schedule import governing_rule, location_text, night_of, series_rules


def materialise_series(
    session: Session, series: ShiftSeries, *, now: datetime, settings: PatrolSettings | None = None
) -> tuple[int, int]:
    """Create the shifts of ``series`` over the rolling window and bring every stored night that has
    not started in line with the series. Returns (created, updated).

    The window only decides which NEW nights are made. A stored night is judged by asking the
    series' rules about that night (:func:`night_of`), never by whether this run's window produced
    it, so runs with different windows agree: a night is cancelled (kept, so calendars show it
    cancelled, its volunteers told) only when the series no longer generates it (rule changed,
    series ended, night excepted) or the series is paused; a night that changed bumps its SEQUENCE.
    Nights under way or over are never changed. Idempotent: keyed by (series, occurrence_date)."""
    settings = settings or get_patrol_settings()
    rules = series_rules(session, series)
    stored = {s.occurrence_date: s for s in repo.shifts_of_series(session, series.id) if s.occurrence_date}
    created = updated = 0
    for day, shift in stored.items():
        if shift.start_at <= now:
            continue  # under way or over: history is not rewritten
        if shift.stood_down_at is not None:
            continue  # stood down: stays so until a coordinator reinstates it (which catches up)
        found = night_of(rules, day) if series.is_active else None
        if found is None or found[0].cancelled:
            # A cancelled night keeps the times and place it had: nothing else about it changes.
            changed = set_schedule_status(session, shift, "cancelled", now=now)
        else:
            occurrence, rule = found
            changed = apply_schedule(
                session,
                shift,
                area_id=rule.area_id,
                start_at=occurrence.start_at,
                end_at=occurrence.end_at,
                status="scheduled",
                meeting_point=rule.meeting_point,
                now=now,
            )
            staffing = (rule.min_volunteers, rule.max_volunteers, rule.min_team_leads)
            if (shift.min_volunteers, shift.max_volunteers, shift.min_team_leads) != staffing:
                shift.min_volunteers, shift.max_volunteers, shift.min_team_leads = staffing
        updated += changed
    if series.is_active:  # paused: no new nights
        window_end = now + timedelta(weeks=settings.materialise_weeks)
        for rule in rules:
            for occ in materialise(rule.spec, window_start=now, window_end=window_end):
                if occ.occurrence_date in stored or governing_rule(rules, occ.occurrence_date) is not rule:
                    continue
                stored[occ.occurrence_date] = shift = Shift(
                    series_id=series.id,
                    occurrence_date=occ.occurrence_date,
                    area_id=rule.area_id,
                    start_at=occ.start_at,
                    end_at=occ.end_at,
                    min_volunteers=rule.min_volunteers,
                    max_volunteers=rule.max_volunteers,
                    min_team_leads=rule.min_team_leads,
                    meeting_point=rule.meeting_point,
                    status="cancelled" if occ.cancelled else "scheduled",
                    sequence=0,
                    last_modified_at=now,
                    created_at=now,
                )
                session.add(shift)
                created += 1
    session.flush()
    return created, updated


def apply_schedule(
    session: Session,
    shift: Shift,
    *,
    area_id: int,
    start_at: datetime,
    end_at: datetime,
    status: str,
    meeting_point: str | None,
    now: datetime,
) -> bool:
    old_area = get_area(session, shift.area_id)
    area = old_area if area_id == shift.area_id else get_area(session, area_id)
    old = ical.ScheduleFields(
        shift.start_at,
        shift.end_at,
        location_text(old_area, shift.meeting_point),
        ical.EventStatus.CANCELLED if shift.status == "cancelled" else ical.EventStatus.CONFIRMED,
    )
    new = ical.ScheduleFields(
        start_at,
        end_at,
        location_text(area, meeting_point),
        ical.EventStatus.CANCELLED if status == "cancelled" else ical.EventStatus.CONFIRMED,
    )
    if not ical.sequence_must_increase(old, new):
        return False
    shift.sequence = ical.next_sequence(shift.sequence, old, new)
    was_cancelled = shift.status == "cancelled"
    shift.start_at, shift.end_at, shift.status, shift.meeting_point = start_at, end_at, status, meeting_point
    shift.area_id = area.id
    shift.last_modified_at = now
    session.flush()
    if was_cancelled and status == "cancelled":
        return True  # still cancelled: nobody is told about a night that does not run
    _notify_shift_change(
        session,
        shift,
        area=area,
        was=None if was_cancelled else (old_area, old),
        cancelled=status == "cancelled",
        now=now,
    )
    return True


def set_schedule_status(session: Session, shift: Shift, status: str, *, now: datetime) -> bool:
    """Cancel (``"cancelled"``) or bring back (``"scheduled"``) a shift keeping its times and place."""
    return apply_schedule(
        session,
        shift,
        area_id=shift.area_id,
        start_at=shift.start_at,
        end_at=shift.end_at,
        status=status,
        meeting_point=shift.meeting_point,
        now=now,
    )


def _shift_change_mail(
    shift: Shift, *, area: PatrolArea, was: tuple[PatrolArea, ical.ScheduleFields] | None, cancelled: bool
) -> tuple[str, str]:
    """The subject and text (after the greeting) telling a volunteer what happened to their night."""
    start = fmt_local(shift.start_at)
    if cancelled:
        return render(SHIFT_CANCELLED_SUBJECT, area=area.name, start=start), render(
            SHIFT_CANCELLED, area=area.name, start=start
        )
    subject = render(SHIFT_CHANGED_SUBJECT, area=area.name, start=start)
    now_runs = render(
        SHIFT_NOW_RUNS,
        area=area.name,
        start=start,
        end=fmt_local(shift.end_at),
        meet=shift.meeting_point or MEET_AS_USUAL,
    )
    if was is None:
        return subject, render(SHIFT_BACK_ON, area=area.name) + now_runs
    old_area, old = was
    meet = old.location.split("(meet: ", 1)[1].rstrip(")") if "(meet: " in old.location else MEET_AS_USUAL
    text = render(
        SHIFT_CHANGED,
        old_area=old_area.name,
        old_start=fmt_local(old.start_at),
        old_end=fmt_local(old.end_at),
        old_meet=meet,
    )
    return subject, text + now_runs


def _notify_shift_change(
    session: Session,
    shift: Shift,
    *,
    area: PatrolArea,
    was: tuple[PatrolArea, ical.ScheduleFields] | None,
    cancelled: bool,
    now: datetime,
) -> None:
    """Tell the volunteers holding or waiting for a place what happened to their night, in London
    time: cancelled; changed (old -> new); or back on (``was`` is None: it had been cancelled)."""
    subject, text = _shift_change_mail(shift, area=area, was=was, cancelled=cancelled)
    for signup, _volunteer, user in repo.signups_for_shift(session, shift.id):
        if signup.status not in repo.ACTIVE:
            continue
        outbox.enqueue(
            session,
            to=user.email,
            subject=subject,
            body=greeted(user.display_name, text),
            now=now,
            dedupe_key=f"patrol:shift-change:{shift.id}:{shift.sequence}:{signup.volunteer_id}",
        )


def materialise_all(session: Session, *, now: datetime, settings: PatrolSettings | None = None) -> int:
    total = 0
    for series in repo.list_series(session):
        created, updated = materialise_series(session, series, now=now, settings=settings)
        total += created + updated
    return total
