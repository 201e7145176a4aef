"""Registry rules, owners' proposals, CSV import, reminders, demo data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from nte.audit.models import AuditEvent
from nte.notifications.models import OutboxMessage
from nte.safespaces import service
from nte.safespaces.demo import NHS_PHARMACIES, load_examples
from nte.safespaces.exceptions import (
    InvalidImport,
    InvalidSafeSpace,
    NotOwner,
    ProposalDecided,
    VenueAlreadyLinked,
)
from nte.safespaces.models import SafeSpace, SafeSpaceProposal
from tests.factories import make_safe_space, make_user, make_venue

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _count(db, model=SafeSpace) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(model))


def test_officer_adds_a_space_with_hours_confirmed_today(db, settings):
    officer = make_user(db, role="officer")
    space = service.create_space(
        db,
        data={
            "name": "Night haven",
            "kind": "safe_haven",
            "address": "1 Example Street",
            "postcode": "w1d 3qf",
            "lon": -0.1337,
            "lat": 51.5136,
            "phone": "020 7946 0000",
            "help_offered": ["water", "cctv", "water"],
            "codewords": ["ask_for_angela"],
            "step_free": "yes",
            "languages": "English, Polish, english",
            "opening_hours": "Fr-Sa 20:00-04:00",
            "overrides": "2026-12-25 closed\n2026-12-31 20:00-06:00",
        },
        actor=officer,
        settings=settings,
        now=NOW,
    )
    assert space.postcode == "W1D 3QF" and space.help_offered == ["water", "cctv"]
    assert space.languages == ["English", "Polish"] and space.step_free is True
    assert space.hours == {
        "weekly": [["fri", "20:00", "04:00"], ["sat", "20:00", "04:00"]],
        "overrides": [["2026-12-25", "closed"], ["2026-12-31", [["20:00", "06:00"]]]],
    }
    assert space.hours_confirmed_date == date(2026, 12, 1) and space.status == "unverified"
    event = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "safespace.create")).one()
    assert event.target_id == str(space.id) and event.actor_user_id == officer.id


def test_every_wrong_field_is_named_and_nothing_is_stored(db, settings):
    before = _count(db)
    with pytest.raises(InvalidSafeSpace) as info:
        service.create_space(
            db,
            data={
                "name": "",
                "kind": "castle",
                "lon": 2.35,
                "lat": 48.85,
                "phone": "call me",
                "help_offered": ["massage"],
                "opening_hours": "Mo 25:00-26:00",
                "postcode": "NOT A POSTCODE",
            },
            actor=None,
            settings=settings,
            now=NOW,
        )
    assert set(info.value.errors) == {"name", "kind", "lon", "phone", "help_offered", "opening_hours", "postcode"}
    assert "outside the area" in info.value.errors["lon"]
    assert "25:00" in info.value.errors["opening_hours"]
    assert _count(db) == before


@pytest.mark.parametrize(
    "data,field",
    [
        ({"hours": {"weekly": [["fri", "20:00", "20:00"]]}}, "hours"),
        ({"hours": {"weekly": [["friday", "20:00", "04:00"]]}}, "hours"),
        ({"opening_hours": "PH off"}, "opening_hours"),
        ({"opening_hours": "Fr 20:00-04:00", "overrides": "25/12 closed"}, "overrides"),
        ({"opening_hours": "Fr 20:00-04:00", "overrides": "2026-12-25 closed\n2026-12-25 10:00-12:00"}, "overrides"),
        ({"lon": "nan", "lat": 51.5}, "lon"),
        ({"lon": -0.13, "lat": 95}, "lat"),
    ],
)
def test_bad_hours_and_points_map_to_invalid_with_the_field(db, settings, data, field):
    base = {"name": "X", "kind": "other", "lon": -0.1337, "lat": 51.5136}
    with pytest.raises(InvalidSafeSpace) as info:
        service.create_space(db, data={**base, **data}, actor=None, settings=settings, now=NOW)
    assert field in info.value.errors and info.value.status_code == 422


def test_a_charter_venue_lends_its_identity(db, settings):
    venue = make_venue(db, status="verified")
    space = service.create_space(
        db, data={"venue_id": venue.id, "kind": "charter_venue"}, actor=None, settings=settings, now=NOW
    )
    detail = service.space_detail(db, space, venue, now=NOW)
    assert detail["name"] == venue.name and detail["address"] == venue.address and detail["lon"] is not None
    with pytest.raises(VenueAlreadyLinked):
        service.create_space(
            db, data={"venue_id": venue.id, "kind": "charter_venue"}, actor=None, settings=settings, now=NOW
        )
    other = make_venue(db, status="verified", name="Another bar", licence_number="LN/999/888")
    with pytest.raises(InvalidSafeSpace) as info:
        service.create_space(
            db,
            data={"venue_id": other.id, "kind": "charter_venue", "name": "Dup"},
            actor=None,
            settings=settings,
            now=NOW,
        )
    assert "name" in info.value.errors


def test_verify_withdraw_confirm_are_audited(db):
    officer = make_user(db, role="officer")
    space = make_safe_space(db, now=NOW - timedelta(days=100))
    service.verify_space(db, space_id=space.id, actor=officer, now=NOW)
    service.confirm_hours(db, space_id=space.id, actor=officer, now=NOW)
    assert space.status == "verified" and space.verified_by_user_id == officer.id
    assert space.hours_confirmed_date == date(2026, 12, 1)
    service.withdraw_space(db, space_id=space.id, actor=officer, now=NOW, reason="moved")
    actions = set(db.scalars(sa.select(AuditEvent.action).where(AuditEvent.target_id == str(space.id))))
    assert {"safespace.verify", "safespace.confirm_hours", "safespace.withdraw"} <= actions


# --- proposals -------------------------------------------------------------------------------------


def test_owner_proposes_and_officer_approves(db, settings):
    owner = make_user(db, role="venue_manager")
    officer = make_user(db, role="officer")
    space = make_safe_space(db, owner_user_id=owner.id, opening_hours="Fr 20:00-02:00", now=NOW - timedelta(days=80))
    proposal = service.propose_change(
        db,
        space_id=space.id,
        user=owner,
        data={"opening_hours": "Fr-Sa 20:00-04:00", "phone": "020 7946 1234", "languages": "English"},
        confirms_hours=False,
        message="We now open Saturdays",
        settings=settings,
        now=NOW,
    )
    assert set(proposal.changes) == {"hours", "phone", "languages"} and proposal.status == "pending"
    assert space.phone == "020 7946 0000"  # nothing applied yet
    service.decide_proposal(db, proposal_id=proposal.id, approve=True, actor=officer, settings=settings, now=NOW)
    assert space.phone == "020 7946 1234" and space.hours["weekly"][1] == ["sat", "20:00", "04:00"]
    assert space.hours_confirmed_date == date(2026, 12, 1)
    mail = db.scalars(sa.select(OutboxMessage).where(OutboxMessage.to_address == owner.email)).one()
    assert "approved" in mail.subject
    with pytest.raises(ProposalDecided):
        service.decide_proposal(
            db, proposal_id=proposal.id, approve=False, actor=officer, settings=settings, now=NOW, note="too late"
        )


def test_owner_confirms_hours_and_officer_rejects_with_a_reason(db, settings):
    owner = make_user(db, role="venue_manager")
    officer = make_user(db, role="officer")
    space = make_safe_space(db, owner_user_id=owner.id, now=NOW - timedelta(days=85))
    proposal = service.propose_change(
        db, space_id=space.id, user=owner, data={}, confirms_hours=True, message=None, settings=settings, now=NOW
    )
    with pytest.raises(InvalidSafeSpace) as info:
        service.decide_proposal(db, proposal_id=proposal.id, approve=False, actor=officer, settings=settings, now=NOW)
    assert info.value.field == "note" and proposal.status == "pending"
    service.decide_proposal(
        db,
        proposal_id=proposal.id,
        approve=False,
        actor=officer,
        settings=settings,
        now=NOW,
        note="Please call us first",
    )
    assert proposal.status == "rejected" and space.hours_confirmed_date == (NOW - timedelta(days=85)).date()


def test_only_owners_propose_and_only_allowed_fields(db, settings):
    owner = make_user(db, role="venue_manager")
    stranger = make_user(db, role="venue_manager")
    space = make_safe_space(db, owner_user_id=owner.id)
    with pytest.raises(NotOwner):
        service.propose_change(
            db,
            space_id=space.id,
            user=stranger,
            data={"phone": "020 7946 4444"},
            confirms_hours=False,
            message=None,
            settings=settings,
            now=NOW,
        )
    for data, field in [
        ({"lon": 0.1}, "lon"),
        ({"phone": "nope"}, "phone"),
        ({}, "changes"),
        ({"phone": space.phone}, "changes"),
    ]:
        with pytest.raises(InvalidSafeSpace) as info:
            service.propose_change(
                db,
                space_id=space.id,
                user=owner,
                data=data,
                confirms_hours=False,
                message=None,
                settings=settings,
                now=NOW,
            )
        assert field in info.value.errors
    assert _count(db, SafeSpaceProposal) == 0


def test_the_venue_manager_of_a_linked_venue_is_an_owner(db, settings):
    manager = make_user(db, role="venue_manager")
    venue = make_venue(db, status="verified")
    venue.manager_user_id = manager.id
    db.flush()
    space = service.create_space(
        db, data={"venue_id": venue.id, "kind": "charter_venue"}, actor=None, settings=settings, now=NOW
    )
    assert service.is_owner(db, user=manager, space=space)
    assert [s.id for s, _ in service.spaces_owned_by(db, user=manager)] == [space.id]
    with pytest.raises(InvalidSafeSpace) as info:
        service.propose_change(
            db,
            space_id=space.id,
            user=manager,
            data={"name": "New name"},
            confirms_hours=False,
            message=None,
            settings=settings,
            now=NOW,
        )
    assert info.value.field == "name"


# --- import ----------------------------------------------------------------------------------------


def test_nhs_import_is_idempotent_and_never_open(db, settings):
    text = NHS_PHARMACIES.read_text(encoding="utf-8")
    first = service.import_csv(db, text=text, actor=None, settings=settings, now=NOW, is_example=True)
    assert (first.rows, first.created, first.already_present) == (297, 297, 0)
    again = service.import_csv(db, text=text, actor=None, settings=settings, now=NOW, is_example=True)
    assert (again.created, again.already_present) == (0, 297)
    rows = db.scalars(sa.select(SafeSpace).where(SafeSpace.external_id.like("nhs:%"))).all()
    assert len(rows) == 297
    assert all(r.status == "unverified" and r.is_example and r.hours is None and r.kind == "pharmacy" for r in rows)
    result = service.find_nearest(db, lon=-0.1337, lat=51.5136, at=NOW, limit=5, now=NOW)
    assert result.spaces and not any(s.status.is_open for s in result.spaces)
    assert service.find_nearest(db, lon=-0.1337, lat=51.5136, at=NOW, open_only=True, limit=5, now=NOW).spaces == []


def test_generic_import_checks_every_row_before_storing(db, settings):
    good = "name,kind,latitude,longitude,external_id,opening_hours\nA,pharmacy,51.5136,-0.1337,x:1,Mo-Fr 09:00-18:00\n"
    bad_rows = [
        (good + "B,pharmacy,48.85,2.35,x:2,\n", "outside the area"),
        (good + "B,castle,51.51,-0.13,x:2,\n", "kind"),
        (good + "B,pharmacy,51.51,-0.13,x:2,Mo 9-5\n", "opening_hours"),
        (good + "B,pharmacy,51.51,-0.13,x:1,\n", "appears twice"),
        ("title,where\nA,B\n", "header"),
    ]
    before = _count(db)
    for text, expected in bad_rows:
        with pytest.raises(InvalidImport) as info:
            service.import_csv(db, text=text, actor=None, settings=settings, now=NOW)
        assert expected in info.value.detail and info.value.field == "file"
    assert _count(db) == before
    result = service.import_csv(db, text=good, actor=None, settings=settings, now=NOW)
    space = db.scalars(sa.select(SafeSpace).where(SafeSpace.external_id == "x:1")).one()
    assert result.created == 1 and space.hours is not None and space.hours_confirmed_date is None


def test_demo_loader_is_idempotent(db, settings):
    from rich.console import Console

    console = Console(file=open("/dev/null", "w"))  # noqa: SIM115
    load_examples(db, console)
    count = _count(db)
    load_examples(db, console)
    assert _count(db) == count >= 300
    examples = db.scalars(sa.select(SafeSpace).where(SafeSpace.external_id.like("demo:%"))).all()
    assert len(examples) == 3 and all(e.is_example and "demo data" in e.name for e in examples)


# --- reminders ----------------------------------------------------------------------------------------


def test_reconfirm_reminders_go_to_owners_once_then_officers_for_ownerless(db, settings):
    from nte.safespaces import jobs

    owner = make_user(db, role="venue_manager")
    officer = make_user(db, role="officer")
    today = date(2026, 12, 1)
    owned = make_safe_space(db, owner_user_id=owner.id, now=datetime(2026, 9, 10, 12, tzinfo=UTC))  # 82 days
    ownerless = make_safe_space(db, now=datetime(2026, 8, 20, 12, tzinfo=UTC))  # 103 days: stale
    make_safe_space(db, now=datetime(2026, 11, 1, 12, tzinfo=UTC))  # recent: nothing
    queued = jobs.reconfirm_reminders(db, now=NOW)
    to_owner = db.scalars(sa.select(OutboxMessage).where(OutboxMessage.to_address == owner.email)).all()
    assert len(to_owner) == 1 and "re-confirm" in to_owner[0].subject and str(owned.id) in to_owner[0].body
    to_officer = db.scalars(sa.select(OutboxMessage).where(OutboxMessage.to_address == officer.email)).all()
    assert len(to_officer) == 1 and "no longer shown as open" in to_officer[0].subject
    assert f"/officer/safe-spaces/{ownerless.id}" in to_officer[0].body
    assert queued >= 2
    assert jobs.reconfirm_reminders(db, now=NOW + timedelta(hours=1)) == 0  # idempotent
    # Once the owned one goes stale, its owner gets the second reminder, once.
    later = datetime(2026, 12, 10, 12, tzinfo=UTC)
    assert jobs.reconfirm_reminders(db, now=later) >= 1
    assert jobs.reconfirm_reminders(db, now=later) == 0
    assert today < later.date()


def test_the_job_is_registered_daily():
    from nte.scheduler import job_by_id

    job = job_by_id("safespaces.reconfirm_reminders")
    assert job.cron is not None and job.load().__name__ == "reconfirm_reminders"
