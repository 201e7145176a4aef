"""JSON API shapes. Values are checked in the service (so forms and JSON give the same errors);
these only fix the types."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SafeSpaceFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    venue_id: int | None = Field(
        None, description="A charter venue that is also this safe space: its name, address and location are used"
    )
    name: str | None = Field(None, max_length=200)
    kind: str | None = Field(
        None, description="pharmacy, safe_haven, charter_venue, community_centre, transport_hub, other"
    )
    address: str | None = Field(None, max_length=300)
    postcode: str | None = Field(None, max_length=10)
    lon: float | None = Field(None, description="WGS84 longitude")
    lat: float | None = Field(None, description="WGS84 latitude")
    phone: str | None = Field(None, max_length=30)
    access_note: str | None = Field(None, max_length=300)
    help_offered: list[str] | None = Field(None, description="Westminster checklist keys, e.g. water, first_aid")
    codewords: list[str] | None = Field(None, description="ask_for_ani, ask_for_angela")
    step_free: bool | None = None
    languages: list[str] | None = None
    hours: dict[str, Any] | None = Field(
        None, description='{"weekly": [["fri", "20:00", "04:00"]], "overrides": [["2026-12-25", "closed"]]}'
    )
    opening_hours: str | None = Field(None, max_length=500, description='Text form, e.g. "Fr-Sa 20:00-04:00"')
    owner_user_id: int | None = Field(None, description="A venue_manager account that may propose changes")


class SafeSpaceCreate(SafeSpaceFields):
    confirm_hours: bool = Field(True, description="The hours given were confirmed with the place today")


class SafeSpaceUpdate(SafeSpaceFields):
    confirm_hours: bool = True


class ProposalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    phone: str | None = Field(None, max_length=30)
    name: str | None = Field(None, max_length=200)
    address: str | None = Field(None, max_length=300)
    postcode: str | None = Field(None, max_length=10)
    access_note: str | None = Field(None, max_length=300)
    help_offered: list[str] | None = None
    codewords: list[str] | None = None
    step_free: bool | None = None
    languages: list[str] | None = None
    hours: dict[str, Any] | None = None
    opening_hours: str | None = Field(None, max_length=500)
    confirms_hours: bool = Field(False, description="The current hours are still right")
    message: str | None = Field(None, max_length=500)


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field("", max_length=500)


class Withdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=300)


class ProposalRead(BaseModel):
    id: int
    safe_space_id: int
    proposed_by_user_id: int | None
    changes: dict[str, Any]
    confirms_hours: bool
    message: str | None
    status: str
    created_at: str
    decided_at: str | None
    decision_note: str | None


def proposal_read(p: Any) -> dict[str, Any]:
    return ProposalRead(
        id=p.id,
        safe_space_id=p.safe_space_id,
        proposed_by_user_id=p.proposed_by_user_id,
        changes=p.changes,
        confirms_hours=p.confirms_hours,
        message=p.message,
        status=p.status,
        created_at=p.created_at.isoformat(),
        decided_at=p.decided_at.isoformat() if p.decided_at else None,
        decision_note=p.decision_note,
    ).model_dump()
