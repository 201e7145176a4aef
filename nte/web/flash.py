"""Success messages after a form is sent ("Series paused"), chosen by the server, never by the link.

A page that redirects after a POST names a message by its **key** in a fixed table and passes the
values the message needs; the key and values travel in the redirect's query string **signed** with
the service's secret (``?done=<token>``). The page that is shown looks the key up in the same table
and shows the message only when the signature holds and the key is known. So a link somebody crafts
(``?done=Your account is closed, call 0800 ...``) shows nothing: nobody can put their own words in a
green box on a council page.

Each domain declares its table once, next to its other words::

    FLASH = FlashMessages({"series.paused": N_("Paused: %(name)s. Its volunteers have been told.")})
    return FLASH.redirect("/coordinator/series/4", "series.paused", name=series.name)
    ...
    context["done"] = FLASH.message(request)   # a Formatted message or None
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse
from itsdangerous import BadSignature, URLSafeSerializer

from nte.config import get_settings
from nte.i18n import Formatted

PARAM = "done"
_SALT = "nte.flash"

Value = str | int | float


class FlashMessages:
    """A fixed table of success messages: key -> catalogue template (``N_`` marked, ``%(name)s``)."""

    def __init__(self, messages: Mapping[str, str]) -> None:
        self.messages = dict(messages)

    def _serializer(self) -> URLSafeSerializer:
        return URLSafeSerializer(get_settings().secret_key, salt=_SALT)

    def token(self, key: str, **values: Value) -> str:
        if key not in self.messages:
            raise KeyError(f"no flash message {key!r}")
        Formatted(self.messages[key], **values)  # every value the template names must be given
        return str(self._serializer().dumps([key, values]))

    def url(self, url: str, key: str, **values: Value) -> str:
        """``url`` with the signed message added to its query string."""
        sep = "&" if "?" in url else "?"
        return f"{url}{sep}{urlencode({PARAM: self.token(key, **values)})}"

    def redirect(self, url: str, key: str, **values: Value) -> RedirectResponse:
        """The 303 after a successful POST, carrying the message."""
        return RedirectResponse(self.url(url, key, **values), status_code=303)

    def message(self, request: Request) -> Formatted | None:
        """The message the signed ``?done=`` names, or ``None`` (absent, forged, or not in this table)."""
        raw = request.query_params.get(PARAM)
        if not raw:
            return None
        try:
            key, values = self._serializer().loads(raw)
        except (BadSignature, ValueError, TypeError):
            return None
        template = self.messages.get(key) if isinstance(key, str) else None
        if template is None or not isinstance(values, dict):
            return None
        try:
            return Formatted(template, **_plain(values))
        except (KeyError, TypeError, ValueError):
            return None


def _plain(values: dict[str, Any]) -> dict[str, Value]:
    return {str(k): v for k, v in values.items() if isinstance(v, (str, int, float))}
