"""The place search widget on the venue sign-up page, in a real browser on a small phone, in English
and Arabic: a mistyped postcode says no place was found, the corrected one is listed, choosing it
moves the pin (and fills longitude/latitude), the page stays 375 px wide, and axe finds nothing."""

from __future__ import annotations

import pytest

from nte.db import utcnow
from nte.places import service as places
from nte.web.i18n import translations
from tests.support.browser import STEP_TIMEOUT_MS, axe_check

pytestmark = pytest.mark.browser

POSTCODE = ("WC2H 9NG", -0.131300, 51.513600)


@pytest.fixture(scope="module")
def postcode_point(live_server) -> None:
    with live_server.session_factory.begin() as s:
        places.fill_from_points(s, points=[POSTCODE], now=utcnow())


@pytest.fixture()
def phone(browser, live_server):
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True, device_scale_factor=2, locale="en-GB"
    )
    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    seen: list[str] = []
    page.on("request", lambda req: seen.append(req.url))
    yield page
    context.close()
    external = [u for u in seen if not u.startswith((live_server.url, "data:", "blob:", "about:"))]
    assert not external, f"requests left the host: {external}"


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_find_a_postcode_and_move_the_pin_on_a_phone(phone, live_server, postcode_point, lang):
    _ = translations(lang).gettext
    phone.goto(f"{live_server.url}/venues/sign-up?lang={lang}")
    assert phone.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
    axe_check(phone)
    assert phone.input_value("#lon") == "" and phone.input_value("#lat") == ""
    status = phone.locator("#place-status")

    phone.fill("#place-input", "WC2H 9N")  # the last letter missing
    phone.press("#place-input", "Enter")  # searches; does not submit the sign-up form
    none_found = _("No place found: check the postcode, or try a street name.")
    assert none_found != "No place found: check the postcode, or try a street name." or lang == "en"
    phone.wait_for_function("text => document.getElementById('place-status').textContent === text", arg=none_found)
    assert phone.locator("#place-results li").count() == 0
    assert phone.url.startswith(f"{live_server.url}/venues/sign-up")  # still the same page, no submission

    phone.fill("#place-input", "WC2H 9NG")
    phone.click("#place-find")
    choice = phone.locator("#place-results button").first
    choice.wait_for()
    assert status.text_content() == _("1 place found. Choose it to go there.")
    assert choice.locator("bdi").first.text_content() == "WC2H 9NG"
    assert _("postcode") in choice.text_content()
    axe_check(phone)  # the list of choices and the status line too

    choice.tap()
    phone.wait_for_function("() => document.getElementById('lon').value !== ''")
    assert float(phone.input_value("#lon")) == pytest.approx(POSTCODE[1], abs=1e-6)
    assert float(phone.input_value("#lat")) == pytest.approx(POSTCODE[2], abs=1e-6)
    assert phone.input_value("#location_approximate") == "1"
    assert status.text_content() == _("Showing %(label)s on the map (an area, not an exact address).") % {
        "label": "WC2H 9NG"
    }
    assert phone.locator("#pin-map .leaflet-marker-icon").count() == 1  # the pin is on the map
    said = _("The pin is at %(label)s's point. Move it to the venue's entrance: click or tap the map.")
    assert phone.text_content("#pin-readout") == said % {"label": "WC2H 9NG"}

    # A tap on the map moves the pin to where the person says the entrance is: no longer approximate.
    phone.locator("#pin-map").tap(position={"x": 120, "y": 120})
    phone.wait_for_function(f"() => document.getElementById('lon').value !== '{POSTCODE[1]:.6f}'")
    assert phone.input_value("#location_approximate") == ""

    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375, f"the sign-up page is {width} px wide at 375 px ({lang})"
    axe_check(phone)
