"""'You said, we did': what the council has done in a ward, posted by officers and shown to the
people who reported there (by receipt code)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth.models import User
from nte.reports import repository as repo
from nte.reports.exceptions import ReportInvalid, ReportNotFound
from nte.reports.models import WardUpdate
from nte.reports.vocabulary import N_
from nte.wards import service as ward_service
from nte.wards.exceptions import UnknownWard


def post_ward_update(
    session: Session, *, ward_code: str, title: str, body: str, actor: User, now: datetime
) -> WardUpdate:
    errors: dict[str, str] = {}
    title = (title or "").strip()
    body = (body or "").strip()
    if not title:
        errors["title"] = N_("Give the update a short title.")
    elif len(title) > 120:
        errors["title"] = N_("Keep the title to 120 characters or fewer.")
    if not body:
        errors["body"] = N_("Say what the council has done.")
    elif len(body) > 4000:
        errors["body"] = N_("Keep the update to 4000 characters or fewer.")
    try:
        ward = ward_service.get_ward(session, code=(ward_code or "").strip()[:20], field="ward")
    except UnknownWard:
        errors["ward"] = N_("Choose a ward from the list.")
        ward = None
    if errors or ward is None:
        raise ReportInvalid(errors)
    update = repo.add_ward_update(
        session, WardUpdate(ward_code=ward.code, title=title, body=body, posted_at=now, author_user_id=actor.id)
    )
    audit.record(
        session,
        actor=actor,
        action="report.ward_update",
        target_type="report_ward_update",
        target_id=update.id,
        at=now,
        detail={"ward": ward.code, "title": title},
    )
    return update


def delete_ward_update(session: Session, *, update_id: int, actor: User, now: datetime) -> None:
    update = repo.get_ward_update(session, update_id)
    if update is None:
        raise ReportNotFound()
    audit.record(
        session,
        actor=actor,
        action="report.ward_update_delete",
        target_type="report_ward_update",
        target_id=update.id,
        at=now,
        detail={"ward": update.ward_code, "title": update.title},
    )
    repo.delete_ward_update(session, update)


def list_ward_updates(session: Session, *, ward_code: str | None = None, limit: int = 50) -> list[WardUpdate]:
    return repo.ward_updates(session, ward_code=ward_code, limit=limit)
