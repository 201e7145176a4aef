"""Receipt codes: made once at submission (only their hash is stored), and the status a reporter
looks up with one ("you said, we did" updates for the report's ward)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from nte.errors import Invalid
from nte.reports import repository as repo
from nte.reports.exceptions import ReceiptNotFound
from nte.reports.models import WARD_SUBJECT, WardUpdate
from nte.reports.vocabulary import N_
from nte.wards import service as ward_service

RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
RECEIPT_GROUPS = 4


def new_receipt_code() -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(4 * RECEIPT_GROUPS))  # 80 bits
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalise_receipt(code: str) -> str:
    table = str.maketrans({"O": "0", "I": "1", "L": "1"})
    return "".join(ch for ch in code.upper().translate(table) if ch in RECEIPT_ALPHABET)


def receipt_hash(code: str) -> str:
    return hashlib.sha256(("nte-receipt:" + normalise_receipt(code)).encode()).hexdigest()


# --- receipt status ---------------------------------------------------------------------------


@dataclass
class ReceiptStatus:
    status: str
    received_hour: datetime
    ward_code: str
    ward_name: str
    updates: list[WardUpdate]


def status_by_receipt(session: Session, *, code: str) -> ReceiptStatus:
    normal = normalise_receipt(code or "")
    if len(normal) != 4 * RECEIPT_GROUPS:
        raise Invalid(N_("Enter the receipt code you were given, for example 7KQ2-M9XD-4P0R-ZT8C."), field="receipt")
    report = repo.by_receipt_hash(session, receipt_hash(normal))
    if report is None:
        raise ReceiptNotFound()
    # Its ward in today's boundaries (the one an officer posts updates for), and updates posted for
    # any ward it has been in, under any boundaries (a ward redrawn since the report keeps its updates).
    current, codes = ward_service.wards_of_record(session, subject=WARD_SUBJECT, subject_id=report.id)
    ward = current.code if current is not None else report.ward_code
    return ReceiptStatus(
        status=report.status,
        received_hour=report.received_hour,
        ward_code=ward,
        ward_name=current.name if current is not None else report.ward_code,
        updates=repo.ward_updates(session, ward_codes=sorted(codes | {report.ward_code}), limit=10),
    )
