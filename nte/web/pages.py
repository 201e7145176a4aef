"""Site-wide public pages: home, data sources, privacy."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from nte.auth.deps import OfficerPage, public
from nte.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse, dependencies=[Depends(public)])
def home(request: Request) -> HTMLResponse:
    return render(request, "home.html", {"quick_exit": True})


@router.get("/about/data", response_class=HTMLResponse, dependencies=[Depends(public)])
def about_data(request: Request) -> HTMLResponse:
    return render(request, "about_data.html")


@router.get("/about/privacy", response_class=HTMLResponse, dependencies=[Depends(public)])
def about_privacy(request: Request) -> HTMLResponse:
    return render(request, "about_privacy.html", {"quick_exit": True})


@router.get("/officer", response_class=HTMLResponse)
def officer_home(request: Request, _user: OfficerPage) -> HTMLResponse:
    return render(request, "officer_home.html")
