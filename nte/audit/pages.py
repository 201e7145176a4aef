"""The audit log, readable by admins."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from nte.audit import service
from nte.auth.deps import AdminPage
from nte.db import SessionDep
from nte.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_log(
    request: Request,
    session: SessionDep,
    user: AdminPage,
    target_type: str | None = Query(None, max_length=40),
    action: str | None = Query(None, max_length=64),
) -> HTMLResponse:
    events = service.list_events(session, target_type=target_type or None, action_prefix=action or None, limit=500)
    return render(
        request, "admin/audit.html", {"events": events, "target_type": target_type or "", "action": action or ""}
    )
