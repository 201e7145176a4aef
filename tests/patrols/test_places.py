"""The place counter under any sequence of sign-up actions: random histories of booking, cancelling
(by the volunteer and by a coordinator), answering offers and offer expiry, on both databases.

After every step: ``shift.places_taken`` equals the sign-ups holding a place, capacity is never
exceeded, and before the start no place stays free while someone waits on the waitlist."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nte.db import utcnow
from nte.errors import NTEError
from nte.patrols import service as patrols
from nte.patrols.models import Shift, Signup
from tests.factories import make_patrol_area, make_shift, make_user, make_volunteer
from tests.patrols.conftest import counter_mismatches

PLACES = 3
PEOPLE = 6

volunteer = st.integers(0, PEOPLE - 1)
step = st.one_of(
    st.tuples(st.just("book"), volunteer, st.booleans()),
    st.tuples(st.just("cancel"), volunteer),
    st.tuples(st.just("remove"), volunteer),  # a coordinator takes them off
    st.tuples(st.just("answer"), volunteer, st.booleans()),
    st.tuples(st.just("expire"), volunteer),  # the offer-expiry job (the volunteer is not used)
    st.tuples(st.just("wait"), st.integers(1, 30)),  # hours pass
)


def test_place_counter_matches_the_rows_after_any_history(db):
    coordinator = make_user(db, role="coordinator")
    area = make_patrol_area(db)
    people = [make_volunteer(db) for _ in range(PEOPLE)]

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(history=st.lists(step, min_size=1, max_size=25))
    def run(history):
        example = db.begin_nested()  # each history starts from no sign-ups
        try:
            replay(history)
        finally:
            example.rollback()

    def replay(history):
        now = utcnow().replace(microsecond=0)
        shift = make_shift(db, area=area, start_at=now + timedelta(days=4), max_volunteers=PLACES)
        for kind, *args in history:
            if kind == "wait":
                now += timedelta(hours=args[0])
                continue
            who = people[args[0]]
            try:
                with db.begin_nested():
                    if kind == "book":
                        patrols.book_shift(db, volunteer=who, shift_id=shift.id, now=now, join_waitlist=args[1])
                    elif kind == "cancel":
                        patrols.cancel_signup(db, volunteer=who, shift_id=shift.id, now=now)
                    elif kind == "remove":
                        mine = patrols.repo.signup_for(db, shift.id, who.id)
                        patrols.coordinator_cancel_signup(
                            db, actor=coordinator, signup_id=mine.id if mine else 0, now=now
                        )
                    elif kind == "answer":
                        patrols.respond_to_offer(db, volunteer=who, shift_id=shift.id, accept=args[1], now=now)
                    else:
                        patrols.expire_offers(db, now=now)
            except NTEError:
                pass  # refused: the savepoint has undone anything it wrote
            db.expire_all()
            assert counter_mismatches(db) == []
            statuses = list(db.scalars(sa.select(Signup.status).where(Signup.shift_id == shift.id)))
            taken = sum(status in ("confirmed", "offered") for status in statuses)
            assert taken <= PLACES
            if now < db.get(Shift, shift.id).start_at:
                assert not (taken < PLACES and "waitlisted" in statuses), statuses

    run()
