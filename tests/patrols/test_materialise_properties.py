"""A property of the whole series lifecycle, on both databases: over random histories of
materialisations with any window (1 to 60 weeks) at a clock moving forward, rule edits from a date,
series ends, pauses, night cancellations and restorations and sign-ups, in any order,

1. no night the series still generates is ever cancelled (and it has the rule's times);
2. every stored future night the series no longer generates is cancelled (kept, not deleted);
3. every "Patrol cancelled"/"Patrol changed" mail is about a real change of that night in that step,
   to a volunteer signed up to it (read from the outbox table);
4. nights under way or past never change.

The oracle is this file's own model of the series (its rules by date, end, exceptions, pause),
expanded with ``recurrence.materialise`` over a long horizon: not the service's per-night lookup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nte.db import utcnow
from nte.errors import NTEError
from nte.notifications.models import OutboxMessage
from nte.patrols import service as patrols
from nte.patrols.config import PatrolSettings
from nte.patrols.models import SeriesNight, SeriesRule, Shift, ShiftSeries, Signup
from nte.patrols.recurrence import InvalidSeries, ShiftSeriesSpec, materialise, weekly_rule
from tests.factories import make_patrol_area, make_user, make_volunteer

PEOPLE = 3
HORIZON = timedelta(weeks=200)
DAYS = st.lists(st.sampled_from(["MO", "TH", "FR", "SA"]), min_size=1, max_size=3, unique=True)
HOURS = st.sampled_from([20, 21, 22])

step = st.one_of(
    st.tuples(st.just("materialise"), st.integers(1, 60), st.integers(0, 30)),  # weeks, days the clock moves
    st.tuples(st.just("edit"), st.integers(0, 120), DAYS, st.sampled_from([1, 2]), HOURS),
    st.tuples(st.just("end"), st.integers(0, 300)),
    st.tuples(st.just("cancel_night"), st.integers(0, 200)),
    st.tuples(st.just("restore_night"), st.integers(0, 20)),
    st.tuples(st.just("book"), st.integers(0, 200), st.integers(0, PEOPLE - 1)),
    st.tuples(st.just("pause"), st.booleans()),
)


@dataclass
class Segment:
    """The model's rule from ``start`` (anchored there) up to ``until`` (inclusive, or open)."""

    start: date
    days: list[str]
    interval: int
    hour: int
    until: date | None = None


class Model:
    def __init__(self, first: Segment) -> None:
        self.segments = [first]
        self.exceptions: set[date] = set()
        self.paused = False

    def nights(self) -> dict[date, tuple[datetime, datetime]]:
        """Every night the series generates, expanded over a long horizon: date -> (start, end)."""
        out: dict[date, tuple[datetime, datetime]] = {}
        for index, seg in enumerate(self.segments):
            try:
                spec = ShiftSeriesSpec(
                    rrule=weekly_rule(seg.days, interval=seg.interval, until=seg.until),
                    start_date=seg.start,
                    start_time=time(seg.hour),
                    end_time=time(3),
                )
            except InvalidSeries:
                continue  # cut before its first night: it makes none
            last = self.segments[index + 1].start if index + 1 < len(self.segments) else None
            begin = datetime.combine(seg.start, time(0), UTC) - timedelta(days=1)
            for occ in materialise(spec, window_start=begin, window_end=begin + HORIZON):
                if occ.occurrence_date >= seg.start and (last is None or occ.occurrence_date < last):
                    out[occ.occurrence_date] = (occ.start_at, occ.end_at)
        return out

    def edit(self, seg: Segment) -> None:
        kept = [s for s in self.segments if s.start < seg.start]
        for s in kept:
            cap = seg.start - timedelta(days=1)
            s.until = cap if s.until is None else min(s.until, cap)
        self.segments = [*kept, seg]
        generated = self.nights()
        self.exceptions = {d for d in self.exceptions if d < seg.start or d in generated}

    def end(self, last: date) -> None:
        self.segments = [s for s in self.segments if s.start <= last]
        tail = self.segments[-1]
        tail.until = last if tail.until is None else min(tail.until, last)


def _state(shift: Shift) -> tuple:
    return (shift.status, shift.start_at, shift.end_at, shift.meeting_point, shift.area_id, shift.sequence)


def test_materialising_in_any_order_with_any_window_cancels_exactly_the_nights_the_series_dropped(db):
    coordinator = make_user(db, role="coordinator")
    area = make_patrol_area(db)
    people = [make_volunteer(db) for _ in range(PEOPLE)]
    emails = {p.id: patrols.volunteer_user(db, p).email for p in people}
    walked = {"nights": 0, "cancelled": 0, "mails": 0}

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @given(first=st.tuples(DAYS, st.sampled_from([1, 2]), HOURS), history=st.lists(step, min_size=1, max_size=10))
    def run(first, history):
        example = db.begin_nested()  # each history starts from no series
        try:
            replay(first, history)
        finally:
            example.rollback()
            # SQLite hands the rolled-back ids out again: forget the rows the example made.
            for obj in list(db.identity_map.values()):
                if isinstance(obj, (Shift, ShiftSeries, SeriesNight, SeriesRule, Signup, OutboxMessage)):
                    db.expunge(obj)

    def replay(first, history):
        now = utcnow().replace(microsecond=0)
        today = patrols.local(now).date()
        days, interval, hour = first
        series = patrols.create_series(
            db,
            actor=coordinator,
            area_id=area.id,
            name="Property nights",
            rrule=weekly_rule(days, interval=interval),
            start_date=today,
            start_time=time(hour),
            end_time=time(3),
            min_volunteers=2,
            max_volunteers=6,
            min_team_leads=0,
            now=now,
        )
        model = Model(Segment(today, days, interval, hour))
        made = patrols.repo.shifts_of_series(db, series.id)
        for who, shift in zip(people, made[1::4], strict=False):  # sign-ups to be told about changes
            patrols.book_shift(db, volunteer=who, shift_id=shift.id, now=now)
        history_rows: dict[int, tuple] = {}  # shifts under way or over: their state, forever
        seen_mails = set(db.scalars(sa.select(OutboxMessage.id)))
        for kind, *args in history:
            shifts = patrols.repo.shifts_of_series(db, series.id)
            before = {s.id: _state(s) for s in shifts}
            future = [s for s in shifts if s.start_at > now]
            window: tuple[datetime, datetime] | None = None
            if kind == "materialise":
                now += timedelta(days=args[1])
                today = patrols.local(now).date()
            for s in shifts:
                if s.start_at <= now:
                    history_rows.setdefault(s.id, _state(s))
            try:
                with db.begin_nested():
                    if kind == "materialise":
                        weeks = args[0]
                        patrols.materialise_series(
                            db, series, now=now, settings=PatrolSettings(materialise_weeks=weeks)
                        )
                        window = (now, now + timedelta(weeks=weeks))
                    elif kind == "edit":
                        offset, new_days, new_interval, new_hour = args
                        start = today + timedelta(days=offset)
                        patrols.change_series_from(
                            db,
                            actor=coordinator,
                            series_id=series.id,
                            from_date=start,
                            rrule=weekly_rule(new_days, interval=new_interval),
                            start_time=time(new_hour),
                            end_time=time(3),
                            min_volunteers=2,
                            max_volunteers=6,
                            min_team_leads=0,
                            meeting_point=None,
                            now=now,
                        )
                        model.edit(Segment(start, new_days, new_interval, new_hour))
                    elif kind == "end":
                        last = today + timedelta(days=args[0])
                        patrols.end_series(db, actor=coordinator, series_id=series.id, last_date=last, now=now)
                        model.end(last)
                    elif kind == "cancel_night" and future:
                        target = future[args[0] % len(future)]
                        patrols.change_night(
                            db,
                            actor=coordinator,
                            series_id=series.id,
                            occurrence_date=target.occurrence_date,
                            cancelled=True,
                            now=now,
                        )
                        model.exceptions.add(target.occurrence_date)
                    elif kind == "restore_night" and model.exceptions:
                        day = sorted(model.exceptions)[args[0] % len(model.exceptions)]
                        patrols.change_night(db, actor=coordinator, series_id=series.id, occurrence_date=day, now=now)
                        model.exceptions.discard(day)
                    elif kind == "book" and future:
                        target = future[args[0] % len(future)]
                        patrols.book_shift(db, volunteer=people[args[1]], shift_id=target.id, now=now)
                    elif kind == "pause" and args[0] == model.paused:  # pause a running one, resume a paused one
                        patrols.set_series_active(
                            db, actor=coordinator, series_id=series.id, active=model.paused, now=now
                        )
                        model.paused = not model.paused
            except NTEError:
                pass  # refused (a 4xx): the savepoint undid it and the model is unchanged
            db.expire_all()
            check(series.id, model, now=now, before=before, history_rows=history_rows, seen=seen_mails, window=window)

    def check(series_id, model, *, now, before, history_rows, seen, window):
        shifts = patrols.repo.shifts_of_series(db, series_id)
        assert set(before) <= {s.id for s in shifts}, "a stored night was deleted"
        generated = {} if model.paused else model.nights()
        for shift in shifts:
            if shift.id in history_rows:  # (4) under way or over: never changed
                assert _state(shift) == history_rows[shift.id], f"night {shift.occurrence_date} under way changed"
                continue
            if shift.start_at <= now:
                continue  # made already under way by this step: its state is history from now on
            walked["nights"] += 1
            night = generated.get(shift.occurrence_date)
            if night is not None and shift.occurrence_date not in model.exceptions:
                # (1) still generated: scheduled, at the rule's times
                assert shift.status == "scheduled", f"{shift.occurrence_date} is generated but cancelled"
                assert (shift.start_at, shift.end_at) == night
            else:
                # (2) no longer generated (or excepted, or paused): cancelled, kept
                assert shift.status == "cancelled", f"{shift.occurrence_date} is not generated but scheduled"
                walked["cancelled"] += 1
        if window is not None and not model.paused:  # the window's nights exist
            stored = {s.occurrence_date for s in shifts}
            for day, (start_at, _end) in generated.items():
                if now < start_at < window[1] - timedelta(days=1):
                    assert day in stored, f"{day} is in the window but was not made"
        # (3) every change mail: a real change of that night in this step, to someone signed up to it
        by_id = {s.id: s for s in shifts}
        fresh = list(db.scalars(sa.select(OutboxMessage).where(OutboxMessage.id.not_in(seen))))
        for mail in fresh:
            seen.add(mail.id)
            if not (mail.dedupe_key or "").startswith("patrol:shift-change:"):
                continue
            walked["mails"] += 1
            shift_id, _sequence, volunteer_id = (int(part) for part in mail.dedupe_key.split(":")[2:])
            shift = by_id[shift_id]
            old, new = before.get(shift_id), _state(shift)
            assert old is not None and old != new, f"mail about {shift.occurrence_date} that did not change"
            signed = {
                v.id for s, v, _u in patrols.repo.signups_for_shift(db, shift_id) if s.status in patrols.repo.ACTIVE
            }
            assert volunteer_id in signed and mail.to_address == emails[volunteer_id]
            if mail.subject.startswith("Patrol cancelled"):
                assert (old[0], new[0]) == ("scheduled", "cancelled")
            else:
                assert mail.subject.startswith("Patrol changed") and new[0] == "scheduled"
                assert old[0] == "cancelled" or old[1:4] != new[1:4]

    run()
    # Not vacuous: the histories walked future nights, cancelled ones and change mails.
    assert walked["nights"] > 0 and walked["cancelled"] > 0 and walked["mails"] > 0, walked
