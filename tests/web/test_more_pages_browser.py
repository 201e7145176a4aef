"""The remaining foundation pages in a real browser, each axe-core clean: admin (accounts, outbox,
audit log), officer home, data sources, privacy, e-mail confirmation."""

from __future__ import annotations

import pytest

from nte.auth import service
from nte.db import utcnow
from nte.notifications import service as outbox
from tests.support.browser import axe_check, sign_in

pytestmark = pytest.mark.browser


def _account(live_server, email: str, role: str) -> None:
    with live_server.session_factory.begin() as s:
        if not s.query(service.User).filter_by(email=email).first():
            service.create_user(
                s,
                email=email,
                display_name=f"Browser {role}",
                role=role,
                password="a browser password",
                confirmed_at=utcnow(),
            )
            outbox.enqueue(s, to="someone@example.org", subject="A queued reminder", body="Body text")


@pytest.mark.parametrize("path", ["/about/data", "/about/privacy", "/confirm-email?token=abc"])
def test_public_pages(page, live_server, path):
    page.goto(live_server.url + path)
    assert page.locator("h1").count() == 1
    axe_check(page)


def test_admin_pages(page, live_server):
    _account(live_server, "browser-admin@example.org", "admin")
    sign_in(page, live_server, "browser-admin@example.org", "a browser password")
    for path, text in [("/admin", "Accounts"), ("/admin/outbox", "A queued reminder"), ("/admin/audit", "user.create")]:
        page.goto(live_server.url + path)
        assert text in page.content(), path
        axe_check(page)


def test_officer_home(page, live_server):
    _account(live_server, "browser-officer-home@example.org", "officer")
    sign_in(page, live_server, "browser-officer-home@example.org", "a browser password")
    page.goto(live_server.url + "/officer")
    assert page.locator("a[href='/officer/reports']").count() == 1
    axe_check(page)
