from nte.errors import Conflict, Invalid, NotAuthenticated, RateLimited


class BadCredentials(NotAuthenticated):
    code = "bad_credentials"

    def __init__(self) -> None:
        super().__init__("The e-mail address or password is not right.", field="password")


class LoginThrottled(RateLimited):
    code = "login_throttled"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many failed sign-ins for this account. Try again in {retry_after} seconds.",
            retry_after=retry_after,
        )


class EmailTaken(Conflict):
    code = "email_taken"

    def __init__(self) -> None:
        super().__init__("An account with this e-mail address already exists.", field="email")


class WeakPassword(Invalid):
    code = "weak_password"
