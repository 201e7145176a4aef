"""A failed spot check has consequences: it opens an action with the officer's findings (required)
and a due date (28 days unless the officer sets one), flags the venue (officer queue and venue list),
shows in the venue's portal what to fix by when, and mails the manager; a passing re-check clears
it; past its due date without one, the job lapses the venue (audited, manager mailed).

A failed venue stays on the public map until it lapses: the action is the venue's chance to put
things right (a spot check is one visit, and the charter listing says the venue signed and was
verified, not that it passed every check); an officer who finds something serious lapses or
withdraws it at once."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from nte.audit.models import AuditEvent
from nte.auth.models import User
from nte.db import utcnow
from nte.notifications.models import OutboxMessage
from nte.scheduler import job_by_id
from nte.venues import jobs, service
from nte.venues.models import Venue, VenueAction
from tests.factories import login, make_user, make_venue

FINDINGS = "No one on shift knew the Ask for Angela procedure.\nPosters up in the toilets only."


def _check(client, csrf, venue_id, **data):
    return client.post(
        f"/officer/venues/{venue_id}/spot-checks",
        data={"csrf_token": csrf, "check_date": service.london_today(utcnow()).isoformat(), **data},
        headers={"accept": "text/html"},
        follow_redirects=False,
    )


def _public_ids(db, settings):
    return [
        f["id"]
        for f in service.directory(
            db, ward=None, venue_type=None, scheme=None, include_examples=False, settings=settings, now=utcnow()
        )
    ]


def test_a_fail_needs_findings_and_a_sensible_due_date(client, db):
    venue = make_venue(db, status="verified")
    csrf = login(client, db, make_user(db, role="officer"))
    r = _check(client, csrf, venue.id, outcome="fail", findings="  ")
    assert r.status_code == 422 and 'href="#findings"' in r.text and "what the venue must put right" in r.text
    today = service.london_today(utcnow())
    r = _check(client, csrf, venue.id, outcome="fail", findings=FINDINGS, due_date=today.isoformat())
    assert r.status_code == 422 and 'href="#due_date"' in r.text
    r = _check(client, csrf, venue.id, outcome="fail", findings=FINDINGS, due_date="soon")
    assert r.status_code == 422 and 'href="#due_date"' in r.text
    r = _check(client, csrf, venue.id, outcome="fail", findings=FINDINGS, due_date=(today + timedelta(400)).isoformat())
    assert r.status_code == 422 and "at most 180 days" in r.text
    assert db.scalar(sa.select(sa.func.count(VenueAction.id)).where(VenueAction.venue_id == venue.id)) == 0


def test_a_fail_opens_an_action_flagged_shown_and_mailed_and_a_pass_clears_it(client, db, settings):
    venue = make_venue(db, status="verified")
    manager = db.get(User, venue.manager_user_id)
    officer = make_user(db, role="officer")
    csrf = login(client, db, officer)
    today = service.london_today(utcnow())
    assert _check(client, csrf, venue.id, outcome="fail", findings=FINDINGS).status_code == 303
    [action] = db.scalars(sa.select(VenueAction).where(VenueAction.venue_id == venue.id)).all()
    assert action.findings == FINDINGS and action.due_date == today + timedelta(days=28)
    # Flagged: the officer's queue and the venue list.
    now = utcnow()
    [item] = [f for f in service.officer_queue(db, status="verified", now=now) if f.venue.id == venue.id]
    assert "spot_check_action" in item.flags
    assert venue.id in {f.venue.id for f in service.needs_attention(db, now=now)}
    assert "A failed spot check has an action open" in client.get("/officer/venues?status=verified").text
    officer_page = client.get(f"/officer/venues/{venue.id}").text
    assert 'id="open-actions"' in officer_page and "Posters up in the toilets only." in officer_page
    # Mailed to the manager, with what to fix and by when.
    [mail] = db.scalars(
        sa.select(OutboxMessage).where(
            OutboxMessage.to_address == manager.email, OutboxMessage.subject.like("%spot check%")
        )
    ).all()
    assert "No one on shift knew" in mail.body and service.long_date(action.due_date) in mail.body
    # Still on the public map until it lapses.
    assert venue.id in _public_ids(db, settings)
    # The manager's portal says what to fix, by when.
    login(client, db, manager)
    portal = client.get(f"/venue-portal/{venue.id}").text
    assert 'id="spot-check-actions"' in portal
    assert f"Put this right by {service.long_date(action.due_date)}:" in portal
    assert "No one on shift knew the Ask for Angela procedure." in portal

    # A re-check that passes (with advice) clears it.
    csrf = login(client, db, officer)
    assert _check(client, csrf, venue.id, outcome="advice", notes="Fixed; keep refreshing").status_code == 303
    db.refresh(action)
    assert action.cleared_at is not None and action.cleared_by_spot_check_id is not None
    assert "spot_check_action" not in service.flags_by_venue(db, today=today).get(venue.id, [])
    login(client, db, manager)
    assert 'id="spot-check-actions"' not in client.get(f"/venue-portal/{venue.id}").text
    # Nothing left to lapse it.
    assert jobs.lapse_overdue_actions(db, now=utcnow() + timedelta(days=40)) == 0
    assert db.get(Venue, venue.id).status == "verified"


def test_an_officer_sets_the_due_date(db, settings):
    venue = make_venue(db, status="verified")
    officer = make_user(db, role="officer")
    now = utcnow()
    due = service.london_today(now) + timedelta(days=7)
    service.add_spot_check(
        db,
        actor=officer,
        venue_id=venue.id,
        raw={
            "check_date": service.london_today(now).isoformat(),
            "outcome": "fail",
            "findings": FINDINGS,
            "due_date": due.isoformat(),
        },
        now=now,
    )
    [action] = service.open_actions(db, venue_id=venue.id)
    assert action.due_date == due


def test_past_its_due_date_without_a_pass_the_job_lapses_the_venue(db, settings):
    venue = make_venue(db, status="verified")
    manager = db.get(User, venue.manager_user_id)
    officer = make_user(db, role="officer")
    now = utcnow()
    today = service.london_today(now)
    service.add_spot_check(
        db,
        actor=officer,
        venue_id=venue.id,
        raw={"check_date": today.isoformat(), "outcome": "fail", "findings": FINDINGS},
        now=now,
    )
    [action] = service.open_actions(db, venue_id=venue.id)
    # On the due date it still has the day; the day after, it lapses.
    assert jobs.lapse_overdue_actions(db, now=now + timedelta(days=28)) == 0
    assert venue.status == "verified"
    assert jobs.lapse_overdue_actions(db, now=now + timedelta(days=29)) == 1
    assert venue.status == "lapsed" and action.lapsed_at is not None
    assert "not put right by" in venue.status_reason
    assert venue.id not in _public_ids(db, settings)
    assert jobs.lapse_overdue_actions(db, now=now + timedelta(days=30)) == 0  # once
    events = db.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.target_id == str(venue.id), AuditEvent.actor_user_id.is_(None))
    ).all()
    assert "venue.lapse" in events and "venue.action_overdue" in events
    [mail] = db.scalars(
        sa.select(OutboxMessage).where(
            OutboxMessage.to_address == manager.email, OutboxMessage.dedupe_key == f"venue-action-lapsed:{action.id}"
        )
    ).all()
    assert "has lapsed" in mail.subject and "No one on shift knew" in mail.body


def test_the_job_is_registered():
    assert job_by_id("venues.lapse_overdue_actions").load() is jobs.lapse_overdue_actions
