"""An officer's upload of a police.uk CSV (original or API columns), NTE CSV or GeoJSON: imported
in the request's transaction (all or nothing), its rejected lines kept in an error file the
officer can download, and the import audited. The same for the JSON API and the import page."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth.models import User
from nte.config import Settings
from nte.errors import NotFound
from nte.reports import importer
from nte.reports import repository as repo
from nte.reports.importer import ImportSummary, RowError
from nte.reports.models import ReportImport

#: The labels of the reasons a line is rejected (the error file and the pages say these).
REASONS = importer.REASONS


def _folder(settings: Settings) -> Path:
    return settings.upload_dir / "report-imports"


def import_upload(
    session: Session,
    *,
    actor: User,
    stream: IO[bytes],
    filename: str | None,
    file_format: str,
    encoding: str,
    settings: Settings,
    now: datetime,
) -> tuple[ImportSummary, list[RowError]]:
    """Import an uploaded file and audit it (``report.import``). The error file is written under a
    temporary name and named after the import once it has finished; a refused file leaves none."""
    folder = _folder(settings)
    temp = folder / f"partial-{uuid.uuid4().hex}.csv"
    name = (filename or "upload.csv").replace("/", "_")[-200:]
    try:
        summary, errors = importer.import_stream(
            session,
            stream=stream,
            filename=name,
            settings=settings,
            now=now,
            file_format=file_format[:12],
            encoding=encoding[:20],
            error_path=temp,
            actor_label=f"{actor.email} ({actor.role})",
        )
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    final = folder / f"{summary.import_id}-errors.csv"
    temp.replace(final)
    summary.error_file = final
    audit.record(
        session,
        actor=actor,
        action="report.import",
        target_type="report_import",
        target_id=summary.import_id,
        detail={
            "file": name,
            "format": summary.file_format,
            "inserted": summary.inserted,
            "already_present": summary.already_present,
            "rejected": summary.rejected_total,
        },
    )
    return summary, errors


def recent_imports(session: Session, *, limit: int = 20) -> list[ReportImport]:
    return repo.recent_imports(session, limit=limit)


def import_error_file(session: Session, *, import_id: int, settings: Settings) -> Path:
    """The error file of an import (NotFound when there is no such import or no file)."""
    path = _folder(settings) / f"{import_id}-errors.csv"
    if repo.get_import(session, import_id) is None or not path.exists():
        raise NotFound("There is no error file for this import.", field="import_id")
    return path


def read_chunks(path: Path, *, size: int = 65536) -> Iterator[bytes]:
    """A file's bytes a chunk at a time (an error file is sent while it is read)."""
    with path.open("rb") as fh:
        while chunk := fh.read(size):
            yield chunk
