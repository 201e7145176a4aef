"""Request and response bodies of the patrols JSON API."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AreaCreate(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=500)
    geometry: dict[str, Any]


class AreaRead(BaseModel):
    id: int
    name: str
    description: str | None
    area_km2: float


class SeriesCreate(BaseModel):
    area_id: int
    name: str = Field(min_length=1, max_length=120)
    rrule: str = Field(min_length=1, max_length=300, examples=["FREQ=WEEKLY;BYDAY=FR"])
    start_date: date
    start_time: time
    end_time: time
    tz: str = Field(default="Europe/London", max_length=60)
    min_volunteers: int = 4
    max_volunteers: int = 12
    min_team_leads: int = 1
    meeting_point: str | None = Field(default=None, max_length=200)


class SeriesRuleRead(BaseModel):
    """A rule the series followed before its current one, for its nights from ``start_date``."""

    model_config = ConfigDict(from_attributes=True)

    start_date: date
    rrule: str
    start_time: time
    end_time: time
    area_id: int
    min_volunteers: int
    max_volunteers: int
    min_team_leads: int
    meeting_point: str | None


class SeriesRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    area_id: int
    name: str
    rrule: str
    start_date: date
    start_time: time
    end_time: time
    tz: str
    min_volunteers: int
    max_volunteers: int
    min_team_leads: int
    meeting_point: str | None
    is_active: bool
    description: str = ""
    #: The rules it followed before ``start_date`` (a change from a date keeps them), oldest first.
    earlier_rules: list[SeriesRuleRead] = []


class SeriesEndIn(BaseModel):
    """End a series after ``end_date`` (London date, inclusive)."""

    end_date: date


class SeriesChangeIn(BaseModel):
    """From ``from_date`` (London date, today or later) on, the series follows these values; the
    nights before keep the old ones. ``area_id`` left out keeps the series' area."""

    from_date: date
    rrule: str = Field(min_length=1, max_length=300, examples=["FREQ=WEEKLY;BYDAY=SA"])
    start_time: time
    end_time: time
    min_volunteers: int = 4
    max_volunteers: int = 12
    min_team_leads: int = 1
    meeting_point: str | None = Field(default=None, max_length=200)
    area_id: int | None = None


class SeriesChangeRead(BaseModel):
    """What a pause, resume, end or change did: the series now, and how many future nights were
    cancelled or changed (moved, re-timed or brought back), and how many signed-up volunteers told."""

    series: SeriesRead
    cancelled: int
    moved: int
    told: int


class NightChangeIn(BaseModel):
    cancelled: bool = False
    start_time: time | None = None
    end_time: time | None = None
    moved_to: date | None = None


class ShiftRead(BaseModel):
    id: int
    series_id: int | None
    occurrence_date: date | None
    area_id: int
    area_name: str
    start_at: datetime
    end_at: datetime
    min_volunteers: int
    max_volunteers: int
    min_team_leads: int
    status: str
    sequence: int
    confirmed: int
    team_leads: int
    waitlisted: int
    staffing: str
    reasons: list[str]
    stood_down_at: datetime | None = None
    stand_down_reason: str | None = None
    below_minimum_confirmed_at: datetime | None = None
    below_minimum_reason: str | None = None


class ShiftDecisionIn(BaseModel):
    """A coordinator's reason to run a shift below its minimum, or to reinstate a stood-down one
    (trimmed; 1-300 characters; told to the volunteers)."""

    reason: str = Field(default="", max_length=2000, examples=["Two trained volunteers from Westminster join us"])


class SignupIn(BaseModel):
    waitlist: bool = Field(default=True, description="Join the waitlist when the shift is full")


class SignupRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shift_id: int
    volunteer_id: int
    status: str
    offer_expires_at: datetime | None = None
    checked_in_at: datetime | None = None
    home_safe_at: datetime | None = None
    no_show: bool = False


class OfferResponse(BaseModel):
    accept: bool


class NoShowIn(BaseModel):
    no_show: bool = True


class VolunteerCreate(BaseModel):
    user_id: int
    phone: str | None = Field(default=None, max_length=40)
    emergency_contact: str | None = Field(default=None, max_length=200)
    status: str = "applicant"
    is_team_lead: bool = False


class VolunteerUpdate(BaseModel):
    phone: str | None = Field(default=None, max_length=40)
    emergency_contact: str | None = Field(default=None, max_length=200)
    status: str | None = None
    is_team_lead: bool | None = None


class VolunteerRead(BaseModel):
    id: int
    user_id: int
    name: str
    email: str
    phone: str | None
    emergency_contact: str | None
    status: str
    is_team_lead: bool
    problems: list[str] = []


class RecordCreate(BaseModel):
    kind: str
    completed_date: date
    expires_date: date | None = None
    reference: str | None = Field(default=None, max_length=80)


class RecordRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    volunteer_id: int
    kind: str
    completed_date: date
    expires_date: date | None
    reference: str | None


class SupportCount(BaseModel):
    kind: str
    gender: str
    people: int


class IncidentIn(BaseModel):
    title: str = Field(max_length=120)
    notes: str | None = Field(default=None, max_length=2000)
    lon: float | None = None
    lat: float | None = None


class PersonIn(BaseModel):
    """One person supported, recorded once: no name, no free text (unknown keys are refused)."""

    model_config = ConfigDict(extra="forbid")

    gender: str = Field(max_length=20, examples=["woman"])
    age_band: str | None = Field(default=None, max_length=20, examples=["18_24"])
    kinds: list[str] = Field(max_length=20, examples=[["water_flipflops", "phone_charged"]])
    handover: str | None = Field(default=None, max_length=20, examples=["taxi_home"])


class PersonRead(BaseModel):
    gender: str
    age_band: str | None
    kinds: list[str]
    handover: str | None


class DebriefIn(BaseModel):
    # "counts" (kind x gender cells) is no longer accepted: a debrief records each person once.
    model_config = ConfigDict(extra="forbid")

    people: list[PersonIn] = Field(default=[], max_length=200)
    summary: str | None = Field(default=None, max_length=1000)
    incidents: list[IncidentIn] = Field(default=[], max_length=50)


class DebriefRead(BaseModel):
    shift_id: int
    filed_at: datetime
    summary: str | None
    #: Each person supported once (empty for a debrief filed before people were recorded one by one).
    people: list[PersonRead]
    #: People supported; an estimate from the kind x gender cells when ``people_estimated``.
    total: int
    people_estimated: bool
    people_by_gender: dict[str, int]
    #: Actions: kinds of help given, by kind and gender (one person may have several).
    counts: list[SupportCount]
    actions: int
    incidents: list[dict[str, Any]]


class FeedCreated(BaseModel):
    url: str
