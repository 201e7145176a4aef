"""The public area map in a real browser, on a phone (375 px, touch), in English and in Arabic: it
opens on public reports (people who reported to NTE Safe), says so, and on the newest period with
their figures; a person who followed a mistyped link reads what is wrong in words; they switch to
police-recorded crime with a plain link (no script needed), keeping their language, and it opens on
2016's police data, credited to police.uk; they read a small count as "fewer than 10" in their
language, never 0; zoomed in, the wards' names show on the map (no tiles needed); axe passes and
nothing is wider than the screen."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from nte.db import utcnow
from nte.maps.filters import add_months, london_today
from tests.support.browser import STEP_TIMEOUT_MS, axe_check

pytestmark = pytest.mark.browser

SOHO = (-0.1337, 51.5136)
HACKNEY = (-0.0553, 51.5450)
PHONE_WIDTH = 375
FEWER = {"en": "fewer than 10", "ar": "أقل من 10"}
FEWER_EACH_MONTH = {"en": "fewer than 10 in each month", "ar": "أقل من 10 في كل شهر"}
SHOW = {"en": "Show figures", "ar": "اعرض الأرقام"}
POLICE = {"en": "Police-recorded crime", "ar": "جرائم سجّلتها الشرطة"}
PUBLIC = {"en": "Public reports", "ar": "بلاغات الجمهور"}
NO_SETTING = {"en": "This map has no setting called 'sorce'.", "ar": "لا يوجد في هذه الخريطة إعداد باسم 'sorce'."}
PUBLIC_CACHES = ("public", "public-month")


def _forget_publication(session) -> None:
    """As on a new deployment: nothing published yet (the session's server may have published
    empty months for other tests before these reports existed)."""
    from nte.maps import repository as repo

    for kind in PUBLIC_CACHES:
        repo.delete_cache_older_than(session, kind=kind, before=datetime(9999, 1, 1, tzinfo=UTC))


@pytest.fixture()
def seeded(live_server):
    """Police records from 2016 (12 in Soho's ward in June, 3 in Hackney's in March) and 11 reports
    made here in Soho in the last published month."""
    from nte.reports.models import Report
    from tests.factories import make_map_report

    last = add_months(london_today(utcnow()).replace(day=1), -1)
    if london_today(utcnow()).day <= 7:  # the month just ended is published a week after it ends
        last = add_months(last, -1)
    with live_server.session_factory.begin() as s:
        for i in range(12):
            make_map_report(
                s,
                lon=SOHO[0],
                lat=SOHO[1],
                occurred_at=datetime(2016, 6, 1, tzinfo=UTC),
                source="police",
                time_precision="month",
                external_id=f"public-browser-police-soho-{i}",
            )
        for i in range(3):
            make_map_report(
                s,
                lon=HACKNEY[0],
                lat=HACKNEY[1],
                occurred_at=datetime(2016, 3, 1, tzinfo=UTC),
                source="police",
                time_precision="month",
                external_id=f"public-browser-police-hackney-{i}",
            )
        for i in range(11):
            make_map_report(
                s,
                lon=SOHO[0],
                lat=SOHO[1],
                occurred_at=datetime(last.year, last.month, 10, 21, tzinfo=UTC),
                external_id=f"public-browser-site-{i}",
            )
        _forget_publication(s)
    yield last
    with live_server.session_factory.begin() as s:
        for report in s.query(Report).filter(Report.external_id.like("public-browser-%")):
            s.delete(report)
        _forget_publication(s)


@pytest.fixture()
def phone(browser, live_server):
    context = browser.new_context(
        viewport={"width": PHONE_WIDTH, "height": 812}, is_mobile=True, has_touch=True, locale="en-GB"
    )
    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    seen: list[str] = []
    page.on("request", lambda req: seen.append(req.url))
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    external = [u for u in seen if not u.startswith((live_server.url, "data:", "blob:", "about:"))]
    assert not external, f"requests left the host: {external}"
    assert not errors, f"script errors: {errors}"


def _fits(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"the page is {width} px wide on a {PHONE_WIDTH} px screen"


def _ward_cell(page, ward_code: str, source: str) -> str:
    return page.inner_text(f'tr[data-ward="{ward_code}"] td[data-source="{source}"]')


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_public_map_opens_on_figures_changes_period_and_names_wards(phone, live_server, seeded, lang):
    from nte.wards import service as ward_service

    with live_server.session_factory() as s:
        soho = ward_service.locate(s, lon=SOHO[0], lat=SOHO[1], settings=live_server.settings).code
        hackney = ward_service.locate(s, lon=HACKNEY[0], lat=HACKNEY[1], settings=live_server.settings).code
    page = phone
    # The mistake: a shared link with a misspelt parameter. The page says what is wrong, in words, and
    # still shows the map (public reports, its opening period).
    page.goto(f"{live_server.url}/map?lang={lang}&sorce=police")
    page.wait_for_selector("#map[data-loaded-choropleth]")
    assert page.inner_text(".error-summary [data-field=sorce]") == NO_SETTING[lang]
    _fits(page)
    axe_check(page)
    # Public reports are what it shows, and it says so; it opens on the last published month, where
    # Soho has figures. 2016's police records are not in it.
    page.goto(f"{live_server.url}/map?lang={lang}")
    page.wait_for_selector("#map[data-loaded-choropleth]")
    page.wait_for_selector("#map[data-wards-loaded]")
    assert page.get_attribute("#source-shown", "data-source") == "public"
    assert PUBLIC[lang] in page.inner_text("#source-shown")
    assert page.get_attribute(".period-meta", "data-period") == f"month-{seeded:%Y-%m}"
    assert page.locator("#period option:checked").get_attribute("value") == f"month-{seeded:%Y-%m}"
    assert _ward_cell(page, soho, "public") == "10"
    assert page.locator('td[data-source="police"]').count() == 0
    assert page.locator("#police-attribution").count() == 0
    options = page.locator("#period option").evaluate_all("options => options.map(o => o.value)")
    assert options == [f"month-{seeded:%Y-%m}"], options  # periods with public figures only
    _fits(page)
    axe_check(page)
    # Switch to police-recorded crime: a plain link, the language kept; it opens on 2016.
    with page.expect_navigation():
        page.locator(".source-switch").get_by_role("link", name=POLICE[lang]).click()
    page.wait_for_selector("#map[data-loaded-choropleth]")
    assert "source=police" in page.url and (lang == "en" or f"lang={lang}" in page.url)
    assert page.get_attribute("html", "lang") == lang
    assert page.get_attribute("#source-shown", "data-source") == "police"
    assert POLICE[lang] in page.inner_text("#source-shown") and POLICE[lang] in page.inner_text("h1")
    assert page.get_attribute(".source-switch a[aria-current]", "data-source-choice") == "police"
    assert "Open Government Licence v3.0" in page.inner_text("#police-attribution")
    options = page.locator("#period option").evaluate_all("options => options.map(o => o.value)")
    assert options == ["year-2016"], options
    assert page.get_attribute(".period-meta", "data-period") == "year-2016"
    # Showing the period again keeps both the source and the language.
    with page.expect_navigation():
        page.get_by_role("button", name=SHOW[lang]).click()
    page.wait_for_selector("#map[data-loaded-choropleth]")
    assert "period=year-2016" in page.url and "source=police" in page.url
    assert lang == "en" or f"lang={lang}" in page.url
    assert page.get_attribute(".period-meta", "data-period") == "year-2016"
    assert _ward_cell(page, hackney, "police") == FEWER_EACH_MONTH[lang]
    assert page.locator('td[data-source="public"]').count() == 0
    cells = page.locator("td[data-source]").all_inner_texts()
    assert cells and not [c for c in cells if c.strip() in ("0", "")], "a hidden count reads as 0"
    assert "2016" in page.inner_text("#period-title")
    # Without tiles the wards can still be told apart: outlines, and names once zoomed in.
    assert page.get_attribute("#map", "data-ward-labels") == "hidden"
    assert page.locator(".nte-ward-label").count() == 0
    for _ in range(6):
        if page.get_attribute("#map", "data-ward-labels") == "shown":
            break
        page.locator(".leaflet-control-zoom-in").click()
        page.wait_for_timeout(400)
    assert page.get_attribute("#map", "data-ward-labels") == "shown"
    names = set(page.locator("tr[data-ward] th bdi").all_inner_texts())
    box = page.locator("#map").bounding_box()
    in_view = [
        label
        for label in page.locator(".nte-ward-label").all()
        if (b := label.bounding_box())
        and box["x"] <= b["x"] + b["width"] / 2 <= box["x"] + box["width"]
        and box["y"] <= b["y"] + b["height"] / 2 <= box["y"] + box["height"]
    ]
    assert in_view, "no ward name shows on the zoomed-in map"
    assert all(label.inner_text() in names for label in in_view)
    assert page.locator(".nte-ward-label bdi").count() == page.locator(".nte-ward-label").count()
    if lang == "ar":
        assert page.get_attribute(".leaflet-control-zoom-in", "title") == "تكبير"
    _fits(page)
    axe_check(page)
