"""The charter's state machine: who may move a venue from which status to which (STATE_TABLE), and
the one function every path goes through (``change_status``): officers' verification, requests for
changes and rejections, the manager's resubmission and renewal, the jobs' lapses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from nte.auth.models import Role, User
from nte.errors import Invalid
from nte.london import london_today
from nte.venues import messages
from nte.venues.config import VenueSettings, get_venue_settings
from nte.venues.exceptions import NotYourAction, NotYourVenue, ResubmitRefused, TransitionRefused
from nte.venues.models import VENUE_STATUSES, Venue, VenueRenewal
from nte.venues.service.records import add_year, mail_manager, saved, site_url, venue_for
from nte.venues.service.renewal import renewal_refusal
from nte.venues.service.validation import NEW_STARTERS_FIELDS, cleaned

#: Who moves a venue: a community safety officer (or admin), the venue's own manager, or a
#: scheduled job (no person).
OFFICER, MANAGER, JOB = "officer", "manager", "job"
ACTORS = (OFFICER, MANAGER, JOB)


@dataclass(frozen=True)
class Move:
    """One row of the state machine: from ``status``, ``action`` moves the venue to ``target``, done
    by any of ``actors``. Every path (the officer's pages and API, the manager's portal, the jobs)
    goes through ``change_status``, which allows exactly these rows."""

    status: str
    action: str
    target: str
    actors: tuple[str, ...]


#: The state machine. Anything not here is refused: 409 when nobody may do it from that status,
#: 403 when someone else may. Only officers grant "verified" (a manager renews a verified venue
#: within its window, once per cycle; a lapsed or withdrawn venue's manager asks to renew, which
#: puts the venue back in the officer queue as "submitted"). "rejected" can be reopened by an
#: officer asking for changes.
STATE_TABLE: tuple[Move, ...] = (
    Move("submitted", "verify", "verified", (OFFICER,)),
    Move("submitted", "request_changes", "changes_requested", (OFFICER,)),
    Move("submitted", "reject", "rejected", (OFFICER,)),
    Move("changes_requested", "resubmit", "submitted", (MANAGER,)),
    Move("changes_requested", "reject", "rejected", (OFFICER,)),
    Move("verified", "lapse", "lapsed", (OFFICER, JOB)),
    Move("verified", "withdraw", "withdrawn", (OFFICER,)),
    Move("verified", "renew", "verified", (OFFICER, MANAGER)),
    Move("lapsed", "renew", "verified", (OFFICER,)),
    Move("lapsed", "request_renewal", "submitted", (MANAGER,)),
    Move("withdrawn", "request_renewal", "submitted", (MANAGER,)),
    Move("rejected", "request_changes", "changes_requested", (OFFICER,)),
)
MOVES: dict[tuple[str, str], Move] = {(m.status, m.action): m for m in STATE_TABLE}
#: status -> {action: new status}, whoever does it (the officer page's choices are filtered by role).
TRANSITIONS: dict[str, dict[str, str]] = {
    status: {m.action: m.target for m in STATE_TABLE if m.status == status} for status in VENUE_STATUSES
}
ACTIONS = ("verify", "request_changes", "reject", "lapse", "withdraw", "renew", "resubmit", "request_renewal")
#: What an officer may do (the manager resubmits, renews and asks to renew from the portal).
OFFICER_ACTIONS = tuple(a for a in ACTIONS if any(m.action == a and OFFICER in m.actors for m in STATE_TABLE))
#: Where each action leads (for refusals), whatever the status it starts from.
ACTION_TARGETS = {m.action: m.target for m in STATE_TABLE}
#: Actions that need the officer's words, and what to say when they are missing.
REASON_REQUIRED = {
    "request_changes": "Say what the venue manager should change (they will see your words).",
    "reject": "Give a reason for rejecting the sign-up (the venue manager will see it).",
}
REASON_MAX = 2000
NOTE_MAX = 500


def officer_actions_from(status: str) -> list[str]:
    """What an officer may do to a venue in ``status`` (the choices on the officer's venue page)."""
    return [m.action for m in STATE_TABLE if m.status == status and OFFICER in m.actors]


def _role(actor: User | None, venue: Venue) -> str:
    if actor is None:
        return JOB
    if actor.role in (Role.officer, Role.admin):
        return OFFICER
    if actor.role == Role.venue_manager and venue.manager_user_id == actor.id:
        return MANAGER
    raise NotYourVenue()


def _known_action(action: str, choices: tuple[str, ...] = ACTIONS) -> None:
    if action not in choices:
        raise Invalid(f"Choose one of: {', '.join(choices)}.", field="action")


def check_move(
    session: Session,
    *,
    actor: User | None,
    venue: Venue,
    action: str,
    now: datetime,
    venue_settings: VenueSettings | None = None,
) -> Move:
    """The state machine's row for this move, or the refusal: 422 for an unknown action, 409 when no
    one may do it from this status (or a renewal out of its window / twice in a cycle), 403 when
    the row exists for someone else."""
    _known_action(action)
    role = _role(actor, venue)
    move = MOVES.get((venue.status, action))
    if move is None:
        if action == "resubmit":
            raise ResubmitRefused(venue.status)
        # A renewal request leads back to "submitted"; "submitted -> submitted" would say nothing.
        raise TransitionRefused(venue.status, action, None if action == "request_renewal" else ACTION_TARGETS[action])
    if role not in move.actors:
        raise NotYourAction(venue.status, action, role, move.actors)
    if move.status == "verified" and action == "renew":
        window = (venue_settings or get_venue_settings()).renewal_window_days
        refusal = renewal_refusal(session, venue, today=london_today(now), window_days=window)
        if refusal is not None:
            raise refusal
    return move


def _checked_reason(action: str, reason: str | None) -> str | None:
    reason = (reason or "").strip() or None
    if reason and len(reason) > REASON_MAX:
        raise Invalid(f"The reason must be {REASON_MAX} characters or fewer.", field="reason")
    if action in REASON_REQUIRED and not reason:
        raise Invalid(REASON_REQUIRED[action], field="reason")
    return reason


def _move_renewal_date(venue: Venue, *, action: str, old: str, today: date, now: datetime) -> None:
    if action == "verify" or (action == "renew" and old != "verified"):
        # An officer grants a fresh cycle from today (a lapsed venue's old date has passed).
        venue.verified_at = now
        venue.renewal_date = add_year(today)
    elif action == "renew":
        # A renewal moves the expiry one cycle on from the current expiry, not from today.
        venue.renewal_date = add_year(venue.renewal_date) if venue.renewal_date else add_year(today)


def _tell_manager(session: Session, venue: Venue, *, action: str, reason: str | None, now: datetime) -> None:
    """The manager hears of an officer's request for changes, verification or rejection."""
    if action == "request_changes":
        subject, body = messages.CHANGES_REQUESTED.render(
            venue=venue.name, reasons=reason, link=site_url(f"/venue-portal/{venue.id}")
        )
    elif action in ("verify", "reject"):
        # verify has just set the renewal date
        subject, body = messages.decision(
            verified=action == "verify", venue=venue.name, reason=reason, renewal_date=venue.renewal_date
        )
    else:
        return
    mail_manager(
        session,
        venue,
        subject=subject,
        body=body,
        dedupe_key=f"venue-status:{venue.id}:{action}:{now.isoformat()}",
        now=now,
    )


def change_status(
    session: Session,
    *,
    actor: User | None,
    venue: Venue,
    action: str,
    reason: str | None,
    now: datetime,
    new_starters: int | None = None,
    venue_settings: VenueSettings | None = None,
) -> Venue:
    """Move a venue through the state machine (STATE_TABLE); anything else is refused (see
    ``check_move``). ``actor`` None is a scheduled job. Nothing is changed before every rule has
    passed."""
    _known_action(action)
    reason = _checked_reason(action, reason)
    move = check_move(session, actor=actor, venue=venue, action=action, now=now, venue_settings=venue_settings)
    old = venue.status
    old_date = venue.renewal_date
    today = london_today(now)
    venue.status = move.target
    # A resubmission keeps nothing of the request but its history (the audit trail): the note is
    # the manager's, for the officer, and is not the status's reason.
    venue.status_reason = None if action in ("resubmit", "request_renewal") else reason
    _move_renewal_date(venue, action=action, old=old, today=today, now=now)
    if action in ("renew", "request_renewal"):
        session.add(
            VenueRenewal(
                venue_id=venue.id,
                kind="renew" if action == "renew" else "request",
                from_status=old,
                renewal_date_before=old_date,
                renewal_date_after=venue.renewal_date if action == "renew" else None,
                new_starters=new_starters,
                renewed_on=today,
                user_id=actor.id if actor else None,
                created_at=now,
            )
        )
    saved(
        session,
        venue,
        actor=actor,
        action=f"venue.{action}",
        now=now,
        detail=lambda: {
            "from": old,
            "to": venue.status,
            "reason": reason,
            "renewal_date": venue.renewal_date.isoformat() if venue.renewal_date else None,
            **({"new_starters": new_starters} if new_starters is not None else {}),
        },
    )
    _tell_manager(session, venue, action=action, reason=reason, now=now)
    return venue


def officer_change_status(
    session: Session, *, actor: User, venue_id: int, action: str, reason: str | None, now: datetime
) -> Venue:
    _known_action(action, OFFICER_ACTIONS)
    return change_status(
        session,
        actor=actor,
        venue=venue_for(session, user=actor, venue_id=venue_id),
        action=action,
        reason=reason,
        now=now,
    )


def officer_status_form(
    session: Session, *, actor: User, venue_id: int, raw: Mapping[str, Any], now: datetime
) -> Venue:
    """The officer's status form (``action`` and ``reason``)."""
    action, reason = raw.get("action"), raw.get("reason")
    return officer_change_status(
        session, actor=actor, venue_id=venue_id, action=str(action or ""), reason=reason, now=now
    )


def resubmit(session: Session, *, user: User, venue_id: int, note: str | None, now: datetime) -> Venue:
    """The manager has made the changes an officer asked for: the venue goes back to the officer
    queue (submitted). ``note`` (optional) tells the officer what changed; it is kept in the
    history. Refused (409, with the reason) unless changes were requested."""
    venue = venue_for(session, user=user, venue_id=venue_id)
    if venue.manager_user_id != user.id:
        raise NotYourVenue()
    note = (note or "").strip() or None
    if note and len(note) > NOTE_MAX:
        raise Invalid(f"What you changed must be {NOTE_MAX} characters or fewer.", field="note")
    return change_status(session, actor=user, venue=venue, action="resubmit", reason=note, now=now)


def resubmit_form(session: Session, *, user: User, venue_id: int, raw: Mapping[str, Any], now: datetime) -> Venue:
    """The portal's resubmission form (an optional ``note``)."""
    return resubmit(session, user=user, venue_id=venue_id, note=raw.get("note"), now=now)


def renew_by_manager(
    session: Session,
    *,
    user: User,
    venue_id: int,
    raw: Mapping[str, Any],
    now: datetime,
    venue_settings: VenueSettings | None = None,
) -> Venue:
    """The manager's renewal form: a verified venue is renewed (within its window, once per cycle);
    a lapsed or withdrawn one asks to renew and goes back to the officer queue. Either way the form
    asks how many people started since the last training (stored: it feeds the training flag).
    The state machine's refusal comes first, so a manager who is too early is told when to come."""
    venue = venue_for(session, user=user, venue_id=venue_id)
    action = "request_renewal" if venue.status in ("lapsed", "withdrawn") else "renew"
    check_move(session, actor=user, venue=venue, action=action, now=now, venue_settings=venue_settings)
    starters = cleaned(NEW_STARTERS_FIELDS, raw)["new_starters"]
    return change_status(
        session,
        actor=user,
        venue=venue,
        action=action,
        reason=None,
        now=now,
        new_starters=starters,
        venue_settings=venue_settings,
    )
