from nte.errors import Conflict, Forbidden, Invalid, NotAuthenticated, NotFound, RateLimited


class BadCredentials(NotAuthenticated):
    code = "bad_credentials"

    def __init__(self) -> None:
        super().__init__("The e-mail address or password is not right.", field="password")


class LoginThrottled(RateLimited):
    code = "login_throttled"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many failed sign-ins for this e-mail address from this connection. "
            f"Try again in {retry_after} seconds.",
            retry_after=retry_after,
        )


class EmailTaken(Conflict):
    code = "email_taken"

    def __init__(self) -> None:
        super().__init__("An account with this e-mail address already exists.", field="email")


class WeakPassword(Invalid):
    code = "weak_password"


class EmailNotConfirmed(Forbidden):
    """The right password for an account whose e-mail address is not confirmed yet: it cannot act
    until its owner opens the link (said only after the right password, so it reveals nothing)."""

    code = "email_not_confirmed"

    def __init__(self) -> None:
        super().__init__(
            "Confirm your e-mail address first: open the link we sent to it (it works for 72 hours).", field="email"
        )


class InvitationNotAllowed(Forbidden):
    code = "invitation_not_allowed"

    def __init__(self) -> None:
        super().__init__("Your role does not allow you to invite someone with this role.", field="role")


class AccountExists(Conflict):
    """Said plainly to the inviter (trusted staff), never on a public page."""

    code = "account_exists"

    def __init__(self) -> None:
        super().__init__("This e-mail address already has an account: nobody was invited.", field="email")


class LinkNotValid(Invalid):
    """A one-time link that is unknown, expired or already used: the page says so, and what to do."""

    code = "link_not_valid"
    status_code = 410


class InvitationNotWaiting(Conflict):
    """Withdrawing an invitation that was accepted, withdrawn already or has expired."""

    code = "invitation_not_waiting"
    REASONS = {
        "accepted": "This invitation was already accepted: the account is in use. Nothing was withdrawn.",
        "withdrawn": "This invitation was already withdrawn.",
        "expired": "This invitation has already expired: its link no longer works.",
    }

    def __init__(self, state: str) -> None:
        super().__init__(self.REASONS[state], field="invitation_id")


class InvitationNotFound(NotFound):
    code = "invitation_not_found"

    def __init__(self) -> None:
        super().__init__("There is no such invitation.", field="invitation_id")
