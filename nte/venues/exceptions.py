"""Venue domain errors (subclasses of the shared hierarchy: one handler renders them all)."""

from __future__ import annotations

from datetime import date

from nte.errors import Conflict, FieldErrors, Forbidden, NotFound
from nte.i18n import N_, Formatted

#: The sign-up's answer past its limit per connection (nte.venues.deps), in words the page translates.
TOO_MANY_SIGN_UPS = N_("Too many sign-ups from this connection. Please wait a few minutes and try again.")


class VenueInvalid(FieldErrors):
    """One or more fields of a venue form are wrong (the shared multi-field error: ``errors`` maps
    every wrong field to its message, and the JSON body lists them all in ``fields``)."""

    code = "invalid"


class VenueNotFound(NotFound):
    code = "venue_not_found"

    def __init__(self, field: str = "venue_id") -> None:
        super().__init__(N_("There is no such venue."), field=field)


class NotYourVenue(Forbidden):
    code = "not_your_venue"

    def __init__(self) -> None:
        super().__init__("You can only see and change the venue you manage.", field="venue_id")


class TransitionRefused(Conflict):
    code = "transition_refused"

    def __init__(self, current: str, action: str, target: str | None) -> None:
        super().__init__(
            f"A {current.replace('_', ' ')} venue cannot be {_past(action)}: the transition {current} -> "
            f"{target or _past(action)} is not allowed.",
            field="action",
        )
        self.current = current
        self.action = action


def _past(action: str) -> str:
    return {
        "verify": "verified",
        "reject": "rejected",
        "lapse": "lapsed",
        "withdraw": "withdrawn",
        "renew": "renewed",
        "request_changes": "sent back for changes",
        "resubmit": "resubmitted",
        "request_renewal": "asked to renew",
    }.get(action, action)


def long_date(day: date) -> str:
    """A date as people read it in the pages and mails: "2 March 2027"."""
    return f"{day.day} {day:%B %Y}"


class RenewalNotOpen(Conflict):
    """A verified venue renews in the weeks before its charter expires (when the first reminder is
    sent), not a year ahead: renewing early would push the check of pledges and training ever
    further away."""

    code = "renewal_not_open"

    def __init__(self, renewal_date: date, opens_on: date, window_days: int) -> None:
        super().__init__(
            Formatted(
                N_("You can renew from %(opens)s, %(days)s days before your charter expires on %(expires)s."),
                opens=long_date(opens_on),
                days=window_days,
                expires=long_date(renewal_date),
            ),
            field="action",
        )
        self.renewal_date = renewal_date
        self.opens_on = opens_on


class AlreadyRenewed(Conflict):
    """One renewal per cycle: the charter record was renewed and now runs until ``renewal_date``."""

    code = "already_renewed"

    def __init__(self, renewal_date: date, renewed_on: date, opens_on: date) -> None:
        super().__init__(
            Formatted(
                N_(
                    "You already renewed on %(renewed)s: your charter runs until %(expires)s. "
                    "You can renew again from %(opens)s."
                ),
                renewed=long_date(renewed_on),
                expires=long_date(renewal_date),
                opens=long_date(opens_on),
            ),
            field="action",
        )
        self.renewal_date = renewal_date


class NotYourAction(Forbidden):
    """The state machine has the move, but not for this role (for example a venue manager making a
    lapsed venue verified again: only an officer grants "verified")."""

    code = "action_not_allowed_for_role"

    def __init__(self, current: str, action: str, role: str, allowed: tuple[str, ...]) -> None:
        who = " or ".join(ROLE_WORDS[r] for r in allowed)
        super().__init__(
            f"Only {who} can {ACTION_VERBS.get(action, action)} a {current.replace('_', ' ')} venue.",
            field="action",
        )
        self.current = current
        self.action = action
        self.role = role


#: What each action does to a venue, in a refusal's words ("Only ... can <verb> a lapsed venue.").
ACTION_VERBS = {
    "request_changes": "ask for changes to",
    "request_renewal": "ask to renew",
}
#: How the state machine's actors are named in refusals.
ROLE_WORDS = {
    "officer": "a community safety officer",
    "manager": "the venue's manager",
    "job": "the scheduled renewal check",
}


class ResubmitRefused(Conflict):
    """Only a sign-up an officer sent back for changes can be resubmitted."""

    code = "resubmit_refused"

    def __init__(self, current: str) -> None:
        super().__init__(
            "Only a sign-up that an officer has asked you to change can be resubmitted; "
            + (
                "this one is already waiting for an officer to check it."
                if current == "submitted"
                else f"this venue's status is {current.replace('_', ' ')}."
            ),
            field="action",
        )
        self.current = current
