"""Home and sign-in pages in a real browser: axe-core clean, keyboard usable, nothing from other hosts."""

from __future__ import annotations

import pytest

from nte.auth import service
from nte.db import utcnow
from tests.support.browser import axe_check

pytestmark = pytest.mark.browser


def test_home_page_is_accessible_and_has_quick_exit(page, live_server):
    page.goto(live_server.url + "/")
    assert page.title().startswith("Safer nights")
    axe_check(page)
    exit_link = page.locator("#quick-exit")
    assert exit_link.is_visible() and exit_link.get_attribute("href").startswith("https://")
    # Keyboard: the first Tab reaches the quick exit, the second the skip link.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "quick-exit"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"


def test_home_page_in_arabic_is_right_to_left(page, live_server):
    page.goto(live_server.url + "/?lang=ar")
    assert page.get_attribute("html", "dir") == "rtl" and page.get_attribute("html", "lang") == "ar"
    axe_check(page)


def test_sign_in_by_keyboard_and_errors_are_accessible(page, live_server):
    with live_server.session_factory.begin() as s:
        if not s.query(service.User).filter_by(email="browser-officer@example.org").first():
            service.create_user(
                s,
                email="browser-officer@example.org",
                display_name="Browser Officer",
                role="officer",
                password="a browser password",
                confirmed_at=utcnow(),
            )
    page.goto(live_server.url + "/login")
    axe_check(page)
    page.focus("#email")
    page.keyboard.type("browser-officer@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("wrong password")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector(".error-summary")
    axe_check(page)
    page.fill("#password", "a browser password")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto(live_server.url + "/account")
    assert "Browser Officer" in page.content()
    axe_check(page)
