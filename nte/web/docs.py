"""The API's own documentation, Swagger UI at ``/api/docs``, served from this host like every other
page: the assets come from the locked ``fastapi-offline`` package (Swagger UI is Apache-2.0; the
package's MIT licence ships with it), and the page runs no inline script, so the site's
Content-Security-Policy (``script-src 'self'``) holds for it too.

No ReDoc: its standalone bundle (the one in that package too) always loads its logo from its
maker's CDN, which would break "no request leaves the host".

Public in every environment: the document describes the public and the staff API alike, and every
operation still checks its caller's role; nothing in it is a secret."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from nte.auth.deps import public
from nte.web.templating import render

#: Swagger UI's files, mounted at ``ASSETS_PATH`` by ``create_app``.
ASSETS_DIR = Path(str(files("fastapi_offline") / "static"))
ASSETS_PATH = "/api/docs/assets"
OPENAPI_URL = "/api/openapi.json"

router = APIRouter(include_in_schema=False, dependencies=[Depends(public)])


@router.get("/api/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    return render(request, "api/swagger.html", {"openapi_url": OPENAPI_URL, "assets": ASSETS_PATH})
