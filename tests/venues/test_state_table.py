"""The charter's state machine, exhaustively: every (status, action, role) either moves the venue as
the table says or is refused with a clear 409/403 (422 for an action nobody knows) naming the reason,
never a 500, and nothing changes when refused. Through the service for every role (officer, the
venue's own manager, the scheduled job), and through the officer's JSON API and the manager's portal
for the moves those paths offer."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from nte.audit.models import AuditEvent
from nte.auth.models import User
from nte.db import utcnow
from nte.errors import NTEError
from nte.venues import service
from nte.venues.exceptions import NotYourAction, ResubmitRefused, TransitionRefused
from nte.venues.models import VENUE_STATUSES, Venue
from tests.factories import bearer, login, make_user, make_venue

#: The specification, written out by hand (not read from the code): (status, action) -> (target,
#: who may). Only officers grant "verified"; a manager renews a verified venue or asks to renew a
#: lapsed or withdrawn one (back to the officer queue); the job only lapses.
EXPECTED = {
    ("submitted", "verify"): ("verified", {"officer"}),
    ("submitted", "request_changes"): ("changes_requested", {"officer"}),
    ("submitted", "reject"): ("rejected", {"officer"}),
    ("changes_requested", "resubmit"): ("submitted", {"manager"}),
    ("changes_requested", "reject"): ("rejected", {"officer"}),
    ("verified", "lapse"): ("lapsed", {"officer", "job"}),
    ("verified", "withdraw"): ("withdrawn", {"officer"}),
    ("verified", "renew"): ("verified", {"officer", "manager"}),
    ("lapsed", "renew"): ("verified", {"officer"}),
    ("lapsed", "request_renewal"): ("submitted", {"manager"}),
    ("withdrawn", "request_renewal"): ("submitted", {"manager"}),
    ("rejected", "request_changes"): ("changes_requested", {"officer"}),
}
ROLES = ("officer", "manager", "job")


def test_the_table_is_the_specification():
    table = {(m.status, m.action): (m.target, set(m.actors)) for m in service.STATE_TABLE}
    assert table == EXPECTED
    assert len(service.STATE_TABLE) == len(table)  # no row twice
    assert set(service.OFFICER_ACTIONS) == {a for (_, a), (_, who) in EXPECTED.items() if "officer" in who}


def _set(venue: Venue, status: str, today) -> None:
    """Put the venue in ``status`` with its renewal window open (30 days to go)."""
    venue.status = status
    venue.status_reason = None
    venue.renewal_date = today + timedelta(days=30)


def _audits(db, venue) -> int:
    return db.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.target_type == "venue", AuditEvent.target_id == str(venue.id)
        )
    )


def test_every_status_action_and_role_moves_or_is_refused_with_its_reason(db, settings):
    officer = make_user(db, role="officer")
    venue = make_venue(db)
    manager = db.get(User, venue.manager_user_id)
    actors = {"officer": officer, "manager": manager, "job": None}
    now = utcnow()
    today = service.london_today(now)
    moved = refused_403 = refused_409 = 0
    for status in VENUE_STATUSES:
        for action in service.ACTIONS:
            for role in ROLES:
                _set(venue, status, today)
                db.flush()
                before = _audits(db, venue)
                expected = EXPECTED.get((status, action))
                kwargs = {"new_starters": 0} if role == "manager" and action in ("renew", "request_renewal") else {}
                case = f"{status} / {action} / {role}"
                if expected is not None and role in expected[1]:
                    service.change_status(
                        db, actor=actors[role], venue=venue, action=action, reason="Words.", now=now, **kwargs
                    )
                    assert venue.status == expected[0], case
                    assert _audits(db, venue) == before + 1, case  # every move is audited
                    moved += 1
                    continue
                with pytest.raises(NTEError) as info:
                    service.change_status(
                        db, actor=actors[role], venue=venue, action=action, reason="Words.", now=now, **kwargs
                    )
                err = info.value
                assert err.field == "action" and err.detail, case
                if expected is not None:  # the move exists, for someone else
                    assert isinstance(err, NotYourAction) and err.status_code == 403, case
                    assert "Only " in err.detail, case
                    refused_403 += 1
                else:
                    assert isinstance(err, TransitionRefused | ResubmitRefused) and err.status_code == 409, case
                    refused_409 += 1
                assert venue.status == status and _audits(db, venue) == before, case  # nothing changed
    # Every (status, action, role) was walked: 6 statuses x 8 actions x 3 roles.
    assert moved + refused_403 + refused_409 == len(VENUE_STATUSES) * len(service.ACTIONS) * len(ROLES) == 144
    assert moved == sum(len(who) for _, who in EXPECTED.values()) == 14
    assert refused_403 > 0 and refused_409 > 0


def test_a_manager_cannot_make_a_lapsed_venue_verified_again(db, settings):
    """The demo's defect: after an officer lapsed the venue, its manager renewed it straight back."""
    venue = make_venue(db, status="lapsed")
    manager = db.get(User, venue.manager_user_id)
    with pytest.raises(NotYourAction) as info:
        service.change_status(db, actor=manager, venue=venue, action="renew", reason=None, now=utcnow())
    assert info.value.status_code == 403
    assert "Only a community safety officer can renew a lapsed venue." == info.value.detail
    assert venue.status == "lapsed"


def test_another_venues_manager_is_not_this_venues_manager(db, settings):
    venue = make_venue(db, status="verified")
    other = db.get(User, make_venue(db).manager_user_id)
    with pytest.raises(NTEError) as info:
        service.change_status(db, actor=other, venue=venue, action="renew", reason=None, now=utcnow())
    assert info.value.status_code == 403 and venue.status == "verified"


def test_the_officer_api_answers_every_status_and_action_with_a_4xx_or_the_move(client, db):
    officer = make_user(db, role="officer")
    headers = bearer(db, officer)
    venue = make_venue(db)
    today = service.london_today(utcnow())
    walked = 0
    for status in VENUE_STATUSES:
        for action in service.ACTIONS:
            _set(venue, status, today)
            db.flush()
            r = client.post(
                f"/api/venues/{venue.id}/status", json={"action": action, "reason": "Words."}, headers=headers
            )
            expected = EXPECTED.get((status, action))
            case = f"{status} / {action}: {r.status_code} {r.text[:200]}"
            db.expire_all()
            if expected is not None and "officer" in expected[1]:
                assert r.status_code == 200 and r.json()["status"] == expected[0], case
            elif action not in service.OFFICER_ACTIONS:
                assert r.status_code == 422 and r.json()["field"] == "action", case  # not an officer's action
            elif expected is not None:
                assert r.status_code == 403 and r.json()["field"] == "action", case
            else:
                assert r.status_code == 409 and r.json()["field"] == "action", case
                assert f"{status} -> " in r.json()["detail"], case
            walked += 1
    assert walked == 48


def test_the_portal_renew_form_in_every_status(client, db):
    """The manager's one path: a verified venue renews (in its window), a lapsed or withdrawn one asks
    to renew (submitted, back to the officer queue), any other is refused in words, never a 500."""
    venue = make_venue(db)
    manager = db.get(User, venue.manager_user_id)
    csrf = login(client, db, manager)
    today = service.london_today(utcnow())
    outcomes = {}
    for status in VENUE_STATUSES:
        _set(venue, status, today)
        db.flush()
        r = client.post(
            f"/venue-portal/{venue.id}/renew",
            data={"csrf_token": csrf, "new_starters": "2"},
            headers={"accept": "text/html"},
            follow_redirects=False,
        )
        db.expire_all()
        outcomes[status] = (r.status_code, db.get(Venue, venue.id).status)
        if r.status_code != 303:
            assert 'id="error-summary"' in r.text, status
    assert outcomes == {
        "submitted": (409, "submitted"),
        "changes_requested": (409, "changes_requested"),
        "verified": (303, "verified"),
        "rejected": (409, "rejected"),
        "lapsed": (303, "submitted"),
        "withdrawn": (303, "submitted"),
    }
