"""Issue 19 guards for the venues area: the register export is audited, the renewal reminders follow
the configured window, the mails keep their wording, the multi-field error is the shared one, a
hand-made ``?saved=`` shows no success message, and the pages call the service only."""

from __future__ import annotations

import ast
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from nte.audit.models import AuditEvent
from nte.db import utcnow
from nte.errors import FieldErrors
from nte.notifications.models import OutboxMessage
from nte.venues import jobs, messages, service
from nte.venues.config import get_venue_settings
from nte.venues.exceptions import VenueInvalid
from tests.factories import bearer, login, make_user, make_venue

VENUES = Path(__file__).resolve().parents[2] / "nte" / "venues"


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
def test_the_register_export_is_audited(client, db, fmt):
    officer = make_user(db, role="officer")
    venue = make_venue(db, status="verified")
    r = client.get(f"/api/venues/register?format={fmt}&status=verified", headers=bearer(db, officer))
    assert r.status_code == 200 and str(venue.id) in r.text
    events = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "venues.export")).all()
    assert len(events) == 1, "the register export wrote no audit event"
    [event] = events
    assert event.actor_user_id == officer.id and event.target_type == "venue_register"
    assert event.detail["format"] == fmt and event.detail["status"] == "verified" and event.detail["venues"] >= 1
    assert r.headers["content-disposition"].startswith('attachment; filename="venue-register-')
    assert r.headers["cache-control"] == "private, no-store"


def test_the_register_csv_neutralises_formulas(db, settings):
    make_venue(db, status="verified", name="=HYPERLINK(1)")
    rows = service.register(
        db, ward=None, status="verified", scheme=None, include_examples=False, settings=settings, now=utcnow()
    )
    assert rows
    text = service.register_csv(rows)
    assert "'=HYPERLINK(1)" in text and "\r\n" in text


@pytest.fixture()
def window_90(monkeypatch):
    monkeypatch.setenv("NTE_VENUE_RENEWAL_WINDOW_DAYS", "90")
    get_venue_settings.cache_clear()
    yield
    get_venue_settings.cache_clear()


def test_the_first_renewal_reminder_goes_when_the_configured_window_opens(db, settings, window_90):
    now = utcnow()
    venue = make_venue(db, status="verified")
    venue.renewal_date = service.london_today(now) + timedelta(days=90)
    db.flush()
    assert jobs.renewal_reminders(db, now=now) == 1
    [mail] = db.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"venue-renewal:{venue.id}:%"))
    ).all()
    assert mail.dedupe_key.endswith(":90")
    assert "(90 days from now)" in mail.body and "60 days" not in mail.body


def test_reminder_days_follow_the_window():
    assert service.reminder_days(60) == service.REMINDER_DAYS == (60, 30, 7)
    assert service.reminder_days(90) == (90, 30, 7)
    assert service.reminder_days(20) == (20, 7)


def test_mail_wording_is_unchanged():
    """The templates render to the words the service has always sent (the outbox is read by people)."""
    link = "https://nte.example/x"
    assert messages.CONFIRM_EMAIL.render(link=link) == (
        "Confirm your e-mail address for NTE Safe",
        "Hello,\n\nSomeone signed a venue up to the Women's Night Safety Charter on NTE Safe with this e-mail "
        f"address. If it was you, please confirm the address (the link works for 72 hours):\n\n{link}\n\n"
        "Then a community safety officer will check the sign-up. If it was not you, ignore this e-mail: "
        "the account cannot be used until the address is confirmed.\n",
    )
    assert messages.ALREADY_REGISTERED.render(link=link)[1] == (
        "Hello,\n\nSomeone tried to sign a venue up to the Women's Night Safety Charter on NTE Safe with this "
        "e-mail address, which already has an account. Nothing was created and your account is unchanged.\n\n"
        f"If it was you, sign in to your venue portal instead:\n\n{link}\n\nIf it was not you, ignore this e-mail.\n"
    )
    assert messages.CHANGES_REQUESTED.render(venue="The 100% Bar", reasons="Fix it", link=link) == (
        "The 100% Bar: please make changes to your charter sign-up",
        "Hello,\n\nA community safety officer has checked the Women's Night Safety Charter sign-up for The 100% Bar "
        "and asks you to change some things before it can be verified:\n\nFix it\n\n"
        f'Sign in to your venue portal, make the changes and press "Resubmit for checking":\n\n{link}\n\n'
        "The officer will then check the sign-up again.\n",
    )
    assert messages.decision(verified=True, venue="V", reason="ok", renewal_date=date(2027, 3, 2)) == (
        "V: your charter sign-up was verified",
        "Your Women's Night Safety Charter sign-up for V was verified.\n\nReason: ok\n\nRenewal is due by 2027-03-02.",
    )
    assert messages.decision(verified=False, venue="V", reason=None, renewal_date=date(2027, 3, 2)) == (
        "V: your charter sign-up was not accepted",
        "Your Women's Night Safety Charter sign-up for V was not accepted.",
    )
    subject, body = messages.SPOT_CHECK_FAILED.render(
        venue="V", checked="2 March 2027", findings="F", due="30 March 2027", link=link
    )
    assert subject == "V: a spot check found things to put right by 30 March 2027"
    assert body == (
        "Hello,\n\nA community safety officer's spot check of V on 2 March 2027 found things to put right:\n\n"
        "F\n\nPlease put them right by 30 March 2027. An officer will check again; if the venue has not passed a "
        "re-check by then, its charter record lapses and it leaves the public map.\n\nSee it in your venue portal: "
        f"{link}\n"
    )
    day = messages.day_month_year(date(2027, 3, 2))
    assert messages.RENEWAL_REMINDER.render(venue="V", date=day, days=30, link=link) == (
        "Renew V's Women's Night Safety Charter by 02 March 2027",
        "The charter record for V is due for renewal on 02 March 2027 (30 days from now).\n\nReview your pledges "
        f"and training, then renew in the venue portal: {link}\n\nIf it is not renewed it will lapse and leave "
        "the public map.",
    )
    assert messages.LAPSED.render(venue="V", date=day) == (
        "V's charter record has lapsed",
        "The charter record for V was not renewed by 02 March 2027 and has lapsed. Ask to renew it in the venue "
        "portal: a community safety officer will check it, and it returns to the public map when verified.",
    )
    assert messages.ACTION_OVERDUE_LAPSED.render(venue="V", due="30 March 2027", findings="F", link=link) == (
        "V's charter record has lapsed after a failed spot check",
        "A spot check of V found things to put right by 30 March 2027:\n\nF\n\nNo re-check has passed since, so "
        "the charter record has lapsed and the venue has left the public map. Put the findings right, then ask "
        f"to renew in the venue portal: {link}",
    )


def test_venue_invalid_is_the_shared_multi_field_error(client):
    error = VenueInvalid({"name": "Enter the venue's name.", "postcode": "Enter the postcode."})
    assert isinstance(error, FieldErrors) and error.code == "invalid" and error.field == "name"
    assert [f["field"] for f in error.body()["fields"]] == ["name", "postcode"]
    r = client.post("/api/venues/sign-ups", json={"name": ""})
    assert r.status_code == 422 and r.json()["field"] == "name"
    assert {"name", "postcode", "contact_email"} <= {f["field"] for f in r.json()["fields"]}


def test_a_hand_made_saved_shows_no_success_message(client, db):
    venue = make_venue(db, status="verified")
    owner = db.get(service.User, venue.manager_user_id)
    login(client, db, owner)
    page = client.get(f"/venue-portal/{venue.id}?saved=Account closed", headers={"accept": "text/html"})
    assert page.status_code == 200 and venue.name in page.text
    assert 'class="success"' not in page.text
    sent = client.get(f"/venue-portal/{venue.id}?saved=details", headers={"accept": "text/html"})
    assert 'class="success"' in sent.text
    officer = make_user(db, role="officer")
    login(client, db, officer)
    page = client.get(f"/officer/venues/{venue.id}?saved=whatever", headers={"accept": "text/html"})
    assert page.status_code == 200 and 'class="success"' not in page.text


def test_a_sent_portal_form_keeps_the_pages_language(client, db):
    venue = make_venue(db, status="verified")
    owner = db.get(service.User, venue.manager_user_id)
    csrf = login(client, db, owner)
    for query, kept in (("?lang=pl", "&lang=pl"), ("?lang=zz", ""), ("", "")):
        r = client.post(
            f"/venue-portal/{venue.id}/staff{query}",
            data={"csrf_token": csrf, "staff_count": "12"},
            headers={"accept-language": "tr"},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == f"/venue-portal/{venue.id}?saved=staff{kept}"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


@pytest.mark.parametrize("module", ["pages.py", "router.py"])
def test_the_web_edge_calls_the_service_only(module):
    imports = _imports(VENUES / module)
    assert "nte.venues.service" in imports or "nte.venues.service" in {i.rsplit(".", 1)[0] for i in imports}
    reaching = {i for i in imports if "repository" in i or i.startswith("nte.audit")}
    assert not reaching, f"{module} reaches past the service: {sorted(reaching)}"
    text = (VENUES / module).read_text(encoding="utf-8")
    assert "service.repo" not in text and "request.form()" not in text and "require_page_roles" not in text


def test_the_service_package_has_no_module_past_a_few_hundred_lines():
    modules = sorted((VENUES / "service").glob("*.py"))
    assert len(modules) >= 10
    for path in modules:
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 400, path.name


def test_a_sign_up_password_is_kept_exactly_as_typed(client, db):
    """The sign-in form takes the password as typed: so does the sign-up form (no trimming)."""
    import re

    from nte.auth import repository as auth_repo
    from nte.auth.security import verify_password
    from tests.factories import venue_form

    page = client.get("/venues/sign-up")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    data = {**venue_form(contact_email="exact@example.org"), "csrf_token": token}
    data.update(password=" spaced out password ", password_confirm=" spaced out password ")
    r = client.post("/venues/sign-up", data=data, headers={"accept": "text/html"})
    assert r.status_code == 201, r.text[:500]
    user = auth_repo.get_user_by_email(db, "exact@example.org")
    assert user is not None and verify_password(user.password_hash, " spaced out password ")
