"""Officers' spot checks of a venue and the actions a failed one opens: what to put right, by when
(mailed to the manager, flagged to officers); a later passing check clears them, and an action
past its date lapses the venue (``nte.venues.jobs.lapse_overdue_actions``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from nte.auth.models import User
from nte.london import london_today
from nte.venues import messages
from nte.venues import repository as repo
from nte.venues.config import VenueSettings, get_venue_settings
from nte.venues.exceptions import long_date
from nte.venues.models import Venue, VenueAction, VenueSpotCheck
from nte.venues.service.records import mail_manager, saved, site_url, venue_for
from nte.venues.service.validation import FAILED_CHECK_FIELDS, SPOT_CHECK_FIELDS, in_order, raise_if_any
from nte.web.forms import collect


def _checked(raw: Mapping[str, Any], *, today: date, config: VenueSettings) -> dict[str, Any]:
    """The spot check form's values (a failed check's findings and due date too), or VenueInvalid."""
    values, errors = collect(SPOT_CHECK_FIELDS, raw)
    when = values.get("check_date")
    if when is not None and when > today:
        errors["check_date"] = "The spot check date cannot be in the future."
    values.update(findings=None, due_date=None)
    if values.get("outcome") == "fail":
        failed, wrong = collect(FAILED_CHECK_FIELDS, raw)
        errors.update(wrong)
        due = failed.get("due_date") or today + timedelta(days=config.spot_check_action_days)
        latest = today + timedelta(days=config.spot_check_action_max_days)
        if "due_date" not in wrong and due <= today:
            errors["due_date"] = "The date to put it right by must be after today."
        elif "due_date" not in wrong and due > latest:
            errors["due_date"] = f"Give the venue at most {config.spot_check_action_max_days} days (until {latest})."
        values.update(findings=failed.get("findings"), due_date=due)
    raise_if_any(in_order(errors, SPOT_CHECK_FIELDS + FAILED_CHECK_FIELDS))
    return values


def _clear_open_actions(session: Session, venue: Venue, check: VenueSpotCheck, *, now: datetime) -> list[VenueAction]:
    """A passing check clears every open action from a failed check on or before its date."""
    cleared = []
    for open_action in repo.open_actions(session, venue_id=venue.id):
        failed = repo.get_spot_check(session, open_action.spot_check_id)
        if failed is not None and failed.check_date <= check.check_date:
            open_action.cleared_at = now
            open_action.cleared_by_spot_check_id = check.id
            cleared.append(open_action)
    return cleared


def add_spot_check(
    session: Session,
    *,
    actor: User,
    venue_id: int,
    raw: Mapping[str, Any],
    now: datetime,
    venue_settings: VenueSettings | None = None,
) -> VenueSpotCheck:
    """Record a spot check. "fail" opens an action: the officer's findings (required) and a due date
    (``spot_check_action_days`` on unless the officer sets one), shown to the manager (mailed) and
    flagged to officers; a later "pass" or "advice" check clears every open action of the venue. An
    action past its due date without a passing re-check lapses the venue (``jobs.lapse_overdue_actions``)."""
    config = venue_settings or get_venue_settings()
    venue = venue_for(session, user=actor, venue_id=venue_id)
    values = _checked(raw, today=london_today(now), config=config)
    when, outcome = values["check_date"], values["outcome"]
    row = VenueSpotCheck(
        venue_id=venue.id,
        check_date=when,
        outcome=outcome,
        notes=values["notes"],
        officer_user_id=actor.id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    action: VenueAction | None = None
    cleared: list[VenueAction] = []
    if outcome == "fail":
        action = VenueAction(
            venue_id=venue.id,
            spot_check_id=row.id,
            findings=values["findings"],
            due_date=values["due_date"],
            opened_by_user_id=actor.id,
            created_at=now,
        )
        session.add(action)
    else:
        cleared = _clear_open_actions(session, venue, row, now=now)
    saved(
        session,
        venue,
        actor=actor,
        action="venue.spot_check",
        now=now,
        detail=lambda: {
            "spot_check_id": row.id,
            "outcome": outcome,
            **({"action_id": action.id, "due_date": action.due_date.isoformat()} if action else {}),
            **({"cleared_actions": [c.id for c in cleared]} if cleared else {}),
        },
    )
    if action is not None:
        subject, body = messages.SPOT_CHECK_FAILED.render(
            venue=venue.name,
            checked=long_date(when),
            findings=action.findings,
            due=long_date(action.due_date),
            link=site_url(f"/venue-portal/{venue.id}"),
        )
        mail_manager(session, venue, subject=subject, body=body, dedupe_key=f"venue-action:{action.id}", now=now)
    return row


def open_actions(session: Session, *, venue_id: int) -> list[VenueAction]:
    return repo.open_actions(session, venue_id=venue_id)
