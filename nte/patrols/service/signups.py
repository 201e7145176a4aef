"""Sign-up, cancellation and the waitlist.

Capacity under concurrency: every change to who holds a place on a shift first locks the shift row
(``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite every write transaction is ``BEGIN IMMEDIATE``
so writers are serialised), then counts and writes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth import repository as auth_repo
from nte.auth.models import User
from nte.errors import NTEError
from nte.london import london_today, to_london
from nte.notifications import service as outbox
from nte.patrols import repository as repo
from nte.patrols.config import PatrolSettings, get_patrol_settings
from nte.patrols.exceptions import (
    ActionNotAllowedNow,
    CancellationDeadlinePassed,
    PatrolNotFound,
    SignupRefused,
)
from nte.patrols.messages import OFFER, OFFER_SUBJECT, greeted, render
from nte.patrols.models import (
    Shift,
    Signup,
    Volunteer,
)
from nte.patrols.service.areas import get_area
from nte.patrols.service.clock import fmt_local, fmt_when
from nte.patrols.service.schedule import get_shift
from nte.patrols.service.volunteers import eligibility, eligibility_problem, get_volunteer


def book_shift(
    session: Session,
    *,
    volunteer: Volunteer,
    shift_id: int,
    now: datetime,
    join_waitlist: bool = True,
    settings: PatrolSettings | None = None,
) -> Signup:
    """Sign ``volunteer`` up, applying the rules in :data:`SIGNUP_RULES` order. A full shift puts
    them on the waitlist (or refuses with ``shift_full`` when ``join_waitlist`` is False)."""
    settings = settings or get_patrol_settings()
    # One booking at a time per volunteer (a double click, or two overlapping shifts booked at
    # once, cannot both pass the rules); volunteers do not wait for each other here.
    facts = repo.booking_facts(session, volunteer_id=volunteer.id, shift_id=shift_id, kinds=settings.required_records)
    if facts is None:
        raise PatrolNotFound("shift", field="shift_id")
    _check_signup_rules(session, facts, now=now, settings=settings)
    # Capacity: one atomic claim. A full shift is never locked, so the waitlisted do not queue
    # behind the last places; the claim holds the shift row only from here to the commit.
    claimed = repo.claim_place(session, shift_id)
    if not claimed and not join_waitlist:
        raise SignupRefused("shift_full", "This shift is full. You can join the waitlist instead.")
    if facts.signup_id is not None:  # back after cancelling, declining or an expired offer
        signup = repo.get_signup(session, facts.signup_id)
        if signup is None:
            # Deleted since the facts were read (PostgreSQL, READ COMMITTED): the volunteer's row is
            # locked, so only the shift's deletion can cascade to it. The rollback undoes the claim.
            raise PatrolNotFound("shift", field="shift_id")
    else:
        signup = Signup(shift_id=shift_id, volunteer_id=volunteer.id, created_at=now)
        session.add(signup)
    signup.updated_at = now
    signup.cancelled_at = signup.cancelled_by_id = signup.offered_at = signup.offer_expires_at = None
    signup.checked_in_at = signup.home_safe_at = None
    signup.no_show = False
    if claimed:  # the claim has counted the place already
        if signup.confirmed_at is not None:  # back on after a cancellation: the feed must see a change
            signup.feed_sequence += 1
        signup.status = "confirmed"
        signup.confirmed_at = now
    else:
        signup.status = "waitlisted"
        signup.waitlisted_at = now
    session.flush()
    return signup


def _set_status(session: Session, signup: Signup, status: str, *, now: datetime) -> None:
    """Every status change after the booking goes through here, to keep ``shift.places_taken`` equal
    to the sign-ups holding a place. The caller holds the shift row lock."""
    delta = (status in repo.TAKEN) - (signup.status in repo.TAKEN)
    signup.status = status
    signup.updated_at = now
    if delta:
        repo.add_places_taken(session, signup.shift_id, delta)


_ALREADY = {
    "confirmed": "are signed up for",
    "offered": "have been offered a place on",
    "waitlisted": "are on the waitlist for",
}


def _check_signup_rules(session: Session, facts: repo.BookingFacts, *, now: datetime, settings: PatrolSettings) -> None:
    """Rules 1-5 of :data:`SIGNUP_RULES` in order."""
    if facts.signup_status in repo.ACTIVE:
        raise SignupRefused("already_signed_up", f"You {_ALREADY[facts.signup_status]} this shift already.")
    if now >= facts.shift_start_at:
        raise SignupRefused("shift_started", "This shift has already started; sign-up is closed.")
    if facts.shift_status == "cancelled":
        raise SignupRefused("shift_cancelled", "This shift has been cancelled.")
    problem = eligibility(
        facts.volunteer_status, facts.record_expiry, on=london_today(facts.shift_end_at), settings=settings
    )
    if problem is not None:
        raise SignupRefused(problem[0], problem[1])
    if facts.clash_shift_id is not None:
        clash = get_shift(session, facts.clash_shift_id)
        raise SignupRefused(
            "overlaps_shift",
            f"You are already on a shift at that time ({fmt_local(clash.start_at)}-{to_london(clash.end_at):%H:%M}).",
        )


def _release(session: Session, signup: Signup, *, status: str, actor: User | None, now: datetime) -> None:
    if signup.status == "confirmed":
        signup.feed_sequence += 1
    _set_status(session, signup, status, now=now)
    signup.cancelled_at = now
    signup.cancelled_by_id = actor.id if actor else None


def cancellation_deadline(shift: Shift, *, settings: PatrolSettings | None = None) -> datetime:
    """A volunteer can give up a confirmed place online until this moment."""
    settings = settings or get_patrol_settings()
    return shift.start_at - timedelta(hours=settings.cancellation_deadline_hours)


def cancel_refusal(
    shift: Shift, signup: Signup, *, now: datetime, settings: PatrolSettings | None = None
) -> NTEError | None:
    """Why the volunteer cannot leave this shift (or its waitlist) now, or None if they can. A
    coordinator can still take anyone off (:func:`coordinator_cancel_signup`)."""
    settings = settings or get_patrol_settings()
    if signup.status == "confirmed":
        if signup.checked_in_at is not None:
            return ActionNotAllowedNow(
                "You have checked in, so you cannot cancel; tell your team lead if you have to leave.",
                field="shift_id",
            )
        deadline = cancellation_deadline(shift, settings=settings)
        if now >= deadline and shift.status == "scheduled":
            return CancellationDeadlinePassed(
                f"Too late to cancel online: cancelling closed {settings.cancellation_deadline_hours} hours "
                f"before the start ({fmt_when(deadline)}). Please contact your coordinator, who can still "
                "take you off.",
                field="shift_id",
            )
    elif now >= shift.start_at:
        return ActionNotAllowedNow("This shift has already started.", field="shift_id")
    return None


def cancel_signup(
    session: Session, *, volunteer: Volunteer, shift_id: int, now: datetime, settings: PatrolSettings | None = None
) -> Signup:
    """A volunteer leaves a shift (until the deadline) or the waitlist (any time before the start)."""
    settings = settings or get_patrol_settings()
    shift = get_shift(session, shift_id, lock=True)
    signup = repo.signup_for(session, shift.id, volunteer.id)
    if signup is None or signup.status not in repo.ACTIVE:
        raise PatrolNotFound("sign-up of yours for this shift", field="shift_id")
    refusal = cancel_refusal(shift, signup, now=now, settings=settings)
    if refusal is not None:
        raise refusal
    _release(session, signup, status="declined" if signup.status == "offered" else "cancelled", actor=None, now=now)
    session.flush()
    fill_places(session, shift, now=now)
    return signup


def get_signup(session: Session, signup_id: int, *, field: str = "signup_id") -> Signup:
    signup = repo.get_signup(session, signup_id)
    if signup is None:
        raise PatrolNotFound("sign-up", field=field)
    return signup


def coordinator_cancel_signup(session: Session, *, actor: User, signup_id: int, now: datetime) -> Signup:
    """A coordinator takes someone off a shift at any time (the deadline does not apply)."""
    signup = get_signup(session, signup_id)
    shift = get_shift(session, signup.shift_id, lock=True)
    if signup.status not in repo.ACTIVE:
        raise ActionNotAllowedNow("This sign-up is no longer active.", field="signup_id")
    _release(session, signup, status="cancelled", actor=actor, now=now)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="patrols.signup.cancel",
        target_type="patrol_signup",
        target_id=signup.id,
        detail={
            "shift": shift.id,
            "override": now >= shift.start_at - timedelta(hours=get_patrol_settings().cancellation_deadline_hours),
        },
        at=now,
    )
    fill_places(session, shift, now=now)
    return signup


def fill_places(session: Session, shift: Shift, *, now: datetime, settings: PatrolSettings | None = None) -> int:
    """Offer freed places to the waitlist in order. The shift row must be locked by the caller."""
    settings = settings or get_patrol_settings()
    if shift.status != "scheduled" or now >= shift.start_at:
        return 0
    offered = 0
    area = get_area(session, shift.area_id)
    while shift.places_taken < shift.max_volunteers:
        nxt = repo.next_waitlisted(session, shift.id)
        if nxt is None:
            break
        volunteer = get_volunteer(session, nxt.volunteer_id)
        user = auth_repo.get_user(session, volunteer.user_id)
        expires = min(now + timedelta(hours=settings.waitlist_offer_hours), shift.start_at)
        _set_status(session, nxt, "offered", now=now)
        nxt.offered_at, nxt.offer_expires_at = now, expires
        session.flush()
        offered += 1
        if user is not None:
            outbox.enqueue(
                session,
                to=user.email,
                now=now,
                dedupe_key=f"patrol:offer:{nxt.id}:{int(now.timestamp())}",
                subject=render(OFFER_SUBJECT, area=area.name, start=fmt_local(shift.start_at)),
                body=greeted(
                    user.display_name,
                    render(OFFER, area=area.name, start=fmt_local(shift.start_at), expires=fmt_local(expires)),
                ),
            )
    return offered


def respond_to_offer(session: Session, *, volunteer: Volunteer, shift_id: int, accept: bool, now: datetime) -> Signup:
    shift = get_shift(session, shift_id, lock=True)
    signup = repo.signup_for(session, shift.id, volunteer.id)
    if signup is None or signup.status != "offered":
        raise PatrolNotFound("place offered to you on this shift", field="shift_id")
    if signup.offer_expires_at is not None and now >= signup.offer_expires_at:
        raise ActionNotAllowedNow("This offer has expired.", field="shift_id")
    if not accept:
        _release(session, signup, status="declined", actor=None, now=now)
        session.flush()
        fill_places(session, shift, now=now)
        return signup
    problem = eligibility_problem(session, volunteer, on=london_today(shift.end_at))
    if problem is not None:
        raise SignupRefused(problem[0], problem[1])
    clash = repo.overlapping_signup(session, volunteer_id=volunteer.id, shift=shift)
    if clash is not None:
        raise SignupRefused("overlaps_shift", "You are already on a shift at that time.")
    if signup.confirmed_at is not None:
        signup.feed_sequence += 1
    _set_status(session, signup, "confirmed", now=now)
    signup.confirmed_at = now
    signup.offered_at = signup.offer_expires_at = None
    session.flush()
    return signup


def expire_offers(session: Session, *, now: datetime) -> int:
    """Offers not confirmed in time go to the next person on the waitlist."""
    count = 0
    for stale in repo.expired_offers(session, now):
        shift = get_shift(session, stale.shift_id, lock=True)
        session.refresh(stale)
        if stale.status != "offered":
            continue
        _set_status(session, stale, "expired", now=now)
        session.flush()
        fill_places(session, shift, now=now)
        count += 1
    return count
