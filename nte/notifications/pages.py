"""Admin pages: users and the mail outbox (bodies readable in local development only)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from nte.auth import service as auth_service
from nte.auth.deps import AdminPage
from nte.config import get_settings
from nte.db import SessionDep
from nte.notifications import service
from nte.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/admin", response_class=HTMLResponse)
def admin_home(request: Request, session: SessionDep, user: AdminPage) -> HTMLResponse:
    return render(request, "admin/home.html", {"users": auth_service.list_users(session)})


@router.get("/admin/outbox", response_class=HTMLResponse)
def outbox(request: Request, session: SessionDep, user: AdminPage, status: str | None = None) -> HTMLResponse:
    if status not in (None, "", "pending", "sent", "failed"):
        status = None
    return render(
        request,
        "admin/outbox.html",
        {
            "messages": service.list_messages(session, status=status or None),
            "show_bodies": get_settings().env != "prod",
            "readable": service.text_to_send,  # a pending confirmation link, in development only
            "status": status or "",
        },
    )
