"""Demo data: the real police.uk "Violence and sexual offences" and "Public order" records shipped in
``nte/data/crime/``, imported for the served boroughs as imported police data (idempotent)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from sqlalchemy.orm import Session

from nte.config import get_settings
from nte.db import utcnow
from nte.reports.importer import import_file

CRIME_DIR = Path(__file__).resolve().parent.parent / "data" / "crime"


def load_police_records(session: Session, console: Console) -> None:
    inserted = present = rejected = 0
    for path in sorted(CRIME_DIR.glob("*.csv.gz")):
        summary, _ = import_file(session, path=path, settings=get_settings(), now=utcnow(), actor_label="demo")
        inserted += summary.inserted
        present += summary.already_present
        rejected += summary.rejected_total
    console.print(
        f"Police.uk records (violence and sexual offences, public order; OGL v3.0): {inserted} imported, "
        f"{present} already present, {rejected} outside the served area or without coordinates."
    )
