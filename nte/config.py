"""Settings, read once from the environment (prefix ``NTE_``) and an optional ``.env`` file."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: The team's shared real data (beside the repository; CI checks it out there). Tests and benchmarks
#: that compare against real data read it; the product itself only reads what is vendored in nte/data.
SHARED_DATA = Path(os.environ.get("NTE_SHARED_DATA", str(PROJECT_ROOT.parent / "shared" / "data")))
DEV_SECRET = "dev-only-secret-change-me"  # noqa: S105 - refused outside dev/test, see below
#: Where the development server answers; refused in production (see Settings.startup_problems).
DEV_BASE_URL = "http://127.0.0.1:8000"

#: The six boroughs whose December 2013 wards ship with NTE Safe.
SHIPPED_BOROUGHS = (
    "E09000033",  # Westminster
    "E09000020",  # Kensington and Chelsea
    "E09000013",  # Hammersmith and Fulham
    "E09000032",  # Wandsworth
    "E09000001",  # City of London
    "E09000012",  # Hackney
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NTE_", env_file=".env", extra="ignore")

    env: Literal["dev", "test", "prod"] = "dev"
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'nte.sqlite'}"
    spatialite_library: str = "mod_spatialite"
    # PostgreSQL connections per server process. Concurrent transactions beyond what the database's
    # cores can run only queue inside PostgreSQL: on a 2-core database host a pool of 2 per worker
    # kept a 100-sign-up burst's in-service p99 at ~10 ms, where 10 + 20 let it reach ~160 ms
    # (bench/bench_patrols.py --pool). Raise them for long requests (exports, imports) on big hosts.
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=20, ge=0)
    secret_key: str = DEV_SECRET
    # The public base URL people reach this service at (NTE_BASE_URL, e.g. https://nte-safe.example.gov.uk):
    # every absolute link (mails, the calendar feed address and the links inside the feed) is built from
    # it, never from a request's Host header. Required, and https, when NTE_ENV=prod.
    base_url: str = DEV_BASE_URL
    council_name: str = "NTE Safe demo (six London boroughs)"

    # Which boroughs (LAD codes) this deployment serves; the service area is the union of their wards.
    boroughs: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(SHIPPED_BOROUGHS))

    # Requests and uploads
    max_body_bytes: int = 1_000_000
    max_upload_bytes: int = 5_000_000
    upload_dir: Path = PROJECT_ROOT / "var" / "uploads"

    # Sessions and sign-in
    session_hours: int = 8
    login_free_attempts: int = 5
    login_max_delay_seconds: int = 900

    # Mail
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "NTE Safe <no-reply@nte-safe.invalid>"

    # Maps: "none" draws no base tiles (tests, offline); any XYZ template URL otherwise.
    tile_url: str = "none"
    tile_attribution: str = ""

    # Scheduler: run every interval job every N seconds instead (staging and the multi-process tests).
    scheduler_interval_seconds: int | None = None

    # Translations: ?lang=qps shows every catalogue message as ⟦áccéntéd⟧ text, so English that
    # bypasses the catalogues stands out (developers and translators; never on in production).
    pseudo_locale: bool = False

    # Accounts made by an invitation that was never accepted are deleted this many days after it ended.
    unused_account_days: int = 30

    # Reports and privacy
    report_retention_days: int = 365
    public_suppression_threshold: int = 10

    @field_validator("boroughs", mode="before")
    @classmethod
    def _split_boroughs(cls, value: object) -> object:
        if isinstance(value, str):
            return [code.strip() for code in value.split(",") if code.strip()]
        return value

    @field_validator("base_url")
    @classmethod
    def _absolute_base_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(
                f"NTE_BASE_URL must be an absolute http(s) address such as https://nte.example.gov.uk, not {value!r}"
            )
        return value

    @model_validator(mode="after")
    def _refuse_dev_secret_in_prod(self) -> Settings:
        if self.env == "prod" and self.secret_key == DEV_SECRET:
            raise ValueError("NTE_SECRET_KEY must be set to a long random value when NTE_ENV=prod")
        return self

    def startup_problems(self) -> list[str]:
        """Why this configuration must not serve people (one sentence each; empty when it may start).

        Checked when the app starts (nte.app's lifespan), so that a production deployment without its
        public address refuses to start instead of mailing and publishing links to 127.0.0.1.
        """
        problems = []
        if self.env == "prod":
            if self.secret_key == DEV_SECRET:
                problems.append("NTE_SECRET_KEY must be set to a long random value when NTE_ENV=prod")
            if self.base_url == DEV_BASE_URL:
                problems.append(
                    "NTE_BASE_URL is not set: when NTE_ENV=prod it must be the public https address people "
                    "use (e.g. https://nte-safe.example.gov.uk); links in mails and calendar feeds are built from it"
                )
            elif urlsplit(self.base_url).scheme != "https":
                problems.append(f"NTE_BASE_URL must be an https address when NTE_ENV=prod, not {self.base_url!r}")
        return problems

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secure_cookies(self) -> bool:
        return self.env == "prod"


@lru_cache
def get_settings() -> Settings:
    return Settings()
