"""/ogc's pages as people use them, in real Chromium: each page type (and each state: the empty
answer, a 404 feature, a 400) on a 375 px phone in English and in Arabic (right to left), no wider
than the screen, axe-clean, with the quick exit the element under its own centre at the top and
the bottom of the page; the journey landing -> collections -> a collection -> its features -> the
next page -> a feature -> back; and a mistake (a bad filter) that lands on the error page, which
says what is wrong and leads back."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.support.browser import axe_check, phone_layout_problems
from tests.web.test_phone_browser import PHONE_WIDTH, _open_phone

pytestmark = pytest.mark.browser

WARDS = "/ogc/collections/wards-2022-05"
LANGUAGES = ["en", "ar"]


@pytest.fixture(scope="module")
def ward_code(live_server) -> str:
    import httpx

    features = httpx.get(f"{live_server.url}{WARDS}/items", params={"limit": 1}).json()["features"]
    assert features, "the browser database has no wards"
    return features[0]["id"]


def _pages(ward: str) -> list[tuple[str, int]]:
    """Every page type and state, with the status it answers."""
    return [
        ("/ogc?f=html", 200),
        ("/ogc/collections?f=html", 200),
        (f"{WARDS}?f=html", 200),
        (f"{WARDS}/queryables?f=html", 200),
        (f"{WARDS}/items?f=html&limit=20", 200),
        (f"{WARDS}/items/{ward}?f=html", 200),
        ("/ogc/api.html", 200),
        ("/ogc/conformance?f=html", 200),
        (f"{WARDS}/items?f=html&filter=" + quote("name = 'No such ward anywhere'"), 200),  # empty
        (f"{WARDS}/items/NO-SUCH-WARD?f=html", 404),
        (f"{WARDS}/items?f=html&filter=" + quote("nmae = 'Soho'"), 400),
    ]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_type_fits_a_phone_is_accessible_and_keeps_the_quick_exit_on_top(
    browser, live_server, ward_code, lang
):
    context, page = _open_phone(browser)
    seen: list[str] = []
    page.on("request", lambda req: seen.append(req.url))
    problems: list[str] = []
    try:
        for path, status in _pages(ward_code):
            response = page.goto(f"{live_server.url}{path}{'&' if '?' in path else '?'}lang={lang}")
            assert response is not None and response.status == status, (path, response and response.status)
            page.wait_for_load_state("load")
            assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr"), path
            assert page.get_attribute("html", "lang") == lang, path
            assert page.locator("h1").first.is_visible(), path
            problems += phone_layout_problems(page, path, PHONE_WIDTH)
            page.evaluate("() => window.scrollTo(0, 0)")
            axe_check(page)
    finally:
        context.close()
    external = [u for u in seen if not u.startswith((live_server.url, "data:", "blob:", "about:"))]
    assert not external, f"requests left the host: {external}"
    assert not problems, f"{lang}:\n" + "\n".join(problems)


def test_the_journey_from_the_landing_page_to_a_feature_and_back(page, live_server):
    page.goto(f"{live_server.url}/ogc", wait_until="load")  # a browser's Accept header: the page
    assert page.locator("h1").inner_text() == "Data for GIS tools"
    assert page.locator("#ogc-address").inner_text().endswith("/ogc")
    with page.expect_navigation():
        page.get_by_role("link", name="Collections", exact=True).first.click()
    assert page.url.startswith(f"{live_server.url}/ogc/collections")
    with page.expect_navigation():
        page.locator(f"a[href='{WARDS}?f=html']").click()
    assert "Extent" in page.locator("main").inner_text()
    with page.expect_navigation():
        page.get_by_role("link", name="See the features").click()
    count = page.locator("#feature-count").inner_text()
    match = re.fullmatch(r"Showing 1–100 of ([\d,]+) features", count.strip())
    assert match, count
    matched = int(match.group(1).replace(",", ""))
    assert matched > 100, "the journey needs a second page"
    first_ids = page.locator("tbody th[scope=row] a").all_inner_texts()
    assert len(first_ids) == 100
    with page.expect_navigation():
        page.locator("#next-page").click()
    assert page.locator("#feature-count").inner_text().strip().startswith(f"Showing 101–{min(200, matched)} of ")
    second_ids = page.locator("tbody th[scope=row] a").all_inner_texts()
    assert second_ids and not set(first_ids) & set(second_ids) and min(second_ids) > max(first_ids)
    items_url = page.url
    with page.expect_navigation():
        page.locator("tbody th[scope=row] a").first.click()
    assert second_ids[0] in page.locator("h1").inner_text()
    assert "borough_name" in page.locator("#properties").inner_text()
    page.wait_for_selector("#feature-map[data-ready='1']")  # its small map drew the ward (from this host)
    assert page.locator("#feature-map path.leaflet-interactive, #feature-map svg path").count() > 0
    with page.expect_navigation():
        page.locator("#back-to-items").click()
    assert page.locator("#feature-count").inner_text().strip().startswith("Showing 1–100 of ")
    # The browser's own Back returns through the history: the feature, then the second page.
    page.go_back()
    page.go_back()
    assert page.url == items_url
    assert page.locator("#feature-count").inner_text().strip().startswith("Showing 101–")


def test_a_bad_filter_gets_the_error_page_which_says_what_is_wrong_and_leads_back(page, live_server):
    page.goto(f"{live_server.url}{WARDS}/items?f=html&lang=ar", wait_until="load")
    page.fill("#filter", "nmae = 'Soho'")
    with page.expect_navigation() as sent:
        page.locator("form.ogc-filter-form button[type=submit]").click()
    assert sent.value.status == 400
    assert page.get_attribute("html", "dir") == "rtl"
    alert = page.locator("#ogc-error").inner_text()
    assert "خطأ" in alert  # the reader's language says there is a mistake...
    main = page.locator("main").inner_text()
    assert "filter" in main and "nmae" in main  # ...and the service's sentence names the parameter
    axe_check(page)
    with page.expect_navigation() as back:
        page.locator("#ogc-way-back a").first.click()
    assert back.value.status == 200
    assert page.url.endswith(f"{WARDS}/items?f=html&lang=ar")
    assert page.locator("tbody tr").count() > 0
