"""JSON shapes of the venues API. Inputs are loosely typed on purpose: the service validates every
field and names the one that is wrong, identically for the form and the API."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class PledgeIn(BaseModel):
    number: int = Field(ge=1, le=7)
    met: bool
    how_met: str | None = None
    target_date: str | None = Field(None, description="YYYY-MM-DD; required when the pledge is not yet met")


class VenueSignUp(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""
    venue_type: str = Field("", description="pub, bar, nightclub, late_night_food, hotel, theatre or other")
    address: str = ""
    postcode: str = ""
    licence_number: str | None = None
    lon: Any = Field(None, description="WGS84 longitude of the pin")
    lat: Any = Field(None, description="WGS84 latitude of the pin")
    contact_email: str = Field("", description="Also the venue manager's sign-in name")
    contact_phone: str = ""
    champion_name: str = ""
    champion_role: str = ""
    ask_for_angela: bool = False
    manager_name: str = ""
    password: str = ""
    pledges: list[PledgeIn] = Field(default_factory=list, description="All 7 pledges")

    def to_raw(self) -> dict[str, Any]:
        raw = self.model_dump(exclude={"pledges"})
        raw["licence_number"] = raw["licence_number"] or ""
        for p in self.pledges:
            raw[f"pledge_{p.number}_status"] = "met" if p.met else "not_yet"
            raw[f"pledge_{p.number}_how"] = p.how_met or ""
            raw[f"pledge_{p.number}_target"] = p.target_date or ""
        return raw


class SignUpRead(BaseModel):
    """The same for every sign-up that passes validation, whether or not its e-mail already had an
    account (no ids, no counts): the answer cannot tell anyone who has an account."""

    status: Literal["submitted", "held_as_duplicate"]
    detail: str


class StatusChange(BaseModel):
    action: Literal["verify", "request_changes", "reject", "lapse", "withdraw", "renew"]
    reason: str | None = None


class VenueRead(BaseModel):
    id: int
    name: str
    venue_type: str
    status: str
    postcode: str
    ward_code: str
    renewal_date: date | None
    example: bool
