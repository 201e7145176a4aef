"""JSON shapes for the reports API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ReportCreate(BaseModel):
    """An anonymous report from a partner app. Give ``lat``/``lon`` (WGS84) or a ``ward`` code;
    ``date`` (YYYY-MM-DD, Europe/London) with ``time`` (HH:MM) or a ``time_band``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "lat": 51.5132,
                "lon": -0.1337,
                "date": "2026-03-14",
                "time": "23:30",
                "approximate": False,
                "categories": ["verbal_harassment", "followed"],
                "factors": ["poor_lighting"],
                "description": "Group outside the station shouting at women.",
                "age_band": "25_34",
                "gender": "woman",
            }
        },
    )

    lat: float | None = None
    lon: float | None = None
    ward: str | None = Field(None, max_length=20)
    date: str = Field(max_length=20)
    time: str | None = Field(None, max_length=10)
    time_band: str | None = Field(None, max_length=10)
    approximate: bool = False
    categories: list[str] = Field(max_length=20)
    factors: list[str] = Field(default_factory=list, max_length=20)
    description: str | None = Field(None, max_length=20_000)
    age_band: str | None = Field(None, max_length=20)
    gender: str | None = Field(None, max_length=20)


class ReportReceipt(BaseModel):
    receipt_code: str = Field(description="Shown once: the only way to look the report up later. Not stored.")
    status: str
    ward_code: str
    ward_name: str
    location_precision: Literal["exact", "ward"]


class WardUpdateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ward_code: str
    title: str
    body: str
    posted_at: datetime


class ReceiptStatusRead(BaseModel):
    status: str
    received_hour: datetime
    ward_code: str
    ward_name: str
    updates: list[WardUpdateRead]


class ReportRead(BaseModel):
    """What officers see (exact point included)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str
    status: str
    occurred_at: datetime
    time_precision: str
    time_band: str | None
    received_hour: datetime
    location_precision: str
    lat: float | None = None
    lon: float | None = None
    ward_code: str
    borough_code: str
    main_category: str
    categories: list[str]
    factors: list[str]
    description: str | None
    description_purged_at: datetime | None
    age_band: str | None
    gender: str | None
    flagged_near_duplicate: bool
    duplicate_of_id: int | None
    external_id: str | None


class ReportPage(BaseModel):
    total: int
    items: list[ReportRead]


class ModerationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[int] = Field(min_length=1, max_length=500)
    status: Literal["accepted", "spam", "duplicate", "new"]
    expected_status: Literal["new", "accepted", "spam", "duplicate"] | None = None
    duplicate_of: int | None = None


class ModerationRead(BaseModel):
    changed: list[int]
    skipped: list[int]


class WardUpdateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ward: str = Field(max_length=20)
    title: str = Field(max_length=500)
    body: str = Field(max_length=20_000)


class ImportRead(BaseModel):
    import_id: int
    file_format: str
    rows_read: int
    inserted: int
    already_present: int
    rejected: dict[str, int]
    errors: list[dict[str, object]]
