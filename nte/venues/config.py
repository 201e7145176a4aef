"""Per-deployment charter settings (environment variables ``NTE_VENUE_*``)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: A charter cycle: a verified venue's record runs this long, and a renewal moves it on by this much.
CYCLE_DAYS = 365


class VenueSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NTE_VENUE_", env_file=".env", extra="ignore")

    #: A manager may renew a verified venue this many days before its charter record expires (when
    #: the first reminder goes out), not earlier. Shorter than a cycle, so a renewal (which moves the
    #: expiry a cycle on) closes the window until the next one: one renewal per cycle.
    renewal_window_days: int = Field(default=60, ge=1, le=CYCLE_DAYS - 1)
    #: A failed spot check's action is due this many days after the check unless the officer says.
    spot_check_action_days: int = Field(default=28, ge=1, le=365)
    #: The longest an officer may give a venue to put a failed spot check right.
    spot_check_action_max_days: int = Field(default=180, ge=1, le=366)
    #: The share of a venue's stated staff trained (WAVE or Ask for Angela) in the last 12 months
    #: below which a venue with Ask for Angela posters is flagged.
    trained_share: float = Field(default=0.5, gt=0.0, le=1.0)

    @model_validator(mode="after")
    def _due_within_max(self) -> VenueSettings:
        if self.spot_check_action_days > self.spot_check_action_max_days:
            raise ValueError("spot_check_action_days must not exceed spot_check_action_max_days")
        return self


@lru_cache
def get_venue_settings() -> VenueSettings:
    return VenueSettings()
