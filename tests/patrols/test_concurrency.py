"""Capacity is never exceeded when sign-ups race (real threads, separate sessions, committed data on
each database; cleaned up afterwards). After every race the shift's place counter must equal the
sign-ups that hold a place."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from threading import Barrier, Thread

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from nte.auth.models import User
from nte.db import utcnow
from nte.patrols import service as patrols
from nte.patrols.exceptions import SignupRefused
from nte.patrols.models import PatrolArea, Shift, Signup, Volunteer
from tests.factories import make_patrol_area, make_shift, make_volunteer
from tests.patrols.conftest import counter_mismatches

RACERS = 8


@pytest.fixture()
def committed(engine) -> Iterator[tuple[sessionmaker[Session], dict]]:
    """A committed area, a 3-place shift and volunteers, deleted again after the test."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as s:
        last_user = s.scalar(sa.select(sa.func.max(User.id))) or 0
    with factory.begin() as s:
        area = make_patrol_area(s)
        shift = make_shift(s, area=area, max_volunteers=3)
        people = [make_volunteer(s) for _ in range(RACERS + 3)]
        ids = {"area": area.id, "shift": shift.id, "volunteers": [v.id for v in people]}
    try:
        yield factory, ids
        with factory() as s:
            assert counter_mismatches(s) == []
    finally:
        with factory.begin() as s:
            s.execute(sa.delete(Shift).where(Shift.area_id == ids["area"]))
            s.execute(sa.delete(Volunteer).where(Volunteer.id.in_(ids["volunteers"])))
            s.execute(sa.delete(PatrolArea).where(PatrolArea.id == ids["area"]))
            s.execute(sa.delete(User).where(User.id > last_user))  # volunteers and the coordinators who vetted them


def race(factory: sessionmaker[Session], actions: list[Callable[[Session], str]]) -> list[str]:
    """Run each action in its own thread and transaction, all released at once; their results
    (or the refusal codes)."""
    results: list[str] = []
    errors: list[BaseException] = []
    barrier = Barrier(len(actions))

    def worker(action: Callable[[Session], str]) -> None:
        try:
            barrier.wait()
            with factory.begin() as s:
                results.append(action(s))
        except SignupRefused as exc:
            results.append(exc.code)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [Thread(target=worker, args=(a,)) for a in actions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return sorted(results)


def book(volunteer_id: int, shift_id: int) -> Callable[[Session], str]:
    def action(s: Session) -> str:
        return patrols.book_shift(s, volunteer=s.get(Volunteer, volunteer_id), shift_id=shift_id, now=utcnow()).status

    return action


def statuses(factory: sessionmaker[Session], shift_id: int) -> list[str]:
    with factory() as s:
        return sorted(s.scalars(sa.select(Signup.status).where(Signup.shift_id == shift_id)))


def test_parallel_signups_for_the_last_place_fill_it_exactly_once(committed):
    factory, ids = committed
    holders, racers = ids["volunteers"][:2], ids["volunteers"][3 : 3 + RACERS]
    with factory.begin() as s:
        for v in holders:
            patrols.book_shift(s, volunteer=s.get(Volunteer, v), shift_id=ids["shift"], now=utcnow())
    results = race(factory, [book(v, ids["shift"]) for v in racers])
    assert results == ["confirmed"] + ["waitlisted"] * (RACERS - 1)
    assert statuses(factory, ids["shift"]).count("confirmed") == 3


def test_a_double_click_books_one_place(committed):
    factory, ids = committed
    me = ids["volunteers"][0]
    results = race(factory, [book(me, ids["shift"]) for _ in range(6)])
    assert results == ["already_signed_up"] * 5 + ["confirmed"]
    assert statuses(factory, ids["shift"]) == ["confirmed"]


def test_a_double_click_after_cancelling_books_one_place_again(committed):
    factory, ids = committed
    me = ids["volunteers"][0]
    with factory.begin() as s:
        patrols.book_shift(s, volunteer=s.get(Volunteer, me), shift_id=ids["shift"], now=utcnow())
    with factory.begin() as s:
        patrols.cancel_signup(s, volunteer=s.get(Volunteer, me), shift_id=ids["shift"], now=utcnow())
    results = race(factory, [book(me, ids["shift"]) for _ in range(6)])
    assert results == ["already_signed_up"] * 5 + ["confirmed"]
    assert statuses(factory, ids["shift"]) == ["confirmed"]


def test_a_cancellation_racing_new_sign_ups_offers_the_place_to_the_waitlist(committed):
    """The shift is full with one person waiting. One holder leaves while newcomers sign up: the
    freed place goes to the person who was waiting (offered), never to a newcomer or to two people."""
    factory, ids = committed
    holders, waiting = ids["volunteers"][:3], ids["volunteers"][3]
    newcomers = ids["volunteers"][4 : 4 + RACERS - 1]
    with factory.begin() as s:
        for v in [*holders, waiting]:
            patrols.book_shift(s, volunteer=s.get(Volunteer, v), shift_id=ids["shift"], now=utcnow())

    def leave(s: Session) -> str:
        return patrols.cancel_signup(
            s, volunteer=s.get(Volunteer, holders[0]), shift_id=ids["shift"], now=utcnow()
        ).status

    results = race(factory, [leave] + [book(v, ids["shift"]) for v in newcomers])
    assert results == ["cancelled"] + ["waitlisted"] * len(newcomers)
    with factory() as s:
        offered = s.scalar(sa.select(Signup).where(Signup.shift_id == ids["shift"], Signup.status == "offered"))
        assert offered is not None and offered.volunteer_id == waiting
    assert statuses(factory, ids["shift"]).count("confirmed") == 2
