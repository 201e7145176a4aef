"""Jinja2 templates shared by every domain's pages, with the site layout, translations,
CSRF tokens and role-aware navigation in every context."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from nte.config import get_settings
from nte.web.i18n import LANGUAGES, language_of, negotiate_with_pseudo, translations_for

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


def request_language(request: Request) -> str:
    """The language of the page being answered: ``?lang=``, else the browser's Accept-Language."""
    pseudo = getattr(getattr(request.app.state, "settings", None), "pseudo_locale", False)
    return negotiate_with_pseudo(
        request.query_params.get("lang"), request.headers.get("accept-language"), pseudo=pseudo
    )


def request_gettext(request: Request) -> Callable[[str], str]:
    """``gettext`` in the request's language, for text a handler builds (the page's ``_``)."""
    return translations_for(request_language(request)).gettext


def _context(request: Request) -> dict[str, Any]:
    from nte.auth.deps import csrf_token_for

    lang = request_language(request)
    trans = translations_for(lang)
    settings = get_settings()

    def lang_url(code: str) -> str:
        params = dict(request.query_params)
        params["lang"] = code
        return f"{request.url.path}?{urlencode(params)}"

    def href(path: str) -> str:
        """An internal link that keeps the page's language (``?lang=`` is added unless English)."""
        if lang == "en" or "lang=" in path:
            return path
        base, _, fragment = path.partition("#")
        joined = f"{base}{'&' if '?' in base else '?'}lang={lang}"
        return f"{joined}#{fragment}" if fragment else joined

    def csrf_field() -> Markup:
        return Markup('<input type="hidden" name="csrf_token" value="{}">').format(csrf_token_for(request))

    return {
        "_": trans.gettext,
        "ngettext": trans.ngettext,
        "lang": lang,
        "language": language_of(lang),
        "languages": LANGUAGES,
        "lang_url": lang_url,
        "href": href,
        "current_user": getattr(request.state, "viewer", None),
        "csrf_field": csrf_field,
        "csrf_token": lambda: csrf_token_for(request),
        "settings": settings,
        "tile_url": None if settings.tile_url == "none" else settings.tile_url,
    }


templates = Jinja2Templates(directory=str(TEMPLATE_DIR), context_processors=[_context])


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code, headers=headers)


def render_error_page(
    request: Request,
    status_code: int,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    field: str | None = None,
    error_code: str | None = None,
) -> HTMLResponse:
    """The site's error page. ``field`` and ``error_code`` are the error's, for pages that say more
    (the /ogc pages name the parameter and link back to the collection)."""
    context = {"status_code": status_code, "detail": detail, "field": field, "error_code": error_code}
    return render(request, "error.html", context, status_code=status_code, headers=headers)
