"""A debrief counts people, each once, and actions (kinds of help given) apart: one person given water
and a phone charge is one person and two actions, "% women" is women among people (not among actions),
hand-overs are counted by kind, and the limits are 422s naming the field (``people.3.kinds``). Through
the JSON API, the monthly report (object, JSON, CSV, page) and the coordinator's shift page."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from nte.patrols import service as patrols
from nte.patrols.vocabulary import MAX_PEOPLE_PER_DEBRIEF
from tests.factories import bearer, login, make_patrol_area, make_shift, make_user

#: A Friday night in March 2019, long past: the month holds only this test's shifts.
NIGHT = datetime(2019, 3, 8, 22, tzinfo=UTC)
MONTH = date(2019, 3, 1)


def _api_debrief(client, db, body: dict, *, name: str):
    coordinator = make_user(db, role="coordinator")
    area = make_patrol_area(db, name=name)
    shift = make_shift(db, area=area, start_at=NIGHT)
    r = client.post(f"/api/patrols/shifts/{shift.id}/debrief", json=body, headers=bearer(db, coordinator))
    return r, shift, area, coordinator


def _csv(report) -> dict[tuple[str, str], str]:
    return {(row[1], row[2]): row[3] for row in csv.reader(io.StringIO(patrols.monthly_csv(report)))}


def test_one_person_given_water_and_a_phone_charge_is_one_person_and_two_actions(client, db):
    body = {"people": [{"gender": "woman", "age_band": "18_24", "kinds": ["water_flipflops", "phone_charged"]}]}
    r, shift, area, coordinator = _api_debrief(client, db, body, name="One person area")
    assert r.status_code == 201, r.text
    filed = r.json()
    assert filed["total"] == 1 and filed["actions"] == 2 and filed["people_estimated"] is False
    assert filed["people"] == [
        {"gender": "woman", "age_band": "18_24", "kinds": ["phone_charged", "water_flipflops"], "handover": None}
    ]
    assert sorted((c["kind"], c["people"]) for c in filed["counts"]) == [("phone_charged", 1), ("water_flipflops", 1)]

    report = patrols.monthly_report(db, month=MONTH, now=datetime(2019, 4, 1, tzinfo=UTC))
    mine = next(a for a in report.areas if a.name == area.name)
    assert (mine.people, mine.women, mine.people_estimated) == (1, 1, 0)
    assert report.people == 1 and report.actions == 2 and report.people_estimated == 0
    assert report.by_kind["water_flipflops"] == 1 and report.by_kind["phone_charged"] == 1
    assert report.by_gender["woman"] == 1 and report.by_age_band["18_24"] == 1
    cells = _csv(report)
    assert cells[("all", "people_supported")] == "1" and cells[("all", "actions")] == "2"
    assert cells[(area.name, "people_supported")] == "1"
    assert cells[(area.name, "actions_water_flipflops")] == "1" and cells[(area.name, "actions_phone_charged")] == "1"

    officer = bearer(db, make_user(db, role="officer"))
    monthly = client.get("/api/patrols/reports/monthly?month=2019-03", headers=officer).json()
    assert monthly["people_supported"] == 1 and monthly["actions"] == 2
    assert monthly["actions_by_kind"]["phone_charged"] == 1
    [json_area] = [a for a in monthly["areas"] if a["name"] == area.name]
    assert json_area["people_supported"] == 1 and json_area["actions_by_kind"]["water_flipflops"] == 1

    login(client, db, coordinator)
    page = client.get(f"/coordinator/shifts/{shift.id}")
    assert page.status_code == 200 and "1 people supported" in page.text and "Kinds of help given" in page.text


def test_the_share_of_women_is_women_among_people_not_among_actions(client, db):
    # A woman given three kinds of help and a man given one: 50% of the people are women (the old
    # sum of cells said 3 of 4 actions, 75%).
    body = {
        "people": [
            {"gender": "woman", "kinds": ["welfare", "water_flipflops", "escorted"], "handover": "taxi_home"},
            {"gender": "man", "kinds": ["first_aid"], "handover": "ambulance"},
        ]
    }
    r, _shift, area, coordinator = _api_debrief(client, db, body, name="Share area")
    assert r.status_code == 201, r.text
    assert r.json()["total"] == 2 and r.json()["actions"] == 5  # the ambulance hand-over is "handed_over" too
    report = patrols.monthly_report(db, month=MONTH, now=datetime(2019, 4, 1, tzinfo=UTC))
    assert report.people == 2 and report.actions == 5
    assert report.women_share == 0.5
    mine = next(a for a in report.areas if a.name == area.name)
    assert mine.women_share == 0.5 and mine.by_kind["handed_over"] == 1
    assert report.handovers == {
        "police": 0,
        "ambulance": 1,
        "safe_space": 0,
        "friends_family": 0,
        "taxi_home": 1,
        "venue_staff": 0,
    }
    cells = _csv(report)
    assert cells[("all", "women_share_percent")] == "50.0" and cells[(area.name, "women_share_percent")] == "50.0"
    assert cells[("all", "handover_taxi_home")] == "1" and cells[(area.name, "handover_ambulance")] == "1"
    login(client, db, coordinator)
    page = client.get("/coordinator/reports/monthly?month=2019-03")
    assert page.status_code == 200
    assert "Share of women among people supported" in page.text and "<td>50%</td>" in page.text
    assert "Hand-overs by kind" in page.text and "A licensed taxi or safe transport home" in page.text


def test_limits_and_wrong_people_are_422s_naming_the_field_and_store_nothing(client, db):
    coordinator = make_user(db, role="coordinator")
    headers = bearer(db, coordinator)
    shift = make_shift(db, area=make_patrol_area(db), start_at=NIGHT)
    url = f"/api/patrols/shifts/{shift.id}/debrief"
    ok = {"gender": "woman", "kinds": ["welfare"]}
    for people, field in (
        ([ok] * (MAX_PEOPLE_PER_DEBRIEF + 1), "people"),
        ([ok, ok, ok, {"gender": "woman", "kinds": []}], "people.3.kinds"),
        ([ok, {"gender": "woman", "kinds": ["juggling"]}], "people.1.kinds"),
        ([{"gender": "alien", "kinds": ["welfare"]}], "people.0.gender"),
        ([{"gender": "man", "kinds": ["welfare"], "age_band": "ancient"}], "people.0.age_band"),
        ([{"gender": "man", "kinds": ["welfare"], "handover": "mi5"}], "people.0.handover"),
        ([{"gender": "man", "kinds": ["welfare"], "name": "Jo Bloggs"}], "people.0.name"),  # no personal data
        ([{"kinds": ["welfare"]}], "people.0.gender"),
    ):
        r = client.post(url, json={"people": people}, headers=headers)
        assert r.status_code == 422, (field, r.text)
        assert r.json()["field"] == field, (field, r.json())
    r = client.post(url, json={"counts": [{"kind": "welfare", "gender": "woman", "people": 3}]}, headers=headers)
    assert r.status_code == 422 and r.json()["field"] == "counts"  # the old shape is refused, not ignored
    assert patrols.debrief_view(db, shift.id, restricted=True) is None
    # The service says the same to any caller.
    for people, field in (
        ([ok] * (MAX_PEOPLE_PER_DEBRIEF + 1), "people"),
        ([ok, ok, ok, {"gender": "woman", "kinds": []}], "people.3.kinds"),
        ([{"gender": "woman", "kinds": ["welfare"], "notes": "lives on Dean St"}], "people.0.notes"),
        ("woman", "people"),
    ):
        try:
            patrols.file_debrief(db, user=coordinator, shift_id=shift.id, people=people, now=NIGHT)
        except patrols.InvalidDebrief as exc:
            assert exc.field == field, (field, exc.field)
        else:
            raise AssertionError(f"{field} was accepted")
    assert patrols.debrief_view(db, shift.id, restricted=True) is None
    r = client.post(url, json={"people": [ok] * MAX_PEOPLE_PER_DEBRIEF}, headers=headers)
    assert r.status_code == 201 and r.json()["total"] == MAX_PEOPLE_PER_DEBRIEF
