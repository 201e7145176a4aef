"""Per-deployment patrol settings (environment variables ``NTE_PATROL_*``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from nte.patrols.models import RECORD_KINDS


class PatrolSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NTE_PATROL_", env_file=".env", extra="ignore")

    #: Records a volunteer must hold, unexpired on the night, to sign up (e.g. "dbs,induction,wave").
    required_records: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["dbs", "induction"])
    materialise_weeks: int = 8
    cancellation_deadline_hours: int = 24
    waitlist_offer_hours: int = 12
    check_in_opens_minutes: int = 60
    home_safe_grace_minutes: int = 30
    #: How long before a shift's end a volunteer can confirm they are home safe.
    home_safe_opens_minutes: int = 60
    staffing_alert_hours: int = 48
    #: This many hours before the start, a shift below its minimum volunteers or team leads is stood
    #: down (cancelled, everyone told why) unless a coordinator confirmed it runs below its minimum.
    stand_down_hours: int = Field(default=2, ge=0, le=168)
    #: The period the reliability figures on a volunteer's profile cover (no-shows, late cancellations).
    reliability_days: int = Field(default=365, ge=1, le=3660)
    max_area_km2: float = 5.0
    min_area_m2: float = 1_000.0
    max_area_vertices: int = 500

    @field_validator("required_records", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip().lower() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            unknown = [v for v in value if v not in RECORD_KINDS]
            if unknown:
                raise ValueError(f"unknown record kinds {unknown}; use {', '.join(RECORD_KINDS)}")
        return value


@lru_cache
def get_patrol_settings() -> PatrolSettings:
    return PatrolSettings()
