"""Builders for test data: ``make_user(db, role="officer")`` and friends. Domains add theirs."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from nte.auth import service as auth_service
from nte.auth.deps import SESSION_COOKIE
from nte.auth.models import User
from nte.config import get_settings
from nte.db import utcnow

PASSWORD = "correct horse battery staple"  # noqa: S105
_seq = itertools.count(1)


def make_user(db: Session, role: str = "officer", **overrides: Any) -> User:
    n = next(_seq)
    values: dict[str, Any] = {
        "email": f"{role}{n}@example.org",
        "display_name": f"Test {role} {n}",
        "role": role,
        "password": PASSWORD,
        "confirmed_at": utcnow(),
    }
    values.update(overrides)
    user = auth_service.create_user(db, **values)
    db.flush()
    return user


def bearer(db: Session, user: User) -> dict[str, str]:
    created = auth_service.create_api_token(db, user=user, name="test", now=utcnow())
    db.flush()
    return {"Authorization": f"Bearer {created.token}"}


def login(client: TestClient, db: Session, user: User) -> str:
    """Sign ``user`` in on ``client`` (cookie set); returns the session's CSRF token."""
    new = auth_service.start_session(db, user=user, now=utcnow(), settings=get_settings())
    db.flush()
    client.cookies.set(SESSION_COOKIE, new.token)
    return new.record.csrf_token
