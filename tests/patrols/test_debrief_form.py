"""The debrief form names every wrong box, links each from the error summary, keeps what was typed
and files nothing until all boxes are right; the boxes are a list of labelled inputs, not a table."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from nte.auth.models import User
from nte.db import utcnow
from nte.patrols import service as patrols
from nte.patrols.models import Debrief
from nte.patrols.pages.volunteer import debrief_counts
from tests.factories import login, make_patrol_area, make_shift, make_volunteer


def _team_lead_on_a_started_shift(db):
    area = make_patrol_area(db)
    volunteer = make_volunteer(db, team_lead=True)
    shift = make_shift(db, area=area, start_at=utcnow() + timedelta(days=20))
    patrols.book_shift(db, volunteer=volunteer, shift_id=shift.id, now=utcnow())
    shift.start_at, shift.end_at = utcnow() - timedelta(hours=5), utcnow() - timedelta(minutes=30)
    db.flush()
    return db.get(User, volunteer.user_id), shift


def test_every_wrong_box_is_named_linked_and_the_values_are_kept(client, db):
    user, shift = _team_lead_on_a_started_shift(db)
    csrf = login(client, db, user)
    form = client.get(f"/volunteer/shifts/{shift.id}/debrief")
    assert form.status_code == 200 and "<table" not in form.text.split("<main")[1]
    assert form.text.count('inputmode="numeric"') == 28
    r = client.post(
        f"/volunteer/shifts/{shift.id}/debrief",
        data={
            "csrf_token": csrf,
            "count.welfare.woman": "6",
            "count.escorted.woman": "two",
            "count.first_aid.man": "-1",
            "count.other.not_recorded": "5001",
            "summary": "Busy but calm",
        },
    )
    assert r.status_code == 422
    for fid, label in (
        ("count-escorted-woman", "Escorted to transport or a safe space, Women: enter a whole number from 0 to 5000."),
        ("count-first_aid-man", "First aid, Men: enter a whole number from 0 to 5000."),
        ("count-other-not_recorded", "Other support, Not recorded: enter a whole number from 0 to 5000."),
    ):
        assert f'href="#{fid}"' in r.text, fid  # the summary links to the box
        assert f'id="{fid}-error"' in r.text and label in r.text, fid
        assert f'aria-describedby="{fid}-error"' in r.text, fid
    assert 'id="count-welfare-woman-error"' not in r.text
    assert 'value="6"' in r.text and 'value="two"' in r.text and "Busy but calm" in r.text
    assert db.scalar(sa.select(sa.func.count()).select_from(Debrief).where(Debrief.shift_id == shift.id)) == 0

    fixed = client.post(
        f"/volunteer/shifts/{shift.id}/debrief",
        data={"csrf_token": csrf, "count.welfare.woman": "6", "count.escorted.woman": "2", "summary": "Busy but calm"},
        follow_redirects=False,
    )
    assert fixed.status_code == 303
    view = patrols.debrief_view(db, shift.id, restricted=False)
    assert view is not None and view.counts == {("welfare", "woman"): 6, ("escorted", "woman"): 2}


def test_the_box_reader_accepts_whole_numbers_only():
    counts, errors = debrief_counts({"count.welfare.man": " 12 ", "count.welfare.woman": "0"})
    assert counts == {("welfare", "man"): 12, ("welfare", "woman"): 0} and errors == {}
    for wrong in ("1.5", "1e3", "٣", "+3", "5001", "x"):
        counts, errors = debrief_counts({"count.welfare.man": wrong})
        assert list(errors) == ["count.welfare.man"], wrong
        assert errors["count.welfare.man"].startswith("Welfare / intoxication, Men:"), wrong
