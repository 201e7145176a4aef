"""Report points for officers: public reports made here or on partner forms, and police.uk records,
with the officer map's filters as queryables (category, London hour and day, source, status).

Never public (the router puts the officers' role on every route of this collection). What a report
says in free text, and who made it (age band, gender), stay off this layer: a desktop GIS copies what
it reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import InstrumentedAttribute

from nte.auth.deps import OfficerApi
from nte.maps.filters import POLICE_ATTRIBUTION
from nte.ogc.collections.base import Context, Queryable, SqlCollection, Version
from nte.reports import service as report_service
from nte.reports.models import REPORT_SOURCES, Report
from nte.reports.vocabulary import CATEGORIES
from nte.spatial.localtime import local_hour, local_isodow

#: What officers may count: spam never (as on the officer map).
_SHOWN_STATUSES = ("new", "accepted", "duplicate")


def _known_time(expr: Any) -> Any:
    """A time-of-day value, or NULL for records known only to the month (police.uk)."""
    return sa.case((Report.time_precision == "month", sa.null()), else_=expr)


class ReportsCollection(SqlCollection):
    id = "reports"
    title = "Reports (officers)"
    description = (
        "Every report officers count: public reports made here or on partner forms, and police-recorded crime "
        "from police.uk (kept apart by source). Points are exact; a report placed only in a ward has no geometry. "
        "Spam is never included. Filter with CQL2 on the queryables, e.g. "
        "category IN ('followed','spiking') AND (hour >= 22 OR hour < 4)."
    )
    access = OfficerApi
    geometry_type = "Point"
    temporal = "occurred_at"
    attribution = POLICE_ATTRIBUTION
    site_path = "/officer/map"
    queryables = (
        Queryable("occurred_at", "string", "When it happened (UTC)", format="date-time"),
        Queryable("category", "string", "Main category", enum=tuple(CATEGORIES)),
        Queryable(
            "source",
            "string",
            "Source",
            "public (made here), import (partner forms), police (police.uk)",
            enum=REPORT_SOURCES,
        ),
        Queryable("status", "string", "Moderation status", enum=_SHOWN_STATUSES),
        Queryable(
            "hour",
            "integer",
            "London hour (0-23)",
            "The London wall-clock hour it happened; empty for records known only to the month.",
        ),
        Queryable(
            "weekday",
            "integer",
            "London day of the week (1 = Monday ... 7 = Sunday)",
            "Empty for records known only to the month.",
        ),
        Queryable(
            "time_precision", "string", "How precisely the time is known", enum=("exact", "approximate", "month")
        ),
        Queryable("location_precision", "string", "How precisely the place is known", enum=("exact", "ward")),
        Queryable("ward_code", "string", "Ward code (the borough's current wards)"),
        Queryable("borough_code", "string", "Borough code"),
    )

    @property
    def key(self) -> InstrumentedAttribute[Any]:
        return Report.id

    @property
    def geometry(self) -> InstrumentedAttribute[Any]:
        return Report.geom

    def fields(self) -> Mapping[str, Any]:
        return {
            "occurred_at": Report.occurred_at,
            "category": Report.main_category,
            "source": Report.source,
            "status": Report.status,
            "hour": _known_time(local_hour(Report.occurred_at)),
            "weekday": _known_time(local_isodow(Report.occurred_at)),
            "time_precision": Report.time_precision,
            "location_precision": Report.location_precision,
            "ward_code": Report.ward_code,
            "borough_code": Report.borough_code,
        }

    def columns(self) -> Sequence[Any]:
        return [
            Report.source.label("source"),
            Report.status.label("status"),
            Report.occurred_at.label("occurred_at"),
            Report.time_precision.label("time_precision"),
            Report.time_band.label("time_band"),
            Report.main_category.label("category"),
            _known_time(local_hour(Report.occurred_at)).label("hour"),
            _known_time(local_isodow(Report.occurred_at)).label("weekday"),
            Report.factors.label("factors"),
            Report.location_precision.label("location_precision"),
            Report.ward_code.label("ward_code"),
            Report.borough_code.label("borough_code"),
        ]

    def conditions(self, session: Session, ctx: Context) -> list[ColumnElement[bool]]:
        return [Report.status.in_(_SHOWN_STATUSES), Report.borough_code.in_(list(ctx.settings.boroughs))]

    def version(self, session: Session, ctx: Context) -> Version:
        return _report_version(session)


def _report_version(session: Session) -> Version:
    found = report_service.data_version(session)
    return Version(found.tag, found.modified)
