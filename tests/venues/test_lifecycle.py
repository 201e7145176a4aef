"""A sign-up sent back for changes and resubmitted, on both databases: the full cycle through the
service and through the pages, the refusals (each a 4xx with its reason, nothing stored lost), the
manager's mail through a real SMTP server, and the migration that added the status."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from nte.audit.models import AuditEvent
from nte.auth.models import User
from nte.db import utcnow
from nte.errors import Invalid
from nte.notifications.jobs import deliver_outbox
from nte.notifications.models import OutboxMessage
from nte.venues import service
from nte.venues.exceptions import NotYourVenue, ResubmitRefused, TransitionRefused, VenueNotFound
from nte.venues.models import Venue
from tests.factories import bearer, login, make_user, make_venue

REASONS = "Add your WAVE training with its date.\nSay how you meet pledge 5 (believing women who report)."


def _mails_to(db, address):
    return db.scalars(sa.select(OutboxMessage).where(OutboxMessage.to_address == address)).all()


def _audit_actions(db, venue):
    return db.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.target_type == "venue", AuditEvent.target_id == str(venue.id))
        .order_by(AuditEvent.id)
    ).all()


def test_full_cycle_request_changes_resubmit_verify(db, settings):
    officer = make_user(db, role="officer")
    venue = make_venue(db)
    manager = db.get(User, venue.manager_user_id)
    mails_before = len(_mails_to(db, manager.email))
    now = utcnow()

    # The mistake: asking for changes without saying which is refused, and nothing changes.
    with pytest.raises(Invalid) as info:
        service.officer_change_status(
            db, actor=officer, venue_id=venue.id, action="request_changes", reason="  ", now=now
        )
    assert info.value.status_code == 422 and info.value.field == "reason"
    assert "what the venue manager should change" in info.value.detail
    assert venue.status == "submitted" and len(_mails_to(db, manager.email)) == mails_before

    service.officer_change_status(
        db, actor=officer, venue_id=venue.id, action="request_changes", reason=REASONS, now=now
    )
    assert venue.status == "changes_requested" and venue.status_reason == REASONS
    [mail] = [m for m in _mails_to(db, manager.email) if "make changes" in m.subject]
    assert venue.name in mail.subject and "WAVE training" in mail.body and "pledge 5" in mail.body
    assert f"/venue-portal/{venue.id}" in mail.body and "Resubmit for checking" in mail.body
    # Not in the officers' queue while the manager works on it.
    assert venue.id not in {f.venue.id for f in service.officer_queue(db, status="submitted", now=now)}
    assert venue.id in {f.venue.id for f in service.officer_queue(db, status="changes_requested", now=now)}

    # The manager fixes a pledge and resubmits with a note for the officer.
    raw = {}
    for p in venue.pledges:
        raw[f"pledge_{p.number}_status"] = "met"
        raw[f"pledge_{p.number}_how"] = p.how_met or "Done"
    raw["pledge_5_how"] = "Every report is believed and written down; staff trained in May."
    service.update_pledges(db, user=manager, venue_id=venue.id, raw=raw, now=now)
    service.resubmit(db, user=manager, venue_id=venue.id, note="Pledge 5 answered; training added.", now=now)
    assert venue.status == "submitted" and venue.status_reason is None
    [queued] = [f for f in service.officer_queue(db, status="submitted", now=now) if f.venue.id == venue.id]
    assert queued.resubmitted

    service.officer_change_status(db, actor=officer, venue_id=venue.id, action="verify", reason=None, now=now)
    assert venue.status == "verified"

    # The history keeps every step with its words.
    steps = service.status_history(db, venue=venue)
    assert [(s.action, s.to_status) for s in steps] == [
        ("sign_up", "submitted"),
        ("request_changes", "changes_requested"),
        ("resubmit", "submitted"),
        ("verify", "verified"),
    ]
    assert steps[1].words == REASONS and not steps[1].by_manager
    assert steps[2].words == "Pledge 5 answered; training added." and steps[2].by_manager
    assert {"venue.request_changes", "venue.update_pledges", "venue.resubmit", "venue.verify"} <= set(
        _audit_actions(db, venue)
    )


def test_invalid_transitions_are_refused_with_their_reason(db, settings):
    officer = make_user(db, role="officer")
    venue = make_venue(db)
    manager = db.get(User, venue.manager_user_id)
    now = utcnow()
    with pytest.raises(ResubmitRefused) as info:  # nothing was asked for
        service.resubmit(db, user=manager, venue_id=venue.id, note=None, now=now)
    assert info.value.status_code == 409 and "already waiting for an officer" in info.value.detail
    with pytest.raises(Invalid) as bad:  # the manager's step is not an officer's action
        service.officer_change_status(db, actor=officer, venue_id=venue.id, action="resubmit", reason=None, now=now)
    assert bad.value.field == "action"
    with pytest.raises(Invalid) as long:
        service.officer_change_status(
            db, actor=officer, venue_id=venue.id, action="request_changes", reason="x" * 2001, now=now
        )
    assert long.value.field == "reason" and "2000 characters" in long.value.detail
    assert venue.status == "submitted"

    service.officer_change_status(
        db, actor=officer, venue_id=venue.id, action="request_changes", reason=REASONS, now=now
    )
    stranger = make_user(db, role="venue_manager")
    with pytest.raises(VenueNotFound):
        service.resubmit(db, user=stranger, venue_id=venue.id, note=None, now=now)
    with pytest.raises(NotYourVenue):  # an officer may read the venue but not resubmit for its manager
        service.resubmit(db, user=officer, venue_id=venue.id, note=None, now=now)
    with pytest.raises(Invalid) as note:
        service.resubmit(db, user=manager, venue_id=venue.id, note="n" * 501, now=now)
    assert note.value.field == "note"
    with pytest.raises(TransitionRefused) as verify:  # verify only what was resubmitted
        service.officer_change_status(db, actor=officer, venue_id=venue.id, action="verify", reason=None, now=now)
    assert "changes_requested -> verified" in verify.value.detail
    assert venue.status == "changes_requested" and venue.status_reason == REASONS  # nothing lost

    verified = make_venue(db, status="verified")
    with pytest.raises(ResubmitRefused):
        service.resubmit(db, user=db.get(User, verified.manager_user_id), venue_id=verified.id, note=None, now=now)
    with pytest.raises(TransitionRefused):
        service.officer_change_status(
            db, actor=officer, venue_id=verified.id, action="request_changes", reason=REASONS, now=now
        )


def test_a_rejection_is_explained_and_can_be_reopened(client, db):
    venue = make_venue(db, status="rejected")  # reason "test"
    venue.status_reason = "The premises licence number belongs to another venue."
    db.flush()
    manager = db.get(User, venue.manager_user_id)
    login(client, db, manager)
    page = client.get(f"/venue-portal/{venue.id}")
    assert page.status_code == 200
    assert "Your sign-up was not accepted" in page.text and "belongs to another venue" in page.text
    assert 'id="resubmit"' not in page.text
    client.cookies.clear()
    csrf = login(client, db, make_user(db, role="officer"))
    officer_page = client.get(f"/officer/venues/{venue.id}")
    assert "No further status changes are possible" not in officer_page.text
    assert 'id="action-request_changes"' in officer_page.text and 'id="action-verify"' not in officer_page.text
    r = client.post(
        f"/officer/venues/{venue.id}/status",
        data={"csrf_token": csrf, "action": "request_changes", "reason": "Send us the correct licence number."},
        follow_redirects=False,
    )
    assert r.status_code == 303
    db.expire_all()
    assert db.get(Venue, venue.id).status == "changes_requested"


def test_pages_cycle_with_mistakes_and_refusals(client, db):
    venue = make_venue(db)
    venue.pin_postcode_distance_m = 420.0  # the pin-vs-postcode flag stays on the officer's page
    db.flush()
    manager = db.get(User, venue.manager_user_id)
    officer = make_user(db, role="officer")
    csrf = login(client, db, officer)

    page = client.get(f"/officer/venues/{venue.id}")
    assert page.status_code == 200
    assert 'id="venue-pin-map"' in page.text and "/static/js/venues-officer-map.js" in page.text
    assert 'data-lat="51.513300"' in page.text and 'data-lon="-0.133700"' in page.text
    assert 'id="pin-postcode-flag"' in page.text and "420 m" in page.text

    r = client.post(
        f"/officer/venues/{venue.id}/status",
        data={"csrf_token": csrf, "action": "request_changes", "reason": ""},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 422 and 'id="error-summary"' in r.text and 'href="#reason"' in r.text
    assert "Say what the venue manager should change" in r.text
    assert 'value="request_changes" checked' in r.text  # the choice is kept
    r = client.post(
        f"/officer/venues/{venue.id}/status",
        data={"csrf_token": csrf, "action": "request_changes", "reason": REASONS},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert client.get("/officer/venues?status=changes_requested").status_code == 200
    assert venue.name in client.get("/officer/venues?status=changes_requested").text

    client.cookies.clear()
    csrf = login(client, db, manager)
    portal = client.get(f"/venue-portal/{venue.id}")
    assert portal.status_code == 200 and 'id="changes-requested"' in portal.text
    assert "Add your WAVE training with its date." in portal.text and "pledge 5 (believing" in portal.text
    r = client.post(
        f"/venue-portal/{venue.id}/resubmit",
        data={"csrf_token": csrf, "note": "y" * 501},
        headers={"accept": "text/html"},
    )
    assert r.status_code == 422 and "500 characters" in r.text and 'href="#note"' in r.text
    r = client.post(
        f"/venue-portal/{venue.id}/resubmit",
        data={"csrf_token": csrf, "note": "Training added."},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].endswith("saved=resubmit")
    done = client.get(r.headers["location"])
    assert 'id="resubmitted"' in done.text and "Training added." in done.text  # in the history
    again = client.post(
        f"/venue-portal/{venue.id}/resubmit", data={"csrf_token": csrf}, headers={"accept": "text/html"}
    )
    assert again.status_code == 409 and "already waiting for an officer" in again.text

    client.cookies.clear()
    login(client, db, officer)
    queue = client.get("/officer/venues")
    assert venue.name in queue.text and "resubmitted after changes" in queue.text
    officer_page = client.get(f"/officer/venues/{venue.id}")
    assert "Training added." in officer_page.text and "Add your WAVE training" in officer_page.text  # history


def test_api_request_changes_needs_reasons_and_cannot_resubmit(client, db):
    venue = make_venue(db)
    headers = bearer(db, make_user(db, role="officer"))
    r = client.post(f"/api/venues/{venue.id}/status", json={"action": "request_changes"}, headers=headers)
    assert r.status_code == 422 and r.json()["field"] == "reason"
    r = client.post(f"/api/venues/{venue.id}/status", json={"action": "resubmit"}, headers=headers)
    assert r.status_code == 422
    r = client.post(
        f"/api/venues/{venue.id}/status", json={"action": "request_changes", "reason": REASONS}, headers=headers
    )
    assert r.status_code == 200 and r.json()["status"] == "changes_requested"
    r = client.post(f"/api/venues/{venue.id}/status", json={"action": "verify"}, headers=headers)
    assert r.status_code == 409 and "changes_requested -> verified" in r.json()["detail"]


def test_the_manager_is_mailed_the_reasons_through_real_smtp(db, settings, smtp_server):
    venue = make_venue(db)
    manager = db.get(User, venue.manager_user_id)
    officer = make_user(db, role="officer")
    service.officer_change_status(
        db, actor=officer, venue_id=venue.id, action="request_changes", reason=REASONS, now=utcnow()
    )
    smtp = settings.model_copy(update={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port})
    assert deliver_outbox(db, now=utcnow(), settings=smtp) >= 1
    [mail] = [m for m in smtp_server.to(manager.email) if "make changes" in m["Subject"]]
    text = mail.get_payload(decode=True).decode()
    assert venue.name in mail["Subject"] and "Add your WAVE training with its date." in text
    assert f"/venue-portal/{venue.id}" in text


def test_migration_adds_the_status_and_keeps_every_row(backend, tmp_path, request):
    """From 0010 (before the status existed) to head: the venue and its pledges are intact, the
    new status and a long reason are accepted, an unknown status is still refused; down again, a
    venue waiting for changes becomes rejected with its reasons."""
    from shapely.geometry import Point
    from sqlalchemy.orm import Session

    from nte.config import get_settings
    from nte.db import engine_for
    from nte.schema import downgrade, upgrade
    from nte.spatial import to_db
    from nte.venues.models import VenuePledge

    if backend == "spatialite":
        url = f"sqlite:///{tmp_path / 'lifecycle.sqlite'}"
    else:
        url = request.getfixturevalue("pg_cluster").create_database("nte_venue_lifecycle")
    engine = engine_for(url, get_settings().spatialite_library)
    upgrade(engine)
    downgrade(engine, "0010")
    now = utcnow()
    # Columns of the schema at 0010 only (a Core insert: the model has columns added since).
    with Session(engine) as s, s.begin():
        venue_id = s.execute(
            sa.insert(Venue.__table__)
            .values(
                name="Migration Arms",
                name_key="migration arms",
                venue_type="pub",
                address="1 Dean Street",
                postcode="W1D 3RB",
                geom=to_db(Point(-0.1337, 51.5133)),
                ward_code="E05013806",
                borough_code="E09000033",
                contact_email="m@example.org",
                contact_phone="+442079460000",
                champion_name="Sam",
                champion_role="Manager",
                ask_for_angela=False,
                location_approximate=False,
                status="rejected",
                status_reason="Wrong licence.",
                submitted_at=now,
                is_example=False,
                created_at=now,
                updated_at=now,
            )
            .returning(Venue.__table__.c.id)
        ).scalar_one()
        for n in range(1, 8):
            s.execute(
                sa.insert(VenuePledge.__table__).values(
                    venue_id=venue_id, number=n, met=True, how_met=f"pledge {n}", reviewed_at=now
                )
            )
    upgrade(engine)

    def read():
        with engine.connect() as conn:
            row = conn.execute(sa.text("SELECT name, status, status_reason FROM venue WHERE id = :i"), {"i": venue_id})
            pledges = conn.execute(sa.text("SELECT count(*) FROM venue_pledge WHERE venue_id = :i"), {"i": venue_id})
            return tuple(row.one()), pledges.scalar_one()

    assert read() == (("Migration Arms", "rejected", "Wrong licence."), 7)
    long_reason = "r" * 1500
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE venue SET status = 'changes_requested', status_reason = :r WHERE id = :i"),
            {"r": long_reason, "i": venue_id},
        )
    assert read() == (("Migration Arms", "changes_requested", long_reason), 7)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.text("UPDATE venue SET status = 'bogus' WHERE id = :i"), {"i": venue_id})

    downgrade(engine, "0010")
    assert read() == (("Migration Arms", "rejected", "r" * 500), 7)
    # Refused again: PostgreSQL by the 12-character column before the CHECK, SQLite by the CHECK.
    with pytest.raises((sa.exc.IntegrityError, sa.exc.DataError)), engine.begin() as conn:
        conn.execute(sa.text("UPDATE venue SET status = 'changes_requested' WHERE id = :i"), {"i": venue_id})
    upgrade(engine)
    engine.dispose()
