"""Running a shift: check-in, home safe, no-shows, and what each person may do now."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth.models import User
from nte.errors import NTEError
from nte.london import to_london
from nte.patrols import repository as repo
from nte.patrols.config import PatrolSettings, get_patrol_settings
from nte.patrols.exceptions import (
    ActionNotAllowedNow,
    PatrolNotFound,
    ShiftStoodDown,
)
from nte.patrols.models import (
    Shift,
    Signup,
    Volunteer,
)
from nte.patrols.service.clock import fmt_when
from nte.patrols.service.schedule import get_shift
from nte.patrols.service.signups import cancel_refusal, get_signup
from nte.patrols.service.staffing import staffing_of, stand_down_time


def _own_confirmed(session: Session, volunteer: Volunteer, shift: Shift) -> Signup:
    signup = repo.signup_for(session, shift.id, volunteer.id)
    if signup is None or signup.status != "confirmed":
        raise PatrolNotFound("confirmed place of yours on this shift", field="shift_id")
    return signup


def check_in_opens_at(shift: Shift, *, settings: PatrolSettings | None = None) -> datetime:
    settings = settings or get_patrol_settings()
    return shift.start_at - timedelta(minutes=settings.check_in_opens_minutes)


def check_in_refusal(shift: Shift, *, now: datetime, settings: PatrolSettings | None = None) -> NTEError | None:
    """Why a confirmed volunteer cannot check in now (open from shortly before the start to the end)."""
    if shift.stood_down_at is not None:
        return ShiftStoodDown(stood_down_words(shift), field="shift_id")
    if shift.status == "cancelled":
        return ActionNotAllowedNow("This shift was cancelled.", field="shift_id")
    opens = check_in_opens_at(shift, settings=settings)
    if now < opens:
        return ActionNotAllowedNow(f"Check in opens at {fmt_when(opens)}.", field="shift_id")
    if now >= shift.end_at:
        return ActionNotAllowedNow("This shift has ended.", field="shift_id")
    return None


def home_safe_opens_at(shift: Shift, *, settings: PatrolSettings | None = None) -> datetime:
    settings = settings or get_patrol_settings()
    return shift.end_at - timedelta(minutes=settings.home_safe_opens_minutes)


def home_safe_refusal(shift: Shift, *, now: datetime, settings: PatrolSettings | None = None) -> NTEError | None:
    """Why a confirmed volunteer cannot confirm they are home safe yet (open near the shift's end,
    and any time after it; the lone-worker alert waits for it)."""
    if shift.status == "cancelled":
        return ActionNotAllowedNow("This shift was cancelled.", field="shift_id")
    opens = home_safe_opens_at(shift, settings=settings)
    if now < opens:
        return ActionNotAllowedNow(
            f"You can confirm you are home safe from {fmt_when(opens)}. If you leave early, tell your team lead.",
            field="shift_id",
        )
    return None


def stood_down_words(shift: Shift) -> str:
    """The refusal a volunteer sees on a stood-down shift, with the reason."""
    return f"This patrol was stood down and will not run: {shift.stand_down_reason}."


def check_in(session: Session, *, volunteer: Volunteer, shift_id: int, now: datetime) -> Signup:
    shift = get_shift(session, shift_id)
    signup = _own_confirmed(session, volunteer, shift)
    refusal = check_in_refusal(shift, now=now)
    if refusal is not None:
        raise refusal
    # Past its stand-down time and due to be stood down (the job has not reached it yet): the rule
    # binds all the same, so nobody checks in to a patrol that cannot run.
    due = staffing_of(session, shift).stand_down_reason() if now >= stand_down_time(shift) else None
    if due is not None:
        raise ShiftStoodDown(f"This patrol cannot run: {due}.", field="shift_id")
    if signup.checked_in_at is None:
        signup.checked_in_at = now
        signup.no_show = False
        signup.updated_at = now
    return signup


def home_safe(session: Session, *, volunteer: Volunteer, shift_id: int, now: datetime) -> Signup:
    shift = get_shift(session, shift_id)
    signup = _own_confirmed(session, volunteer, shift)
    refusal = home_safe_refusal(shift, now=now)
    if refusal is not None:
        raise refusal
    if signup.home_safe_at is None:
        signup.home_safe_at = now
        signup.updated_at = now
    return signup


def no_show_refusal(shift: Shift, signup: Signup, *, now: datetime) -> NTEError | None:
    """Why a coordinator cannot mark this confirmed volunteer as a no-show now (taking the mark
    off is always allowed)."""
    if now < shift.start_at:
        return ActionNotAllowedNow(
            f"No-shows can be marked once the shift has started ({fmt_when(shift.start_at)}).", field="signup_id"
        )
    if signup.home_safe_at is not None:
        return ActionNotAllowedNow(
            f"Not a no-show: confirmed home safe at {to_london(signup.home_safe_at):%H:%M}.", field="signup_id"
        )
    if signup.checked_in_at is not None:
        return ActionNotAllowedNow(
            f"Not a no-show: checked in at {to_london(signup.checked_in_at):%H:%M}.", field="signup_id"
        )
    return None


def _reason(refusal: NTEError | None) -> str | None:
    return None if refusal is None else refusal.detail


def volunteer_choices(
    shift: Shift, signup: Signup, *, now: datetime, settings: PatrolSettings | None = None
) -> dict[str, str | None]:
    """What the volunteer's page shows for one of their sign-ups: each action that applies, mapped
    to None when it is allowed now (the button is offered) or to the reason it is not, in the words
    the service uses to refuse it. Actions that do not apply (done already, not on the shift) are left out."""
    choices: dict[str, str | None] = {}
    if shift.status != "scheduled":
        return choices
    settings = settings or get_patrol_settings()
    if signup.status in ("confirmed", "waitlisted") and now < shift.start_at and signup.checked_in_at is None:
        choices["cancel"] = _reason(cancel_refusal(shift, signup, now=now, settings=settings))
    if signup.status == "confirmed":
        if signup.checked_in_at is None and now < shift.end_at:
            choices["check_in"] = _reason(check_in_refusal(shift, now=now, settings=settings))
        if signup.home_safe_at is None and (now >= shift.start_at or signup.checked_in_at is not None):
            choices["home_safe"] = _reason(home_safe_refusal(shift, now=now, settings=settings))
    return choices


def coordinator_choices(shift: Shift, signup: Signup, *, now: datetime) -> dict[str, str | None]:
    """The same for the coordinator's roster: marking a no-show (taking it off is always offered)."""
    if signup.status != "confirmed" or shift.status != "scheduled" or signup.no_show or now < shift.start_at:
        return {}
    return {"no_show": _reason(no_show_refusal(shift, signup, now=now))}


def mark_no_show(session: Session, *, actor: User, signup_id: int, no_show: bool, now: datetime) -> Signup:
    signup = get_signup(session, signup_id)
    shift = get_shift(session, signup.shift_id)
    if signup.status != "confirmed":
        raise ActionNotAllowedNow("Only confirmed volunteers can be marked as no-shows.", field="signup_id")
    if no_show:
        refusal = no_show_refusal(shift, signup, now=now)
        if refusal is not None:
            raise refusal
    signup.no_show = no_show
    signup.updated_at = now
    audit.record(
        session,
        actor=actor,
        action="patrols.signup.no_show",
        target_type="patrol_signup",
        target_id=signup.id,
        detail={"no_show": no_show},
        at=now,
    )
    return signup


def roster(session: Session, shift_id: int) -> list[tuple[Signup, Volunteer, User]]:
    return repo.signups_for_shift(session, shift_id)


def volunteer_shifts(session: Session, volunteer: Volunteer, *, now: datetime) -> list[tuple[Signup, Shift]]:
    return repo.signups_of_volunteer(session, volunteer.id, from_at=now - timedelta(days=2))
