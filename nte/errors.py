"""One error hierarchy, one table of HTTP statuses, one JSON body shape.

Services raise these; routers never raise HTTPException for domain outcomes. The body is always
``{"error": "<code>", "detail": "<sentence>", "field": "<name or null>"}``; validation errors add
``"fields": [{"field": ..., "detail": ...}, ...]``. Messages never contain report text.

This module is a foundation: it imports nothing from ``nte`` but ``nte.i18n`` (every domain and the
web edge import it). The handlers that turn these errors into JSON bodies and error pages live at
the web edge, in ``nte.web.errors``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nte.i18n import N_

#: What error pages say, in every language (error.html shows ``_(detail)``; JSON bodies keep the English).
NOTHING_HERE = N_("There is nothing at this address.")
METHOD_NOT_ALLOWED = N_("This address does not accept that kind of request.")
HTTP_PROBLEM = N_("This request could not be answered.")
UNREADABLE_VALUE = N_("A value in this address cannot be read: %(field)s. Check the link and try again.")
UNREADABLE_FORM = N_(
    "Some of what you sent cannot be read: %(field)s. Nothing was saved. Go back, check those answers "
    "and send the form again."
)
GO_BACK = N_("Go back to the form")
OUR_PROBLEM = N_("Something went wrong on our side.")


class NTEError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, detail: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        if code:
            self.code = code

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "detail": self.detail, "field": self.field}


class Invalid(NTEError):
    status_code = 422
    code = "invalid"


class FieldErrors(Invalid):
    """One or more fields are wrong, all reported at once: the one multi-field error. ``errors`` maps
    every wrong field to its message (in the order a form shows them); ``field``/``detail`` are the
    first, and the JSON body always carries ``fields`` (one entry per wrong field), so an API client
    and a re-shown form see the same list."""

    def __init__(self, errors: Mapping[str, str], *, code: str | None = None) -> None:
        if not errors:
            raise ValueError("FieldErrors needs at least one field")
        self.errors = dict(errors)
        first = next(iter(self.errors))
        super().__init__(self.errors[first], field=first, code=code)

    def body(self) -> dict[str, Any]:
        body = super().body()
        body["fields"] = [{"field": f, "detail": d} for f, d in self.errors.items()]
        return body


class NotAuthenticated(NTEError):
    status_code = 401
    code = "not_authenticated"


class Forbidden(NTEError):
    status_code = 403
    code = "forbidden"


class NotFound(NTEError):
    status_code = 404
    code = "not_found"


class Conflict(NTEError):
    status_code = 409
    code = "conflict"


class TooLarge(NTEError):
    status_code = 413
    code = "too_large"


class UnsupportedMediaType(NTEError):
    status_code = 415
    code = "unsupported_media_type"


class RateLimited(NTEError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, detail: str, *, retry_after: int = 60, **kw: Any) -> None:
        super().__init__(detail, **kw)
        self.retry_after = retry_after


class Unavailable(NTEError):
    status_code = 503
    code = "unavailable"


class LoginRequired(NotAuthenticated):
    """A page needs a signed-in user: pages redirect to the login form instead of a JSON 401."""

    def __init__(self, next_url: str) -> None:
        super().__init__(N_("Please sign in to see this page."))
        self.next_url = next_url


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": description,
        "content": {"application/json": {"example": {"error": code, "detail": "...", "field": None}}},
    }
    for status, code, description in [
        (401, "not_authenticated", "Not signed in, or the token is invalid or revoked"),
        (403, "forbidden", "Your role does not allow this"),
        (422, "invalid", "A field is missing or invalid; `field` names it"),
    ]
}
