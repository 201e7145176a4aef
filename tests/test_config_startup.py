"""The public base URL (NTE_BASE_URL) every absolute link is built from: a clear error for a value that
is not an address, and in production (NTE_ENV=prod) the service refuses to start, with one sentence
naming the setting, when it is missing or not https."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from nte.app import create_app
from nte.config import DEV_BASE_URL, PROJECT_ROOT, Settings
from tests.support.postgres import free_port

LONG_SECRET = "a-long-random-production-secret-" + "x" * 32


def prod(**values: str) -> Settings:
    return Settings(env="prod", secret_key=LONG_SECRET, _env_file=None, **values)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("base_url", "problem"),
    [
        (None, "NTE_BASE_URL is not set"),
        ("http://nte-safe.example.gov.uk", "NTE_BASE_URL must be an https address"),
        ("http://127.0.0.1:8000", "NTE_BASE_URL is not set"),
    ],
)
def test_production_without_a_public_https_address_has_a_start_up_problem(monkeypatch, base_url, problem):
    monkeypatch.delenv("NTE_BASE_URL", raising=False)
    settings = prod() if base_url is None else prod(base_url=base_url)
    [found] = settings.startup_problems()
    assert found.startswith(problem) and "NTE_ENV=prod" in found


def test_production_with_https_and_development_with_the_default_may_start(monkeypatch):
    monkeypatch.delenv("NTE_BASE_URL", raising=False)
    assert prod(base_url="https://nte-safe.example.gov.uk/").startup_problems() == []
    assert prod(base_url="https://nte-safe.example.gov.uk/").base_url == "https://nte-safe.example.gov.uk"
    for env in ("dev", "test"):
        settings = Settings(env=env, _env_file=None)  # type: ignore[call-arg]
        assert settings.base_url == DEV_BASE_URL and settings.startup_problems() == []


def test_the_setting_is_read_from_nte_base_url(monkeypatch):
    monkeypatch.setenv("NTE_BASE_URL", "https://safe.example.org/")
    assert prod().base_url == "https://safe.example.org" and prod().startup_problems() == []


@pytest.mark.parametrize(
    "value", ["nte-safe.example.gov.uk", "ftp://nte.example", "https://", "https://x.example/?a=1"]
)
def test_a_base_url_that_is_not_an_address_is_refused_naming_the_setting(value):
    with pytest.raises(ValidationError) as caught:
        Settings(base_url=value, _env_file=None)  # type: ignore[call-arg]
    assert "NTE_BASE_URL must be an absolute http(s) address" in str(caught.value)
    assert caught.value.errors()[0]["loc"] == ("base_url",)


def test_the_app_refuses_to_start_in_production_without_it(settings, caplog):
    app = create_app(settings.model_copy(update={"env": "prod", "secret_key": LONG_SECRET}), check_db=False)

    async def start() -> None:
        async with app.router.lifespan_context(app):
            pass  # pragma: no cover - start-up must fail

    # In a thread of its own: a browser test earlier on this worker may leave an event loop running here.
    with caplog.at_level(logging.ERROR, logger="nte"), pytest.raises(SystemExit) as caught:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, start()).result()
    assert str(caught.value).startswith("NTE Safe will not start: NTE_BASE_URL is not set")
    assert any("NTE_BASE_URL is not set" in r.getMessage() for r in caplog.records)
    # With its public https address it starts and serves.
    ok = create_app(
        settings.model_copy(update={"env": "prod", "secret_key": LONG_SECRET, "base_url": "https://testserver"}),
        check_db=False,
    )
    with TestClient(ok, base_url="https://testserver") as client:
        assert client.get("/about/privacy").status_code == 200


def test_the_real_service_refuses_to_start_with_one_clear_line(engine):
    env = {k: v for k, v in os.environ.items() if k != "NTE_BASE_URL"}
    env.update(
        NTE_ENV="prod",
        NTE_SECRET_KEY=LONG_SECRET,
        NTE_DATABASE_URL=engine.url.render_as_string(hide_password=False),
        NTE_BASE_URL="http://nte-safe.example.gov.uk",
    )
    proc = subprocess.run(
        [sys.executable, "main.py", "serve", "--port", str(free_port())],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    refusal = [line for line in proc.stderr.splitlines() if "will not start" in line]
    assert len(refusal) == 1, proc.stderr
    assert "NTE_BASE_URL must be an https address when NTE_ENV=prod" in refusal[0]


def test_the_real_scheduler_refuses_to_start_too(engine):
    env = {k: v for k, v in os.environ.items() if k != "NTE_BASE_URL"}
    env.update(
        NTE_ENV="prod", NTE_SECRET_KEY=LONG_SECRET, NTE_DATABASE_URL=engine.url.render_as_string(hide_password=False)
    )
    proc = subprocess.run(
        [sys.executable, "main.py", "scheduler"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 1
    refusal = [line for line in proc.stderr.splitlines() if "will not start" in line]
    assert len(refusal) == 1 and "NTE_BASE_URL is not set" in refusal[0], proc.stderr
