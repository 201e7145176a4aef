"""Site-wide public pages: home, data sources, privacy."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from nte.auth.deps import public
from nte.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(public)])


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return render(request, "home.html", {"quick_exit": True})


@router.get("/about/data", response_class=HTMLResponse)
def about_data(request: Request) -> HTMLResponse:
    return render(request, "about_data.html")


@router.get("/about/privacy", response_class=HTMLResponse)
def about_privacy(request: Request) -> HTMLResponse:
    return render(request, "about_privacy.html", {"quick_exit": True})
