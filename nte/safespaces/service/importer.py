"""Importing safe spaces from CSV: the NHS pharmacy list or our own columns, every row checked
(by the same field rules as a form) before any is stored, rows already imported skipped."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shapely.geometry import Point
from shapely.prepared import prep
from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth.models import User
from nte.config import Settings
from nte.errors import Invalid, UnsupportedMediaType
from nte.safespaces import repository as repo
from nte.safespaces.exceptions import InvalidImport, InvalidSafeSpace
from nte.safespaces.service.fields import FIELDS, clean_fields
from nte.safespaces.service.registry import create_space
from nte.wards import service as ward_service
from nte.wards.exceptions import InvalidCoordinates

MAX_UPLOAD = 5_000_000
"""The largest CSV an officer may upload (bytes)."""
CSV_TYPES = (None, "", "text/csv", "application/vnd.ms-excel", "text/plain", "application/octet-stream")
"""What browsers and scripts call a CSV upload."""


def upload_text(raw: bytes, *, content_type: str | None) -> str:
    """The text of an uploaded CSV file (UTF-8, a byte-order mark dropped)."""
    if content_type not in CSV_TYPES:
        raise UnsupportedMediaType("Upload a CSV file.", field="file")
    if not raw:
        raise Invalid("The file is empty.", field="file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("The file is not UTF-8 text: save it as 'CSV UTF-8'.", field="file") from None


@dataclass
class ImportResult:
    created: int = 0
    already_present: int = 0
    rows: int = 0


_NHS_COLUMNS = {"ods_code", "name", "address1", "postcode", "latitude", "longitude"}
_GENERIC_COLUMNS = {"name", "kind", "latitude", "longitude"}
_OPTIONAL_COLUMNS = (*(f.name for f in FIELDS if f.name not in ("name", "kind")), "opening_hours")
"""Our own columns beyond the four every row has: the plain fields and the opening hours as text."""


def _nhs_row(row: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    address = ", ".join(p.strip() for p in (row.get(f"address{i}") or "" for i in range(1, 5)) if p.strip())
    return f"nhs:{row['ods_code'].strip()}", {
        "name": " ".join((row.get("name") or "").split()),
        "kind": "pharmacy",
        "address": address or None,
        "postcode": row.get("postcode"),
        "phone": (row.get("phone") or "").strip() or None,
        "lon": row.get("longitude"),
        "lat": row.get("latitude"),
    }


def _generic_row(row: Mapping[str, str], number: int) -> tuple[str | None, dict[str, Any]]:
    data: dict[str, Any] = {
        "name": row.get("name"),
        "kind": (row.get("kind") or "").strip(),
        "lon": row.get("longitude"),
        "lat": row.get("latitude"),
    }
    for key in _OPTIONAL_COLUMNS:
        if (row.get(key) or "").strip():
            data[key] = row[key]
    external = (row.get("external_id") or "").strip() or None
    return external, data


def _unreadable_csv(exc: csv.Error, where: str) -> InvalidImport:
    """A CSV the csv module cannot read, as a refusal naming the upload and saying what to do."""
    message = str(exc)
    if "new-line character" in message:
        why = (
            "has a line break inside a value: a lone carriage return (CR), as old Mac files end their lines. "
            "Save the file as 'CSV UTF-8' (lines ending in LF or CR LF)"
        )
    elif "field limit" in message:
        why = f"has a value longer than {csv.field_size_limit():,} characters; no safe-space column needs that"
    else:
        why = f"is not valid CSV ({message})"
    return InvalidImport(f"{where} {why}.", field="file")


Parsed = list[tuple[str | None, dict[str, Any]]]


def _is_nhs(reader: csv.DictReader[str]) -> bool:
    """Which columns the file has: the NHS pharmacy list (True) or ours (False)."""
    try:
        columns = {c.strip() for c in reader.fieldnames or []}
    except csv.Error as exc:
        raise _unreadable_csv(exc, "The header line") from None
    if _NHS_COLUMNS <= columns:
        return True
    if _GENERIC_COLUMNS <= columns:
        return False
    raise InvalidImport(
        "The CSV needs a header with name, kind, latitude and longitude (or the NHS pharmacy "
        "columns ods_code, name, address1, postcode, latitude, longitude).",
        field="file",
    )


def _read_row(
    row: Mapping[str, Any], number: int, *, nhs: bool, area: Any, seen: set[str]
) -> tuple[str | None, dict[str, Any]]:
    """One row as (external id, safe-space fields): its point inside the served area, its id once."""
    if None in row:
        raise InvalidImport(f"Row {number}: more values than columns.", field="file")
    external, data = _nhs_row(row) if nhs else _generic_row(row, number)
    if external is not None:
        if external in seen:
            raise InvalidImport(f"Row {number}: {external} appears twice in the file.", field="file")
        seen.add(external)
    try:
        lon, lat = ward_service.validate_point(
            data.get("lon"), data.get("lat"), lon_field="longitude", lat_field="latitude"
        )
    except InvalidCoordinates as exc:
        raise InvalidImport(f"Row {number}: {exc.detail}", field="file") from None
    if not area.contains(Point(lon, lat)):
        raise InvalidImport(
            f"Row {number} ({str(data.get('name'))[:60]}): the point is outside the area this council covers.",
            field="file",
        )
    return external, data


def _read_rows(reader: csv.DictReader[str], *, nhs: bool, area: Any, result: ImportResult) -> Parsed:
    parsed: Parsed = []
    seen: set[str] = set()
    try:
        for number, row in enumerate(reader, start=2):
            result.rows += 1
            parsed.append(_read_row(row, number, nhs=nhs, area=area, seen=seen))
            if result.rows > 20_000:
                raise InvalidImport("Import at most 20,000 rows at a time.", field="file")
    except csv.Error as exc:  # reading a row: the checks above raise InvalidImport, not csv.Error
        raise _unreadable_csv(exc, f"Line {reader.line_num}") from None
    if not parsed:
        raise InvalidImport("The file holds no rows.", field="file")
    return parsed


def already_imported(session: Session, external_ids: list[str]) -> set[str]:
    """Which of these external ids are stored already (imported or loaded before)."""
    return repo.by_external_ids(session, external_ids)


def _new_rows(session: Session, parsed: Parsed, *, settings: Settings) -> Parsed:
    """The rows not imported before, each checked as a form would be (before any is stored)."""
    existing = already_imported(session, [e for e, _ in parsed if e])
    cleaned: Parsed = []
    for number, (external, data) in enumerate(parsed, start=2):
        if external in existing:
            continue
        try:
            clean_fields(session, {**data}, settings=settings)
        except InvalidSafeSpace as exc:
            raise InvalidImport(
                f"Row {number} ({str(data.get('name'))[:60]}): {exc.field}: {exc.detail}", field="file"
            ) from None
        cleaned.append((external, data))
    return cleaned


def import_csv(
    session: Session,
    *,
    text: str,
    actor: User | None,
    settings: Settings,
    now: datetime,
    is_example: bool = False,
    label: str = "CSV upload",
) -> ImportResult:
    """Import safe spaces from CSV: the NHS pharmacy list (``ods_code,name,address1..4,postcode,
    phone,latitude,longitude``) or our own columns (``name,kind,latitude,longitude`` plus optional
    ``external_id,address,postcode,phone,access_note,help_offered,codewords,step_free,languages,
    opening_hours``). Everything imported is *unverified* and its hours *unconfirmed* (so never
    shown open) until an officer checks it. Rows whose ``external_id`` is already stored are
    skipped, so importing the same file twice adds nothing. Nothing is stored if any row is wrong."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    nhs = _is_nhs(reader)
    area = prep(ward_service.service_area(session, settings=settings))
    result = ImportResult()
    parsed = _read_rows(reader, nhs=nhs, area=area, result=result)
    cleaned = _new_rows(session, parsed, settings=settings)
    for external, data in cleaned:
        create_space(
            session,
            data=data,
            actor=actor,
            settings=settings,
            now=now,
            confirm_hours=False,
            source="import",
            external_id=external,
            is_example=is_example,
            audit_action=None,
        )
    result.created = len(cleaned)
    result.already_present = len(parsed) - len(cleaned)
    audit.record(
        session,
        actor=actor,
        action="safespace.import",
        target_type="safe_space",
        target_id="import",
        detail={
            "label": label,
            "rows": result.rows,
            "created": result.created,
            "already_present": result.already_present,
            "examples": is_example,
        },
        at=now,
    )
    return result
