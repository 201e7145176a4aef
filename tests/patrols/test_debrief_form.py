"""The debrief form records each person supported once, one row per person, without JavaScript: every
wrong row is named next to the row and linked from the error summary, what was typed is kept, "Add
another person" gives one more row and files nothing, and nothing is filed until every row is right.
The rows are labelled form fields, not a table."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from nte.auth.models import User
from nte.db import utcnow
from nte.patrols import service as patrols
from nte.patrols.models import Debrief
from nte.patrols.pages.volunteer import FIRST_ROWS, debrief_people
from nte.patrols.vocabulary import MAX_PEOPLE_PER_DEBRIEF
from tests.factories import login, make_patrol_area, make_shift, make_volunteer


def _team_lead_on_a_started_shift(db):
    area = make_patrol_area(db)
    volunteer = make_volunteer(db, team_lead=True)
    shift = make_shift(db, area=area, start_at=utcnow() + timedelta(days=20))
    patrols.book_shift(db, volunteer=volunteer, shift_id=shift.id, now=utcnow())
    shift.start_at, shift.end_at = utcnow() - timedelta(hours=5), utcnow() - timedelta(minutes=30)
    db.flush()
    return db.get(User, volunteer.user_id), shift


def _filed(db, shift) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(Debrief).where(Debrief.shift_id == shift.id))


def test_every_wrong_row_is_named_next_to_it_linked_and_the_values_are_kept(client, db):
    user, shift = _team_lead_on_a_started_shift(db)
    csrf = login(client, db, user)
    form = client.get(f"/volunteer/shifts/{shift.id}/debrief")
    assert form.status_code == 200 and "<table" not in form.text.split("<main")[1]
    assert form.text.count('class="debrief-person"') == FIRST_ROWS
    assert form.text.count('type="checkbox"') == FIRST_ROWS * len(patrols.SUPPORT_KINDS)
    r = client.post(
        f"/volunteer/shifts/{shift.id}/debrief",
        data={
            "csrf_token": csrf,
            "rows": "3",
            "people.0.gender": "woman",
            "people.0.kinds": ["water_flipflops", "phone_charged"],
            "people.1.gender": "man",  # no kind of help
            "people.1.age_band": "25_34",
            "people.2.kinds": "welfare",  # no gender
            "summary": "Busy but calm",
        },
    )
    assert r.status_code == 422
    for fid, message in (
        ("people-1-kinds", "Person 2: choose at least one kind of help given."),
        ("people-2-gender", "Person 3: choose their gender as observed (or Not recorded)."),
    ):
        assert f'href="#{fid}"' in r.text, fid  # the summary links to the field
        assert f'id="{fid}-error"' in r.text and message in r.text, fid
        assert f'aria-describedby="{fid}-error"' in r.text, fid
        row = r.text.split(f'id="person-{fid.split("-")[1]}"')[1].split("</fieldset>\n  <fieldset")[0]
        assert message in row, f"the error is not next to its row: {fid}"
    assert 'id="people-0-kinds-error"' not in r.text
    # What was typed is kept, row by row.
    assert 'value="water_flipflops" checked' in r.text.split('id="person-1"')[0]
    assert 'value="phone_charged" checked' in r.text.split('id="person-1"')[0]
    assert 'value="25_34" selected' in r.text.split('id="person-2"')[0].split('id="person-1"')[1]
    assert 'value="welfare" checked' in r.text.split('id="person-2"')[1]
    assert "Busy but calm" in r.text
    assert _filed(db, shift) == 0

    fixed = client.post(
        f"/volunteer/shifts/{shift.id}/debrief",
        data={
            "csrf_token": csrf,
            "rows": "3",
            "people.0.gender": "woman",
            "people.0.kinds": ["water_flipflops", "phone_charged"],
            "people.1.gender": "man",
            "people.1.age_band": "25_34",
            "people.1.kinds": "escorted",
            "people.1.handover": "taxi_home",
            "summary": "Busy but calm",
        },
        follow_redirects=False,
    )
    assert fixed.status_code == 303
    view = patrols.debrief_view(db, shift.id, restricted=False)
    assert view is not None and view.total == 2 and view.actions == 3 and not view.estimated
    assert [(p.gender, p.kinds, p.age_band, p.handover) for p in view.people] == [
        ("woman", ("phone_charged", "water_flipflops"), None, None),
        ("man", ("escorted",), "25_34", "taxi_home"),
    ]


def test_add_another_person_keeps_what_was_typed_and_files_nothing(client, db):
    user, shift = _team_lead_on_a_started_shift(db)
    csrf = login(client, db, user)
    r = client.post(
        f"/volunteer/shifts/{shift.id}/debrief",
        data={
            "csrf_token": csrf,
            "rows": "3",
            "action": "add_person",
            "people.2.gender": "other",
            "people.2.kinds": "first_aid",
            "summary": "Still going",
        },
    )
    assert r.status_code == 200 and _filed(db, shift) == 0
    assert r.text.count('class="debrief-person"') == 4 and 'id="person-3"' in r.text
    assert 'name="rows" value="4"' in r.text
    assert 'value="other" selected' in r.text.split('id="person-2"')[1].split('id="person-3"')[0]
    assert "Still going" in r.text and "There is a problem" not in r.text
    assert f'formaction="/volunteer/shifts/{shift.id}/debrief#person-4"' in r.text

    at_limit = client.post(
        f"/volunteer/shifts/{shift.id}/debrief",
        data={"csrf_token": csrf, "rows": str(MAX_PEOPLE_PER_DEBRIEF), "action": "add_person"},
    )
    assert at_limit.status_code == 422 and f"at most {MAX_PEOPLE_PER_DEBRIEF} people" in at_limit.text
    assert at_limit.text.count('class="debrief-person"') == MAX_PEOPLE_PER_DEBRIEF
    assert "Add another person" not in at_limit.text


def test_a_quiet_night_with_no_one_supported_files_with_empty_rows(client, db):
    user, shift = _team_lead_on_a_started_shift(db)
    csrf = login(client, db, user)
    r = client.post(
        f"/volunteer/shifts/{shift.id}/debrief",
        data={"csrf_token": csrf, "rows": "3", "action": "file", "summary": "Quiet"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    view = patrols.debrief_view(db, shift.id, restricted=False)
    assert view is not None and view.total == 0 and view.people == []
    again = client.get(f"/volunteer/shifts/{shift.id}/debrief")
    assert "has been filed" in again.text and "0 people supported" in again.text


def test_the_row_reader_names_each_wrong_row():
    values = {
        "rows": "4",
        "people.0.gender": "woman",
        "people.1.gender": "martian",
        "people.2.gender": "man",
        "people.2.age_band": "100_plus",
        "people.3.gender": "woman",
        "people.3.handover": "ambulance",  # a hand-over to ambulance is help given: no kind needed
    }
    kinds = {0: ["welfare"], 1: ["welfare"], 2: ["welfare"], 3: []}
    read = debrief_people(values, lambda i: kinds.get(i, []))
    assert list(read.errors) == ["people.1.gender", "people.2.age_band"]
    assert read.errors["people.1.gender"].startswith("Person 2: Unknown gender")
    assert read.errors["people.2.age_band"].startswith("Person 3: Unknown age band")
    assert [p["gender"] for p in read.people] == ["woman", "woman"] and len(read.rows) == 4
    for wrong in ("-1", "x", "٣", "1e3"):
        assert len(debrief_people({"rows": wrong}, lambda i: []).rows) == FIRST_ROWS, wrong
    assert len(debrief_people({"rows": "100000"}, lambda i: []).rows) == MAX_PEOPLE_PER_DEBRIEF
