"""The HTML of /ogc (OGC API - Features /conf/html): each resource as a page of the site, in the
site's layout and language, linking back to the rest of the service."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse

from nte.ogc.collections.base import Collection, Feature
from nte.ogc.query import ItemsQuery
from nte.ogc.service import ItemsAnswer
from nte.web.templating import render


def _page(request: Request, name: str, context: dict[str, Any], headers: dict[str, str] | None = None) -> HTMLResponse:
    return render(request, f"ogc/{name}.html", context, headers=headers)


def landing(request: Request, doc: dict[str, Any]) -> HTMLResponse:
    return _page(request, "landing", {"doc": doc})


def conformance(request: Request, doc: dict[str, Any]) -> HTMLResponse:
    return _page(request, "conformance", {"doc": doc})


def api_page(request: Request, definition: dict[str, Any]) -> HTMLResponse:
    return _page(request, "api", {"definition": definition})


def collections(request: Request, doc: dict[str, Any], visible: list[Collection]) -> HTMLResponse:
    return _page(request, "collections", {"doc": doc, "visible": visible})


def collection(request: Request, doc: dict[str, Any], c: Collection) -> HTMLResponse:
    return _page(request, "collection", {"doc": doc, "c": c})


def queryables(request: Request, doc: dict[str, Any], c: Collection) -> HTMLResponse:
    return _page(request, "queryables", {"doc": doc, "c": c})


def items(
    request: Request, c: Collection, query: ItemsQuery, answer: ItemsAnswer, *, headers: dict[str, str]
) -> HTMLResponse:
    next_href = None
    if answer.next_cursor:
        next_href = f"/ogc/collections/{c.id}/items?" + urlencode(
            {**query.params(cursor=answer.next_cursor), "f": "html"}
        )
    return _page(
        request,
        "items",
        {"c": c, "query": query, "answer": answer, "next_href": next_href},
        headers=headers,
    )


def feature(request: Request, c: Collection, found: Feature, *, headers: dict[str, str]) -> HTMLResponse:
    return _page(request, "feature", {"c": c, "f": found}, headers=headers)
