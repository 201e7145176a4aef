"""What patrol mails say about when: the words follow the night in London time ("tonight at 22:00",
"tomorrow at 22:00", "on Friday 3 December at 22:00"), a night runs until 06:00 (a 01:00 start is
that night's), and every time named is London time and says so. Checked at the T-24 h and T-2 h
reminders across the 2027 clock changes (28 March: GMT -> BST; 31 October: BST -> GMT)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from nte.notifications.models import OutboxMessage
from nte.patrols import jobs
from nte.patrols import service as patrols
from tests.factories import make_shift, make_user, make_volunteer


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def reminder(db, *, start: datetime, now: datetime, hours: float = 6) -> OutboxMessage:
    """The one reminder a confirmed volunteer gets when the reminder job runs at ``now``."""
    shift = make_shift(db, start_at=start, hours=hours)
    signup = patrols.book_shift(db, volunteer=make_volunteer(db), shift_id=shift.id, now=start - timedelta(days=3))
    assert jobs.shift_reminders(db, now=now) >= 1
    messages = list(
        db.scalars(sa.select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"patrol:reminder:%:{signup.id}:%")))
    )
    assert len(messages) == 1, [m.dedupe_key for m in messages]
    return messages[0]


# (shift start, when the job runs, the words, the full London date in the body)
CASES = [
    # A same-day shift: the job runs at 10:00 for a 22:00 start (booked that morning) -> "tonight".
    pytest.param(
        utc(2027, 3, 27, 22),
        utc(2027, 3, 27, 10),
        "tonight at 22:00",
        "Saturday 27 March 2027, 22:00",
        id="same-day-gmt",
    ),
    # The night of the spring change (22:00 GMT on Saturday 27 March) at T-24 h and T-2 h.
    pytest.param(
        utc(2027, 3, 27, 22),
        utc(2027, 3, 26, 22, 30),
        "tomorrow at 22:00",
        "Saturday 27 March 2027, 22:00",
        id="spring-24h",
    ),
    pytest.param(
        utc(2027, 3, 27, 22),
        utc(2027, 3, 27, 20, 10),
        "tonight at 22:00",
        "Saturday 27 March 2027, 22:00",
        id="spring-2h",
    ),
    # The day after the change: 22:00 BST is 21:00 UTC; at 00:30 GMT it is still Saturday night.
    pytest.param(
        utc(2027, 3, 28, 21),
        utc(2027, 3, 28, 0, 30),
        "tomorrow at 22:00",
        "Sunday 28 March 2027, 22:00",
        id="spring-after",
    ),
    # A 03:00 BST start just after the clock went forward, reminded at 00:30 GMT: that night.
    pytest.param(
        utc(2027, 3, 28, 2),
        utc(2027, 3, 28, 0, 30),
        "tonight at 03:00",
        "Sunday 28 March 2027, 03:00",
        id="spring-small-hours",
    ),
    # The night of the autumn change: 22:00 BST on Saturday 30 October is 21:00 UTC.
    pytest.param(
        utc(2027, 10, 30, 21),
        utc(2027, 10, 29, 21, 30),
        "tomorrow at 22:00",
        "Saturday 30 October 2027, 22:00",
        id="autumn-24h",
    ),
    pytest.param(
        utc(2027, 10, 30, 21),
        utc(2027, 10, 30, 19, 15),
        "tonight at 22:00",
        "Saturday 30 October 2027, 22:00",
        id="autumn-2h",
    ),
    # 01:00 BST on Sunday 31 October (00:00 UTC): at 23:00 and at 00:30 on that night it is "tonight".
    pytest.param(
        utc(2027, 10, 31, 0),
        utc(2027, 10, 30, 22),
        "tonight at 01:00",
        "Sunday 31 October 2027, 01:00",
        id="autumn-2h-before-midnight",
    ),
    pytest.param(
        utc(2027, 10, 30, 23, 30),
        utc(2027, 10, 30, 23, 0),
        "tonight at 00:30",
        "Sunday 31 October 2027, 00:30",
        id="autumn-0030-start",
    ),
    # The T-24 h reminder at 01:00 on Saturday for 01:00 on Sunday: the next night.
    pytest.param(
        utc(2027, 10, 31, 0),
        utc(2027, 10, 30, 0, 5),
        "tomorrow at 01:00",
        "Sunday 31 October 2027, 01:00",
        id="autumn-24h-small-hours",
    ),
    # After the change: 22:00 GMT on Sunday 31 October is 22:00 UTC.
    pytest.param(
        utc(2027, 10, 31, 22),
        utc(2027, 10, 31, 20),
        "tonight at 22:00",
        "Sunday 31 October 2027, 22:00",
        id="autumn-after",
    ),
]


@pytest.mark.parametrize(("start", "now", "words", "full_date"), CASES)
def test_reminder_words_follow_the_night_in_london_time(db, start, now, words, full_date):
    message = reminder(db, start=start, now=now)
    assert message.subject.startswith(f"Patrol {words} (London time): ")
    assert f"starts {words} London time ({full_date})" in message.body
    assert "tomorrow" not in message.body.replace(words, "") and "today" not in message.subject


def test_the_end_is_named_in_london_time_across_the_autumn_change(db):
    # 22:00 BST on 30 October to 04:00 GMT on 31 October: 7 hours.
    message = reminder(db, start=utc(2027, 10, 30, 21), now=utc(2027, 10, 30, 19), hours=7)
    assert "ends at 04:00 on Sunday 31 October (London time)" in message.body


def test_a_reminder_is_sent_once_per_kind_with_the_right_words(db):
    start = utc(2027, 3, 27, 22)
    shift = make_shift(db, start_at=start)
    signup = patrols.book_shift(db, volunteer=make_volunteer(db), shift_id=shift.id, now=start - timedelta(days=3))
    for now in (start - timedelta(hours=23), start - timedelta(hours=22), start - timedelta(hours=1, minutes=50)):
        jobs.shift_reminders(db, now=now)
    subjects = {
        m.dedupe_key.split(":")[2]: m.subject
        for m in db.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"patrol:reminder:%:{signup.id}:%"))
        )
    }
    assert set(subjects) == {"24h", "2h"}
    assert subjects["24h"].startswith("Patrol tomorrow at 22:00 (London time)")
    assert subjects["2h"].startswith("Patrol tonight at 22:00 (London time)")


def test_staffing_invites_name_a_later_night_by_its_date_in_london_time(db):
    start = utc(2027, 12, 3, 22)  # Friday 3 December 2027, 22:00 GMT
    shift = make_shift(db, start_at=start, min_volunteers=3)
    patrols.book_shift(db, volunteer=make_volunteer(db), shift_id=shift.id, now=start - timedelta(days=5))
    free = make_volunteer(db)
    coordinator = make_user(db, role="coordinator")
    assert jobs.staffing_alerts(db, now=utc(2027, 12, 1, 22, 30)) >= 2
    [invite] = db.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.dedupe_key == f"patrol:invite:{shift.id}:{free.id}")
    )
    assert invite.subject.endswith("on Friday 3 December at 22:00 (London time)?")
    assert "on Friday 3 December at 22:00 London time (Friday 3 December 2027, 22:00)" in invite.body
    [alert] = db.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.dedupe_key == f"patrol:staffing:{shift.id}:{coordinator.id}")
    )
    assert "(London time)" in alert.subject and "London time" in alert.body


def test_lone_worker_alert_names_london_times_and_says_so(db):
    start = utc(2027, 10, 30, 21)  # 22:00 BST
    shift = make_shift(db, start_at=start, hours=7)  # ends 04:00 GMT
    volunteer, teammate = make_volunteer(db), make_volunteer(db)  # nobody patrols alone: a team of two
    for person in (volunteer, teammate):
        patrols.book_shift(db, volunteer=person, shift_id=shift.id, now=start - timedelta(days=3))
    patrols.check_in(db, volunteer=volunteer, shift_id=shift.id, now=start + timedelta(minutes=5))
    patrols.check_in(db, volunteer=teammate, shift_id=shift.id, now=start + timedelta(minutes=5))
    patrols.home_safe(db, volunteer=teammate, shift_id=shift.id, now=shift.end_at)
    coordinator = make_user(db, role="coordinator")
    assert jobs.lone_worker_alerts(db, now=shift.end_at + timedelta(minutes=45)) >= 1
    [alert] = db.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"patrol:lone-worker:%:{coordinator.id}"))
    )
    assert "that ended Sunday 31 October 2027, 04:00 London time" in alert.body
    assert "They checked in at Saturday 30 October 2027, 22:05 London time." in alert.body
