"""Patrol errors. Sign-up refusals share one class with a stable code per rule (checked in order)."""

from __future__ import annotations

from nte.errors import Conflict, Forbidden, Invalid, NotFound

#: The sign-up checks, in the order they are applied; the first that fails is the reason shown.
SIGNUP_RULES = (
    "already_signed_up",
    "shift_started",
    "shift_cancelled",
    "not_active",
    "record_missing",
    "record_expired",
    "overlaps_shift",
    "shift_full",
)


class SignupRefused(Conflict):
    """A sign-up refused by one of the rules; ``code`` is one of :data:`SIGNUP_RULES`."""

    def __init__(self, code: str, detail: str, *, field: str = "shift_id") -> None:
        assert code in SIGNUP_RULES, code
        super().__init__(detail, field=field, code=code)


class InvalidPatrolArea(Invalid):
    code = "invalid_area"


class InvalidSeriesInput(Invalid):
    code = "invalid_series"


class InvalidDebrief(Invalid):
    code = "invalid_debrief"


class NotAVolunteer(NotFound):
    """The account has the volunteer role but no profile yet (a coordinator creates it)."""

    code = "no_volunteer_profile"

    def __init__(self) -> None:
        super().__init__(
            "Your account has no volunteer profile yet. Please ask your patrol coordinator.", field="volunteer"
        )


class CancellationDeadlinePassed(Forbidden):
    code = "cancellation_deadline_passed"


class NotTeamLead(Forbidden):
    code = "not_team_lead"


class PatrolNotFound(NotFound):
    def __init__(self, what: str, *, field: str) -> None:
        super().__init__(f"There is no such {what}.", field=field)


class ActionNotAllowedNow(Conflict):
    code = "not_allowed_now"


class ShiftStoodDown(Conflict):
    """The shift was stood down for being below its minimum: it will not run (the reason says why)."""

    code = "shift_stood_down"


class NobodyPatrolsAlone(Conflict):
    """A coordinator cannot confirm or reinstate a shift with fewer than two confirmed volunteers."""

    code = "nobody_patrols_alone"
