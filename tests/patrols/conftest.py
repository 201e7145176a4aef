"""Every patrol test ends by checking the place counter against the rows it summarises."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from nte.patrols.models import Shift, Signup
from nte.patrols.repository import TAKEN


def counter_mismatches(session: Session) -> list[tuple[int, int, int]]:
    """(shift id, places_taken, sign-ups holding a place) wherever the two disagree."""
    held = (
        sa.select(sa.func.count())
        .select_from(Signup)
        .where(Signup.shift_id == Shift.id, Signup.status.in_(TAKEN))
        .scalar_subquery()
    )
    rows = session.execute(sa.select(Shift.id, Shift.places_taken, held).where(Shift.places_taken != held))
    return [tuple(row) for row in rows]


@pytest.fixture()
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """The shared ``db`` fixture, plus the invariant ``shift.places_taken == count(confirmed, offered)``
    over everything the test wrote (through the service, the API or the pages)."""
    session = session_factory()
    try:
        yield session
        if session.is_active:
            session.expire_all()
            assert counter_mismatches(session) == [], "shift.places_taken out of step with the sign-ups"
    finally:
        session.close()
