"""Two sign-ups with the same licence number at the same moment: one venue and one duplicate flag,
on both databases (real commits on the real engine, separate sessions; cleaned up after)."""

from __future__ import annotations

import uuid
from threading import Barrier, Thread

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from nte.auth.models import User
from nte.config import get_settings
from nte.db import utcnow
from nte.notifications.models import OutboxMessage
from nte.venues import service
from nte.venues.models import WARD_SUBJECT, Venue, VenueDuplicate
from nte.wards.models import WardAssignment
from tests.factories import venue_form


def test_concurrent_sign_ups_with_the_same_licence(engine):
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    licence = "RACE/" + uuid.uuid4().hex[:8].upper()
    forms = [
        venue_form(licence_number=licence, contact_email=f"race-{uuid.uuid4().hex[:8]}@example.org") for _ in range(2)
    ]
    barrier = Barrier(2)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def worker(form):
        try:
            barrier.wait(timeout=10)
            with factory.begin() as session:
                result = service.sign_charter(session, raw=form, settings=get_settings(), now=utcnow())
                outcomes.append("held" if result.held else "venue")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [Thread(target=worker, args=(f,)) for f in forms]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    key = service.licence_key(licence)
    try:
        assert not errors, errors
        assert sorted(outcomes) == ["held", "venue"]
        with factory() as session:
            venues = session.scalars(sa.select(Venue).where(Venue.licence_key == key)).all()
            assert len(venues) == 1
            flags = session.scalars(sa.select(VenueDuplicate).where(VenueDuplicate.venue_id == venues[0].id)).all()
            assert [f.reason for f in flags] == ["licence_number"]
    finally:
        emails = [f["contact_email"] for f in forms]
        with factory.begin() as session:
            ids = session.scalars(sa.select(Venue.id).where(Venue.licence_key == key)).all()
            session.execute(sa.delete(VenueDuplicate).where(VenueDuplicate.venue_id.in_(ids)))
            session.execute(sa.delete(Venue).where(Venue.id.in_(ids)))
            # The venue's wards too: SQLite gives a deleted venue's id to the next venue, whose own
            # ward rows would then collide with these.
            session.execute(
                sa.delete(WardAssignment).where(
                    WardAssignment.subject == WARD_SUBJECT, WardAssignment.subject_id.in_(ids)
                )
            )
            session.execute(sa.delete(OutboxMessage).where(OutboxMessage.to_address.in_(emails)))
            session.execute(sa.delete(User).where(User.email.in_(emails)))
