"""The stand-down rule in action: a coordinator confirms a shift runs below its minimum or reinstates
a stood-down one, and the job stands down the shifts that may not run."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth.models import User
from nte.errors import Invalid
from nte.patrols import repository as repo
from nte.patrols.config import PatrolSettings, get_patrol_settings
from nte.patrols.exceptions import (
    ActionNotAllowedNow,
    NobodyPatrolsAlone,
    ShiftStoodDown,
)
from nte.patrols.messages import (
    BELOW_MINIMUM,
    BELOW_MINIMUM_SUBJECT,
    STOOD_DOWN,
    STOOD_DOWN_COORDINATORS,
    STOOD_DOWN_SUBJECT,
    TEAM_LEADS_MANY,
    TEAM_LEADS_ONE,
    VOLUNTEERS_MANY,
    VOLUNTEERS_ONE,
    render,
)
from nte.patrols.models import (
    Shift,
)
from nte.patrols.service.clock import fmt_local
from nte.patrols.service.materialise import materialise_series, set_schedule_status
from nte.patrols.service.notify import coordinator_mail, team_mail
from nte.patrols.service.schedule import get_series, get_shift
from nte.patrols.service.signups import fill_places
from nte.patrols.service.staffing import TEAM_MINIMUM, Staffing, staffing_for, staffing_of
from nte.privacy import personal_data_in

STAND_DOWN_REASON_LIMIT = 300


def _coordinator_reason(value: str | None, *, field: str = "reason") -> str:
    text = " ".join((value or "").split())
    if not text:
        raise Invalid("Give a reason: the volunteers are told it.", field=field)
    if len(text) > STAND_DOWN_REASON_LIMIT:
        raise Invalid(f"Keep the reason to {STAND_DOWN_REASON_LIMIT} characters.", field=field)
    personal = personal_data_in(text)
    if personal:
        raise Invalid(f"The reason must not contain personal data ({personal}).", field=field)
    return text


def _at_least_two(item: Staffing, *, cannot_be: str) -> None:
    """Nobody patrols alone: a coordinator's decision never lets a shift run with fewer than two."""
    if item.needed_to_run:
        raise NobodyPatrolsAlone(
            f"{item.confirmed} confirmed: a team needs at least {TEAM_MINIMUM} (nobody patrols alone), "
            f"so it cannot be {cannot_be}.",
            field="shift_id",
        )


def confirm_below_minimum(session: Session, *, actor: User, shift_id: int, reason: str | None, now: datetime) -> Shift:
    """A coordinator confirms that a shift runs even if it is below its minimum volunteers or team
    leads at the stand-down time (the reason is sent to the team). Never below a team of two."""
    text = _coordinator_reason(reason)
    shift = get_shift(session, shift_id, lock=True)
    if shift.stood_down_at is not None:
        raise ShiftStoodDown("This shift has been stood down; reinstate it instead if it can run.", field="shift_id")
    if shift.status != "scheduled":
        raise ActionNotAllowedNow("This shift has been cancelled.", field="shift_id")
    if now >= shift.start_at:
        raise ActionNotAllowedNow("This shift has already started.", field="shift_id")
    item = staffing_of(session, shift)
    _at_least_two(item, cannot_be="confirmed to run")
    shift.below_minimum_confirmed_at = now
    shift.below_minimum_confirmed_by_id = actor.id
    shift.below_minimum_reason = text
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="patrols.shift.confirm_below_minimum",
        target_type="patrol_shift",
        target_id=shift.id,
        detail={"reason": text, "confirmed": item.confirmed, "team_leads": item.leads},
        at=now,
    )
    return shift


def reinstate_shift(session: Session, *, actor: User, shift_id: int, reason: str | None, now: datetime) -> Shift:
    """A coordinator puts a stood-down shift back before its start (say enough people came forward
    late). It needs a reason and at least two confirmed volunteers; the reason stands as the
    coordinator's confirmation that it runs with the team it has, so it is not stood down again
    unless it falls below a team of two. Everyone still on it is told, and the feed shows it again."""
    text = _coordinator_reason(reason)
    shift = get_shift(session, shift_id, lock=True)
    if shift.stood_down_at is None:
        raise ActionNotAllowedNow("This shift has not been stood down.", field="shift_id")
    if now >= shift.start_at:
        raise ActionNotAllowedNow("This shift has already started; it can no longer be reinstated.", field="shift_id")
    item = staffing_of(session, shift)
    _at_least_two(item, cannot_be="reinstated")
    was = shift.stand_down_reason
    shift.stood_down_at = None
    shift.stand_down_reason = None
    shift.below_minimum_confirmed_at = now
    shift.below_minimum_confirmed_by_id = actor.id
    shift.below_minimum_reason = text
    set_schedule_status(session, shift, "scheduled", now=now)
    audit.record(
        session,
        actor=actor,
        action="patrols.shift.reinstate",
        target_type="patrol_shift",
        target_id=shift.id,
        detail={"reason": text, "stood_down_for": was, "confirmed": item.confirmed, "team_leads": item.leads},
        at=now,
    )
    if shift.series_id is not None:  # catch up with any change made to the series while it was stood down
        materialise_series(session, get_series(session, shift.series_id), now=now)
    fill_places(session, shift, now=now)
    return shift


def stand_down_shifts(session: Session, *, now: datetime, settings: PatrolSettings | None = None) -> int:
    """From ``stand_down_hours`` before the start: a shift below its minimum volunteers or team
    leads that no coordinator confirmed (or below a team of two, whatever was confirmed) is stood
    down: cancelled with the reason, and its volunteers and the coordinators are told it will not
    run and why. A confirmed shift below its minimum tells them it runs with N and the coordinator's
    reason. Idempotent: a stood-down shift is no longer scheduled, and every mail has a dedupe key.
    Returns the mails queued."""
    settings = settings or get_patrol_settings()
    sent = 0
    due = repo.shifts_starting_between(session, now, now + timedelta(hours=settings.stand_down_hours))
    for item in staffing_for(session, due):
        shift = get_shift(session, item.shift.id, lock=True)
        session.refresh(shift)
        if shift.status != "scheduled":
            continue
        item = staffing_of(session, shift)
        reason = item.stand_down_reason()
        if reason is not None:
            sent += _stand_down(session, item, reason=reason, now=now)
        elif item.confirmed_below_minimum:
            sent += _tell_runs_below_minimum(session, item, now=now)
    return sent


def _stand_down(session: Session, item: Staffing, *, reason: str, now: datetime) -> int:
    shift = item.shift
    shift.sequence += 1  # the feed shows it cancelled (a status change bumps the SEQUENCE)
    shift.status = "cancelled"
    shift.stood_down_at = now
    shift.stand_down_reason = reason[:STAND_DOWN_REASON_LIMIT]
    shift.last_modified_at = now
    session.flush()
    audit.record(
        session,
        actor=None,
        action="patrols.shift.stand_down",
        target_type="patrol_shift",
        target_id=shift.id,
        detail={"reason": shift.stand_down_reason, "confirmed": item.confirmed, "team_leads": item.leads},
        at=now,
    )
    when = fmt_local(shift.start_at)
    subject = render(STOOD_DOWN_SUBJECT, area=item.area_name, start=when)
    body = render(STOOD_DOWN, area=item.area_name, start=when, reason=shift.stand_down_reason)
    key = f"patrol:stood-down:{shift.id}:{shift.sequence}"
    sent = team_mail(session, shift, subject=subject, body=body, key=key, now=now)
    sent += coordinator_mail(
        session,
        subject=subject,
        body=body + STOOD_DOWN_COORDINATORS,
        key=key,
        now=now,
    )
    return sent


def _tell_runs_below_minimum(session: Session, item: Staffing, *, now: datetime) -> int:
    shift = item.shift
    assert shift.below_minimum_confirmed_at is not None
    when = fmt_local(shift.start_at)
    team = render(VOLUNTEERS_ONE if item.confirmed == 1 else VOLUNTEERS_MANY, n=item.confirmed)
    team += render(TEAM_LEADS_ONE if item.leads == 1 else TEAM_LEADS_MANY, n=item.leads)
    subject = render(BELOW_MINIMUM_SUBJECT, area=item.area_name, start=when)
    body = render(
        BELOW_MINIMUM,
        area=item.area_name,
        start=when,
        team=team,
        shortfall=item.shortfall(),
        reason=shift.below_minimum_reason,
    )
    key = f"patrol:below-minimum:{shift.id}:{int(shift.below_minimum_confirmed_at.timestamp())}"
    sent = team_mail(session, shift, subject=subject, body=body, key=key, now=now, statuses=("confirmed",))
    return sent + coordinator_mail(session, subject=subject, body=body, key=key, now=now)
