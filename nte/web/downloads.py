"""Every file the service hands out (CSV, GeoJSON, a saved map page, a calendar) leaves through here.

``download`` sets the headers a download needs (attachment with its file name, never cached by a
shared cache, no type sniffing) and writes the audit event in the request's transaction, so the
audit log answers "who took a copy of what, with which filter" for every export, not only some.
CSV cells are neutralised where the CSV is built (``nte.exports.csv_text``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fastapi.responses import FileResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from nte.audit import service as audit

if TYPE_CHECKING:
    from nte.auth.models import User

Kind = Literal["csv", "geojson", "html", "ics"]

MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json",
    "html": "text/html; charset=utf-8",
    "ics": "text/calendar; charset=utf-8",
}


def download_headers(filename: str) -> dict[str, str]:
    if not filename or any(c in filename for c in '"\\/\r\n'):
        raise ValueError(f"unsafe download file name {filename!r}")
    return {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }


def download(
    session: Session,
    *,
    actor: User | None,
    kind: Kind,
    content: str | bytes | Mapping[str, Any] | Iterable[str] | Iterable[bytes],
    filename: str,
    target_type: str,
    target_id: str | int,
    action: str,
    detail: Mapping[str, Any] | None = None,
) -> Response:
    """The response for one export, and its audit event (``action`` such as ``"reports.export"``,
    ``target_type``/``target_id``,
    with the format, file name and ``detail``, e.g. the filter it was made with). ``content`` may be
    the whole body, a GeoJSON mapping, or an iterator of chunks (streamed: a large export never sits
    in memory whole; the audit event is written before the first byte)."""
    body: str | bytes | None = None
    if isinstance(content, Mapping):
        body = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    elif isinstance(content, (str, bytes)):
        body = content
    audit.record(
        session,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        detail={"format": kind, "filename": filename, **(detail or {})},
    )
    if body is None:
        chunks: Iterator[Any] = iter(content)  # type: ignore[arg-type]
        return StreamingResponse(chunks, media_type=MEDIA_TYPES[kind], headers=download_headers(filename))
    return Response(body, media_type=MEDIA_TYPES[kind], headers=download_headers(filename))


def download_file(
    session: Session,
    *,
    actor: User | None,
    path: Path,
    media_type: str,
    filename: str,
    action: str,
    target_type: str,
    target_id: str | int,
    detail: Mapping[str, Any] | None = None,
) -> FileResponse:
    """A stored file (a venue's uploaded evidence) handed out as an attachment, and its audit event.
    ``filename`` may be what a person named the file: Starlette quotes it (RFC 6266 ``filename*``)."""
    audit.record(
        session,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        detail={"format": "file", "filename": filename, **(detail or {})},
    )
    return FileResponse(
        path,
        media_type=media_type,
        filename=filename,
        content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
    )
