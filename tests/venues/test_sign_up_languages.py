"""Every mistake the public sign-up form can point out reads in the page's language: the service's
messages are English (the API says them) and the page translates them, those with values (a pledge's
number, a field's length) translated first and formatted after. Each case is one kind of mistake, so
a failure names it; each checks that its fields really are marked wrong, so a page that showed no
errors at all could not pass."""

from __future__ import annotations

import html
import re

import pytest

from nte.config import Settings, get_settings
from nte.db import utcnow
from nte.london import london_today
from nte.web.i18n import PSEUDO_CODE, pseudo_text
from tests.factories import venue_form
from tests.web.test_pseudo_locale import untranslated

HTML = {"accept": "text/html"}
TODAY = london_today(utcnow())
ERROR_SPAN = re.compile(r'<span class="error-message"[^>]*>')

#: name -> (what is changed in a valid form, the fields the page must mark wrong)
MISTAKES: dict[str, tuple[dict[str, str], set[str]]] = {
    "everything left empty": (
        {
            **{f: "" for f in ("name", "venue_type", "address", "postcode", "contact_email", "contact_phone")},
            **{f: "" for f in ("champion_name", "champion_role", "manager_name", "lon", "lat")},
            **{f"pledge_{n}_status": "" for n in range(1, 8)},
        },
        {
            *("name", "venue_type", "address", "postcode", "contact_email", "contact_phone"),
            *("champion_name", "champion_role", "manager_name", "location"),
            *(f"pledge_{n}_status" for n in range(1, 8)),
        },
    ),
    "everything too long": (
        {
            "name": "n" * 201,
            "address": "a" * 301,
            "postcode": "W1D 4DQ 12345",
            "licence_number": "L" * 41,
            "contact_email": "e" * 250 + "@example.org",
            "contact_phone": "0" * 26,
            "champion_name": "c" * 121,
            "champion_role": "r" * 121,
            "manager_name": "m" * 121,
            "pledge_4_how": "h" * 501,
            "password": "p" * 257,
        },
        {
            *("name", "address", "postcode", "licence_number", "contact_email", "contact_phone"),
            *("champion_name", "champion_role", "manager_name", "pledge_4_how", "password"),
        },
    ),
    "wrong formats": (
        {
            "postcode": "NOT A CODE",
            "licence_number": "=cmd|' /C calc'!A0",
            "contact_email": "nope",
            "contact_phone": "12345",
            "password": "short",
            "password_confirm": "short",
        },
        {"postcode", "licence_number", "contact_email", "contact_phone", "password"},
    ),
    "passwords differ": ({"password_confirm": "another long password"}, {"password_confirm"}),
    "pledges half done": (
        {
            "pledge_1_how": "",
            "pledge_2_status": "not_yet",
            "pledge_2_target": "",
            "pledge_3_status": "not_yet",
            "pledge_3_target": "31/12/2026",
            "pledge_4_status": "not_yet",
            "pledge_4_target": "2001-01-01",
            "pledge_5_status": "not_yet",
            "pledge_5_target": TODAY.replace(year=TODAY.year + 5).isoformat(),
        },
        {"pledge_1_how", "pledge_2_target", "pledge_3_target", "pledge_4_target", "pledge_5_target"},
    ),
    "unreadable longitude and latitude": ({"lon": "west", "lat": "north"}, {"lon"}),
    "unreadable latitude": ({"lat": "north"}, {"lat"}),
    "pin outside the area": ({"lon": "-0.0005", "lat": "51.5450"}, {"location"}),
    "unknown postcode, no pin": ({"postcode": "SW1A 9ZZ", "lon": "", "lat": ""}, {"postcode"}),
}


@pytest.fixture()
def settings() -> Settings:
    """The ``app`` and ``client`` fixtures build the real app from these settings."""
    return get_settings().model_copy(update={"pseudo_locale": True})


def _post(client, anon_csrf, lang, form):
    return client.post("/venues/sign-up", params={"lang": lang}, data={**form, "csrf_token": anon_csrf}, headers=HTML)


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_every_sign_up_mistake_reads_in_the_pages_language(client, anon_csrf, mistake):
    changes, fields = MISTAKES[mistake]
    response = _post(client, anon_csrf, PSEUDO_CODE, venue_form(**changes))
    assert response.status_code == 422, response.text[:300]
    html = response.text
    for field in fields:
        assert f'href="#{field}"' in html, f"{mistake}: {field} is not in the error summary"
    assert len(ERROR_SPAN.findall(html)) >= len(fields), f"{mistake}: fewer error messages than wrong fields"
    found = untranslated(html)
    assert not found, f"{mistake}: English that is not from the catalogues:\n" + "\n".join(found)


def test_too_many_sign_ups_reads_in_the_pages_language(client, anon_csrf):
    from nte.venues.deps import SIGN_UPS_PER_HOUR

    for _ in range(SIGN_UPS_PER_HOUR):
        assert _post(client, anon_csrf, "en", venue_form()).status_code == 201
    response = _post(client, anon_csrf, PSEUDO_CODE, venue_form())
    assert response.status_code == 429
    found = untranslated(response.text)
    assert not found, "\n".join(found)
    assert "Too many" not in response.text


def test_a_pledge_message_keeps_its_number_in_arabic_and_english_in_the_api(client, anon_csrf):
    form = venue_form(pledge_2_status="", name="x" * 201)
    page = _post(client, anon_csrf, "ar", form).text
    assert "التعهّد 2: اذكر كيف تفي به، أو اختر «ليس بعد»." in page
    assert "اسم المكان طويل جدًا: الحد الأقصى لعدد الأحرف هو 200." in page
    assert "Pledge 2" not in page and "%(number)s" not in page and "%(n)s" not in page
    body = {k: v for k, v in form.items() if not k.startswith("pledge_") and k != "password_confirm"}
    body["pledges"] = [{"number": n, "met": True, "how_met": "Posters"} for n in range(1, 7)]
    api = client.post("/api/venues/sign-ups", json=body)
    assert api.status_code == 422, api.text
    details = {f["field"]: f["detail"] for f in api.json()["fields"]}
    assert details["name"] == "The venue's name must be 200 characters or fewer."
    assert details["pledge_7_status"] == "Pledge 7: say how you meet it, or choose 'not yet'."


def test_each_pledge_and_venue_type_is_translated_inside_its_sentence(client):
    """A label formatted into a translated sentence ("Pledge 3: <pledge>") hides inside the
    sentence's pseudo-translation, where the English finder cannot see it: check each one is there
    in its own pseudo-translated form."""
    from nte.venues import labels

    page = html.unescape(client.get("/venues/sign-up", params={"lang": PSEUDO_CODE}).text)
    texts = [*labels.PLEDGES, *labels.VENUE_TYPE_LABELS.values()]
    assert len(texts) == 14
    missing = [text for text in texts if pseudo_text(text) not in page]
    assert not missing, f"shown without translation: {missing}"
    for number, pledge in enumerate(labels.PLEDGES, 1):
        legend = pseudo_text("Pledge %(number)s: %(pledge)s") % {"number": number, "pledge": pseudo_text(pledge)}
        assert legend in page, legend
