"""Browser: an officer makes a token for QGIS on the account page (after a mistake), a GIS client
uses it on /ogc, and revoking it on the same page stops it at once. Each page passes axe-core."""

from __future__ import annotations

import httpx
import pytest

from nte.auth import service as auth_service
from nte.db import utcnow
from tests.support.browser import axe_check, sign_in

pytestmark = pytest.mark.browser
PASSWORD = "a GIS analyst's password"  # noqa: S105


def _officer(live_server) -> str:
    email = "gis-officer@example.org"
    with live_server.session_factory.begin() as s:
        if not s.query(auth_service.User).filter_by(email=email).first():
            auth_service.create_user(
                s, email=email, display_name="Gis Officer", role="officer", password=PASSWORD, confirmed_at=utcnow()
            )
    return email


def test_officer_makes_uses_and_revokes_a_token_for_qgis(page, live_server):
    sign_in(page, live_server, _officer(live_server), PASSWORD)
    page.goto(f"{live_server.url}/account")
    assert "/ogc" in page.locator("#ogc-url").inner_text()
    axe_check(page)

    # A mistake first: no name.
    with page.expect_navigation():
        page.click("form[action='/account/tokens'] button[type=submit]")
    assert "name" in page.locator(".error-message").first.inner_text().lower()
    assert page.locator("#new-token").count() == 0
    axe_check(page)

    page.fill("#name", "QGIS on my laptop")
    page.select_option("#days", "30")
    with page.expect_navigation():
        page.click("form[action='/account/tokens'] button[type=submit]")
    shown = page.locator("#new-token code").first.inner_text().strip()
    assert shown.startswith("nte_")
    assert "QGIS on my laptop" in page.locator("table.tokens").inner_text()
    axe_check(page)

    # What QGIS sends with the connection's API header.
    items = f"{live_server.url}/ogc/collections/reports/items"
    answer = httpx.get(items, headers={"Authorization": f"Bearer {shown}", "Accept": "application/geo+json"})
    assert answer.status_code == 200 and answer.json()["type"] == "FeatureCollection"

    # Reloading the page never shows the token again.
    page.goto(f"{live_server.url}/account")
    assert shown not in page.content()

    with page.expect_navigation():
        page.click("table.tokens tr:has-text('QGIS on my laptop') button")
    assert "revoked" in page.locator("[role=status]").first.inner_text()
    assert "revoked" in page.locator("table.tokens tr:has-text('QGIS on my laptop')").inner_text()
    axe_check(page)
    refused = httpx.get(items, headers={"Authorization": f"Bearer {shown}"})
    assert refused.status_code == 401
