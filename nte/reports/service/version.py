"""The reports' data version: what caches and ETags of anything computed from reports key on."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from nte.reports import repository as repo


@dataclass(frozen=True)
class DataVersion:
    #: Changes whenever a report is added or moderated, or a borough's current wards change.
    tag: str
    #: When the newest of those changes happened (None: no reports yet).
    modified: datetime | None


def data_version(session: Session) -> DataVersion:
    """Reports are never deleted (retention purges only their free text), so the newest id, creation
    and moderation, and the current wards' change (reports' ``ward_code`` follows them) say whether
    anything counted changed. Each is read from an index."""
    marks = repo.change_marks(session)
    modified = max((m for m in marks[1:] if isinstance(m, datetime)), default=None)
    tag = hashlib.sha256(":".join(str(m) for m in marks).encode()).hexdigest()[:32]
    return DataVersion(tag=f"reports-{tag}", modified=modified)
