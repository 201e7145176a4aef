"""Wards as the register shows them (names for display) and the filters its lists take."""

from __future__ import annotations

from sqlalchemy.orm import Session

from nte.config import Settings
from nte.errors import Invalid
from nte.venues.models import SCHEMES, VENUE_STATUSES, VENUE_TYPES
from nte.wards import service as wards_service


def ward_names(session: Session, *, settings: Settings) -> dict[str, str]:
    """Current served ward code -> name."""
    return {w.code: w.name for w in wards_service.ward_choices(session, settings=settings)}


def wards_by_name(session: Session, *, settings: Settings) -> list[tuple[str, str]]:
    """(code, name) of the served wards, by name: a page's ward filter."""
    return sorted(ward_names(session, settings=settings).items(), key=lambda kv: kv[1])


def check_ward(session: Session, *, ward: str | None, settings: Settings, field: str = "ward") -> str | None:
    if not ward:
        return None
    if ward not in ward_names(session, settings=settings):
        raise Invalid("Choose one of the wards this council covers.", field=field)
    return ward


def check_filters(venue_type: str | None, scheme: str | None, status: str | None = None) -> None:
    if venue_type and venue_type not in VENUE_TYPES:
        raise Invalid("Choose a known venue type.", field="venue_type")
    if scheme and scheme not in SCHEMES:
        raise Invalid("Choose a known accreditation scheme.", field="scheme")
    if status and status not in VENUE_STATUSES:
        raise Invalid("Choose a known status.", field="status")
