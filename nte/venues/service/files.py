"""Evidence files (PDF, PNG or JPEG, recognised by their first bytes, not their names): stored under
the upload directory with a random name, read back only by the venue's manager and officers."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth.models import User
from nte.config import Settings
from nte.errors import Invalid, TooLarge, UnsupportedMediaType
from nte.venues import repository as repo
from nte.venues.exceptions import VenueInvalid, VenueNotFound
from nte.venues.models import VenueEvidence
from nte.venues.service.records import venue_for
from nte.web.forms import Upload

UPLOAD_TYPES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)


def sniff(data: bytes) -> tuple[str, str] | None:
    for magic, content_type, ext in UPLOAD_TYPES:
        if data.startswith(magic):
            return content_type, ext
    return None


def upload_root(settings: Settings) -> Path:
    return Path(settings.upload_dir) / "venues"


def optional_id(value: object, field: str) -> int | None:
    """A chosen training or accreditation id from a form ('' for none)."""
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except ValueError:
        raise VenueInvalid({field: "Choose one of the options."}) from None


def add_evidence(
    session: Session,
    *,
    user: User,
    venue_id: int,
    filename: str,
    data: bytes,
    settings: Settings,
    now: datetime,
    training_id: int | None = None,
    accreditation_id: int | None = None,
) -> VenueEvidence:
    """Store an evidence file (PDF, PNG or JPEG, recognised by its first bytes, not its name) under
    the upload directory with a random name."""
    venue = venue_for(session, user=user, venue_id=venue_id)
    if not data:
        raise Invalid("Choose a file to upload.", field="file")
    if len(data) > settings.max_upload_bytes:
        raise TooLarge(f"The file is larger than {settings.max_upload_bytes // 1_000_000} MB.", field="file")
    sniffed = sniff(data)
    if sniffed is None:
        raise UnsupportedMediaType("Upload a PDF, PNG or JPEG file.", field="file")
    if training_id is not None:
        t = repo.get_training(session, training_id)
        if t is None or t.venue_id != venue.id:
            raise Invalid("Choose one of this venue's training events.", field="training_id")
    if accreditation_id is not None:
        a = repo.get_accreditation(session, accreditation_id)
        if a is None or a.venue_id != venue.id:
            raise Invalid("Choose one of this venue's accreditations.", field="accreditation_id")
    content_type, ext = sniffed
    stored = secrets.token_hex(16) + ext
    original = re.sub(r"[^A-Za-z0-9._ -]", "_", Path(filename or "evidence").name)[:200] or "evidence"
    root = upload_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    row = VenueEvidence(
        venue_id=venue.id,
        training_id=training_id,
        accreditation_id=accreditation_id,
        stored_name=stored,
        original_name=original,
        content_type=content_type,
        size_bytes=len(data),
        uploaded_by_user_id=user.id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    (root / stored).write_bytes(data)
    audit.record(
        session,
        actor=user,
        action="venue.add_evidence",
        target_type="venue",
        target_id=venue.id,
        detail={"evidence_id": row.id, "content_type": content_type, "bytes": len(data)},
        at=now,
    )
    return row


def add_evidence_form(
    session: Session,
    *,
    user: User,
    venue_id: int,
    raw: Mapping[str, Any],
    upload: Upload | None,
    settings: Settings,
    now: datetime,
) -> VenueEvidence:
    """The portal's upload form: the file, and the training or accreditation it shows (optional)."""
    training_id = optional_id(raw.get("training_id"), "training_id")
    accreditation_id = optional_id(raw.get("accreditation_id"), "accreditation_id")
    return add_evidence(
        session,
        user=user,
        venue_id=venue_id,
        filename=upload.filename if upload else "",
        data=upload.content if upload else b"",
        settings=settings,
        now=now,
        training_id=training_id,
        accreditation_id=accreditation_id,
    )


def evidence_file(session: Session, *, user: User, evidence_id: int, settings: Settings) -> tuple[VenueEvidence, Path]:
    row = repo.get_evidence(session, evidence_id)
    if row is None:
        raise VenueNotFound(field="evidence_id")
    venue_for(session, user=user, venue_id=row.venue_id)
    path = upload_root(settings) / row.stored_name
    if not path.is_file():
        raise VenueNotFound(field="evidence_id")
    return row, path
