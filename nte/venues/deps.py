"""Request-level helpers for the venue routes: the limit on charter sign-ups per client address."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from nte.errors import RateLimited
from nte.venues.exceptions import TOO_MANY_SIGN_UPS
from nte.web.ratelimit import RateLimiter, client_address

#: Sign-ups that passed validation, per client address per hour (each creates an account and sends
#: a mail; mistakes the form points out are not counted).
SIGN_UPS_PER_HOUR = 3


def sign_up_budget(request: Request) -> Callable[[], None]:
    """What the sign-up service calls once the form is valid, before it creates anything: raises
    RateLimited (429) past the limit. In memory under a rotating keyed hash, like the report limits."""
    state = request.app.state
    if not hasattr(state, "sign_up_limiter"):
        state.sign_up_limiter = RateLimiter(limit=SIGN_UPS_PER_HOUR, window_seconds=3600)
    limiter: RateLimiter = state.sign_up_limiter
    client = client_address(request)

    def spend() -> None:
        try:
            limiter.hit(client, what="sign-up")
        except RateLimited as exc:  # the same sentence, marked for the page to translate
            raise RateLimited(TOO_MANY_SIGN_UPS, retry_after=exc.retry_after, field=exc.field) from None

    return spend


SignUpBudget = Annotated[Callable[[], None], Depends(sign_up_budget)]
