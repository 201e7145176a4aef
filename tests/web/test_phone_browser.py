"""Every public page as a person meets it on a small phone (375 x 812, touch), in English and in
Arabic (right to left): the page is no wider than the screen, its heading shows, and the quick exit
is the element under its own centre wherever the page is scrolled (no map, pane or control on top).
axe passing cannot see any of this."""

from __future__ import annotations

import pytest

from tests.support.browser import STEP_TIMEOUT_MS

pytestmark = pytest.mark.browser

#: The public pages that carry the quick exit (the ones a person may need to leave in a hurry).
PUBLIC_PAGES = ["/", "/help-now", "/report", "/report/status", "/map", "/venues", "/about/privacy"]
LANGUAGES = ["en", "ar"]
PHONE_WIDTH = 375

_QUICK_EXIT_ON_TOP = """() => {
  const button = document.getElementById("quick-exit");
  const r = button.getBoundingClientRect();
  const under = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return {on_top: !!under && button.contains(under), under: under ? under.outerHTML.slice(0, 120) : null,
          visible: r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight};
}"""


@pytest.fixture()
def phone(browser, live_server):
    context = browser.new_context(
        viewport={"width": PHONE_WIDTH, "height": 812},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="en-GB",
    )
    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    seen: list[str] = []
    page.on("request", lambda req: seen.append(req.url))
    yield page
    context.close()
    external = [u for u in seen if not u.startswith((live_server.url, "data:", "blob:", "about:"))]
    assert not external, f"requests left the host: {external}"


def test_the_pages_walked_are_the_public_ones():
    assert len(PUBLIC_PAGES) >= 7 and LANGUAGES == ["en", "ar"]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_public_page_fits_a_phone_and_its_quick_exit_stays_on_top(phone, live_server, path, lang):
    phone.goto(f"{live_server.url}{path}?lang={lang}")
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
        state = phone.evaluate(_QUICK_EXIT_ON_TOP)
        assert state["visible"], f"the quick exit is off screen at scroll {y} on {path}?lang={lang}"
        assert state["on_top"], f"at scroll {y} on {path}?lang={lang} the quick exit is under {state['under']}"
