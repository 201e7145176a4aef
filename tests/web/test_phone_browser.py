"""Every public page as a person meets it on a small phone (375 x 812, touch), in English and in
Arabic (right to left): the page is no wider than the screen, its heading shows, and the quick exit
is the element under its own centre wherever the page is scrolled (no map, pane or control on top).
axe passing cannot see any of this."""

from __future__ import annotations

import pytest

from nte.web.i18n import LANGUAGES as I18N_LANGUAGES
from tests.factories import make_venue
from tests.support.browser import QUICK_EXIT_ON_TOP, STEP_TIMEOUT_MS, phone_layout_problems

pytestmark = pytest.mark.browser

#: The public pages that carry the quick exit (the ones a person may need to leave in a hurry), with
#: help-now in its results state. ``{venue}`` is a verified venue's page.
PUBLIC_PAGES = [
    "/",
    "/help-now",
    "/help-now?ward=E05013806&show=all",
    "/report",
    "/report/status",
    "/map",
    "/venues",
    "/venues/{venue}",
    "/venues/sign-up",
    "/volunteer/apply",
    "/about/data",
    "/about/privacy",
]
LANGUAGES = ["en", "ar"]
ALL_LANGUAGES = list(I18N_LANGUAGES)
PHONE_WIDTH = 375
#: Small phones: the 2020 iPhone SE and the smallest Android screens still sold.
SCREENS = [(375, 812), (320, 640)]


@pytest.fixture(scope="module")
def venue_id(live_server) -> int:
    with live_server.session_factory.begin() as s:
        return make_venue(s, status="verified", name="Phone sweep bar").id


def _url(live_server, path: str, lang: str, venue: int) -> str:
    path = path.format(venue=venue)
    return f"{live_server.url}{path}{'&' if '?' in path else '?'}lang={lang}"


def _open_phone(browser, width: int = PHONE_WIDTH, height: int = 812):
    context = browser.new_context(
        viewport={"width": width, "height": height},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="en-GB",
    )
    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    return context, page


@pytest.fixture()
def phone(browser, live_server):
    context, page = _open_phone(browser)
    seen: list[str] = []
    page.on("request", lambda req: seen.append(req.url))
    yield page
    context.close()
    external = [u for u in seen if not u.startswith((live_server.url, "data:", "blob:", "about:"))]
    assert not external, f"requests left the host: {external}"


def test_the_pages_walked_are_the_public_ones():
    assert len(PUBLIC_PAGES) >= 12 and LANGUAGES == ["en", "ar"] and len(ALL_LANGUAGES) == 6
    assert [w for w, _ in SCREENS] == [375, 320]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_public_page_fits_a_phone_and_its_quick_exit_stays_on_top(phone, live_server, venue_id, path, lang):
    phone.goto(_url(live_server, path, lang, venue_id))
    phone.wait_for_load_state("load")
    assert phone.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{path}?lang={lang} is {width} px wide on a {PHONE_WIDTH} px screen"
    assert phone.locator("h1").first.is_visible(), "the page's heading does not show"
    height = phone.evaluate("() => document.documentElement.scrollHeight - window.innerHeight")
    # Every 100 px from top to bottom, so a map, its panes or its controls pass under the bar.
    for y in sorted({*range(0, max(height, 0) + 1, 100), max(height, 0)}):
        phone.evaluate(f"() => window.scrollTo(0, {y})")
        phone.wait_for_timeout(50)  # one frame for sticky positioning; not a synchronisation on the server
        state = phone.evaluate(QUICK_EXIT_ON_TOP)
        assert state["visible"], f"the quick exit is off screen at scroll {y} on {path}?lang={lang}"
        assert state["on_top"], f"at scroll {y} on {path}?lang={lang} the quick exit is under {state['under']}"


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", ALL_LANGUAGES)
def test_every_public_page_in_every_language_fits_small_phones(browser, live_server, venue_id, lang, screen):
    """Each page in each of the six languages, on both small screens: never wider than the screen,
    and the quick exit on top at the top, middle and bottom of the page."""
    width, height = screen
    context, page = _open_phone(browser, width, height)
    problems = []
    try:
        for path in PUBLIC_PAGES:
            page.goto(_url(live_server, path, lang, venue_id))
            page.wait_for_load_state("load")
            problems += phone_layout_problems(page, path, width)
    finally:
        context.close()
    assert not problems, f"{lang} at {width}x{height}:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_quick_exit_is_the_first_tab_stop_and_leaves_no_trace_in_history(browser, live_server, lang):
    """From a fresh tab: the first Tab reaches the quick exit; pressing it replaces the page in the
    history (Back does not return to the site). The destination is answered locally."""
    context, page = _open_phone(browser)
    context.route(
        "https://www.bbc.co.uk/**", lambda route: route.fulfill(body="<title>Weather</title>", content_type="text/html")
    )
    try:
        for path in ("/help-now", "/report", "/map"):
            page.goto("about:blank")
            page.goto(_url(live_server, path, lang, 0))
            page.wait_for_load_state("load")
            length = page.evaluate("() => history.length")
            page.keyboard.press("Tab")
            assert page.evaluate("() => document.activeElement.id") == "quick-exit", path
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert page.url.startswith("https://www.bbc.co.uk/"), page.url
            assert page.evaluate("() => history.length") == length, f"{path}: the exit added a history entry"
            page.go_back()
            assert not page.url.startswith(live_server.url), f"Back from the quick exit returned to {page.url}"
    finally:
        context.close()
