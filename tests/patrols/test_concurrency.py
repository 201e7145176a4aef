"""Capacity is never exceeded when sign-ups race for the last place (real threads, separate sessions,
committed data on each database; cleaned up afterwards)."""

from __future__ import annotations

from threading import Barrier, Thread

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from nte.auth.models import User
from nte.db import utcnow
from nte.patrols import service as patrols
from nte.patrols.exceptions import SignupRefused
from nte.patrols.models import PatrolArea, Shift, Signup, Volunteer
from tests.factories import make_patrol_area, make_shift, make_volunteer

RACERS = 8


def test_parallel_signups_for_the_last_place_fill_it_exactly_once(engine):
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as s:
        last_user = s.scalar(sa.select(sa.func.max(User.id))) or 0
    with factory.begin() as s:
        area = make_patrol_area(s)
        shift = make_shift(s, area=area, max_volunteers=3)
        holders = [make_volunteer(s) for _ in range(2)]
        for v in holders:
            patrols.book_shift(s, volunteer=v, shift_id=shift.id, now=utcnow())
        racers = [make_volunteer(s) for _ in range(RACERS)]
        ids = dict(
            area=area.id,
            shift=shift.id,
            volunteers=[v.id for v in holders + racers],
            users=[v.user_id for v in holders + racers],
        )
    results: list[str] = []
    errors: list[BaseException] = []
    barrier = Barrier(RACERS)

    def worker(volunteer_id: int) -> None:
        try:
            barrier.wait()
            with factory.begin() as s:
                volunteer = s.get(Volunteer, volunteer_id)
                results.append(patrols.book_shift(s, volunteer=volunteer, shift_id=ids["shift"], now=utcnow()).status)
        except SignupRefused as exc:  # pragma: no cover - would be a bug
            results.append(exc.code)
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [Thread(target=worker, args=(v.id,)) for v in racers]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors, errors
        assert sorted(results) == ["confirmed"] + ["waitlisted"] * (RACERS - 1)
        with factory() as s:
            confirmed = s.scalar(
                sa.select(sa.func.count())
                .select_from(Signup)
                .where(Signup.shift_id == ids["shift"], Signup.status == "confirmed")
            )
            assert confirmed == 3
    finally:
        with factory.begin() as s:
            s.execute(sa.delete(Shift).where(Shift.id == ids["shift"]))
            s.execute(sa.delete(Volunteer).where(Volunteer.id.in_(ids["volunteers"])))
            s.execute(sa.delete(PatrolArea).where(PatrolArea.id == ids["area"]))
            s.execute(sa.delete(User).where(User.id > last_user))  # volunteers and the coordinators who vetted them
