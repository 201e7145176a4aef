"""Every public page, in every state a person meets it, shows no English that bypassed the
catalogues. With the pseudo-locale on (``pseudo_locale=True``), ``?lang=qps`` shows each catalogue
message as ⟦áccéntéd⟧ text; whatever English is left once those segments are removed came from
somewhere else (a template string without ``_()``, a label never marked, a script's own words).

What counts as interface text: text nodes outside script/style, outside ``<bdi>`` (data: venue,
ward and street names), outside elements with ``translate="no"`` or another ``lang`` (licence
statements kept in English, the language bar's names); the title (minus data the page shows in
``<bdi>``); ``aria-label``, ``placeholder``, ``title``, ``alt``; button values; the translated text a
page hands its scripts (``#nte-messages``). The browser pass reads the same after the page's
scripts ran, for pages whose scripts write text.

Pages are parametrised one by one, so each failure names its page."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from nte.config import Settings, get_settings
from nte.db import utcnow
from nte.london import london_today
from nte.venues.models import VenueAccreditation, VenueTraining
from nte.web.i18n import PSEUDO_CLOSE, PSEUDO_CODE, PSEUDO_OPEN, pseudo_text
from tests.factories import make_safe_space, make_venue, venue_form

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SKIPPED_TAGS = {"script", "style", "bdi", "template", "noscript"}
ATTRIBUTES = ("aria-label", "placeholder", "title", "alt")
PSEUDO_SEGMENT = re.compile(re.escape(PSEUDO_OPEN) + "[^" + PSEUDO_OPEN + PSEUDO_CLOSE + "]*" + re.escape(PSEUDO_CLOSE))
#: A word of 3+ ASCII letters not inside a longer word. All-capital words of up to 4 letters are codes
#: (GSS, ONS, NHS), and numbers, postcodes and ward codes (E05000644) have no 3-letter run.
#: Not text a person reads as words: placeholders a script fills in, tags, entities, identifiers
#: such as a field's name (``venue_id``).
NOT_WORDS = re.compile(r"%\([^)]*\)[sdif]|%[sdif]|\{[^{}]*\}|<[^<>]*>|&#?\w+;|\b\w*_\w*\b")
WORD = re.compile(r"(?<![^\W\d_])[A-Za-z]{3,}(?![^\W\d_])")


def english_words(text: str) -> list[str]:
    """Plain ASCII words: the pseudo-locale accents every letter of a catalogue message, so any
    word left unaccented, outside a translated sentence or formatted into one, did not come from
    the catalogues."""
    text = NOT_WORDS.sub(" ", text)
    return [w for w in WORD.findall(text) if not (w.isupper() and len(w) <= 4)]


class _Text(HTMLParser):
    """Interface text of a page (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page_lang: str | None = None
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self.texts: list[str] = []
        self.title: list[str] = []
        self.data: list[str] = []  # text inside <bdi>
        self.messages: list[str] = []
        self._in_messages = False
        self._in_bdi = 0

    @property
    def skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.page_lang = a.get("lang")
        lang = a.get("lang")
        skipped = (
            self.skipping
            or tag in SKIPPED_TAGS
            or a.get("translate") == "no"
            or (tag != "html" and lang is not None and lang != self.page_lang)
        )
        if not skipped:
            self.texts += [a[name].strip() for name in ATTRIBUTES if (a.get(name) or "").strip()]
            if tag == "input" and a.get("type") in ("submit", "button", "reset") and a.get("value"):
                self.texts.append(a["value"])
        if tag == "script" and a.get("id") == "nte-messages":
            self._in_messages = True
        if tag == "bdi":
            self._in_bdi += 1
        if tag not in VOID:
            self.stack.append((tag, skipped))

    def handle_endtag(self, tag):
        if tag == "bdi" and self._in_bdi:
            self._in_bdi -= 1
        if tag == "script":
            self._in_messages = False
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        text = data.strip()
        if not text:
            return
        if self._in_messages:
            self.messages += list(_strings(json.loads(text)))
        elif self._in_bdi:
            self.data.append(text)
        elif self.stack and self.stack[-1][0] == "title":
            self.title.append(text)
        elif not self.skipping:
            self.texts.append(text)


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner)


def untranslated(html: str) -> list[str]:
    """Each piece of interface text that still holds English words, with the words."""
    parser = _Text()
    parser.feed(html)
    assert parser.page_lang == PSEUDO_CODE, f"the page is in {parser.page_lang!r}, not the pseudo-locale"
    title = " ".join(parser.title)
    for data in sorted(parser.data, key=len, reverse=True):
        title = title.replace(data, " ")
    pieces = [*(("", p) for p in parser.texts), ("title ", title), *(("script text ", m) for m in parser.messages)]
    assert sum(PSEUDO_OPEN in p for _, p in pieces) >= 5, "hardly any pseudo-translated text: is the locale on?"
    return [f"{where}{piece!r}: {words}" for where, piece in pieces if (words := english_words(piece))]


# --- the pages ---------------------------------------------------------------------------------------


@pytest.fixture()
def settings() -> Settings:
    """The ``app`` and ``client`` fixtures build the real app from these settings."""
    return get_settings().model_copy(update={"pseudo_locale": True})


def _recent() -> dict[str, str]:
    when = utcnow() - timedelta(hours=1)
    return {"date": london_today(when).isoformat(), "time": "00:30" if when.hour == 0 else when.strftime("%H:%M")}


def _a_venue_with_everything(db) -> str:
    venue = make_venue(
        db,
        status="verified",
        pledge_3_status="not_yet",
        pledge_3_target=(london_today(utcnow()) + timedelta(days=200)).isoformat(),
        ask_for_angela="1",
    )
    today = london_today(utcnow())
    db.add(
        VenueTraining(venue_id=venue.id, training_type="wave", provider="Trainer", training_date=today, staff_trained=6)
    )
    db.add(
        VenueTraining(venue_id=venue.id, training_type="bystander", provider="T", training_date=today, staff_trained=1)
    )
    db.add(
        VenueAccreditation(
            venue_id=venue.id,
            scheme="best_bar_none",
            level="Gold",
            valid_from_date=today,
            valid_to_date=today + timedelta(days=365),
        )
    )
    db.flush()
    return f"/venues/{venue.id}"


Get = Callable[..., object]
ACCEPT_HTML = {"accept": "text/html"}


def _page(client: TestClient, db, anon_csrf: str, name: str):
    q = {"lang": PSEUDO_CODE}
    if name == "home":
        return client.get("/", params=q)
    if name == "report, blank":
        return client.get("/report", params=q)
    if name == "report, with mistakes":
        return client.post("/report", params=q, data={"csrf_token": anon_csrf, "lat": "x"}, headers=ACCEPT_HTML)
    if name == "report receipt":
        form = {"csrf_token": anon_csrf, "lat": "51.5132", "lon": "-0.1337", "categories": "spiking", **_recent()}
        return client.post("/report", params=q, data=form, headers=ACCEPT_HTML)
    if name == "report status, blank":
        return client.get("/report/status", params=q)
    if name == "report status, unknown code":
        data = {"csrf_token": anon_csrf, "receipt": "ZZZZ-ZZZZ-ZZZZ-ZZZZ"}
        return client.post("/report/status", params=q, data=data, headers=ACCEPT_HTML)
    if name == "help-now, blank":
        return client.get("/help-now", params=q)
    if name == "help-now, results by ward":
        make_safe_space(db, name="Soho haven", opening_hours="24/7")
        return client.get("/help-now", params={**q, "ward": "E05013806", "show": "all"})
    if name == "help-now, no results":
        return client.get("/help-now", params={**q, "ward": "E05013806"})
    if name == "area map":
        return client.get("/map", params=q)
    if name == "venue directory":
        make_venue(db, status="verified")
        return client.get("/venues", params={**q, "examples": "true"})
    if name == "venue page":
        return client.get(_a_venue_with_everything(db), params=q)
    if name == "venue sign-up, blank":
        return client.get("/venues/sign-up", params=q)
    if name == "venue sign-up, with mistakes":
        form = {**venue_form(postcode="not a postcode", contact_email="nope"), "csrf_token": anon_csrf}
        return client.post("/venues/sign-up", params=q, data=form, headers=ACCEPT_HTML)
    if name == "venue sign-up done":
        return client.post("/venues/sign-up", params=q, data={**venue_form(), "csrf_token": anon_csrf})
    if name == "volunteer application, blank":
        return client.get("/volunteer/apply", params=q)
    if name == "volunteer application, with mistakes":
        data = {"csrf_token": anon_csrf, "email": "nope", "phone": "x"}
        return client.post("/volunteer/apply", params=q, data=data, headers=ACCEPT_HTML)
    if name == "volunteer application sent":
        data = {
            "csrf_token": anon_csrf,
            "display_name": "Ada",
            "email": "pseudo-applicant@example.org",
            "phone": "020 7946 0000",
            "about": "Fridays from 10 pm.",
            "consent": "yes",
        }
        return client.post("/volunteer/apply", params=q, data=data, headers=ACCEPT_HTML, follow_redirects=True)
    if name == "about data":
        return client.get("/about/data", params=q)
    if name == "about privacy":
        return client.get("/about/privacy", params=q)
    if name == "page not found":
        return client.get("/no/such/page", params=q, headers=ACCEPT_HTML)
    if name == "venue not found":
        return client.get("/venues/999999999", params=q, headers=ACCEPT_HTML)
    if name == "unreadable address":
        return client.get("/venues/not-a-number", params=q, headers=ACCEPT_HTML)
    raise AssertionError(name)


PAGES = {
    "home": 200,
    "report, blank": 200,
    "report, with mistakes": 422,
    "report receipt": 200,
    "report status, blank": 200,
    "report status, unknown code": 404,
    "help-now, blank": 200,
    "help-now, results by ward": 200,
    "help-now, no results": 200,
    "area map": 200,
    "venue directory": 200,
    "venue page": 200,
    "venue sign-up, blank": 200,
    "venue sign-up, with mistakes": 422,
    "venue sign-up done": 201,
    "volunteer application, blank": 200,
    "volunteer application, with mistakes": 422,
    "volunteer application sent": 200,
    "about data": 200,
    "about privacy": 200,
    "page not found": 404,
    "venue not found": 404,
    "unreadable address": 422,
}


@pytest.mark.parametrize("name", list(PAGES))
def test_a_public_page_shows_only_catalogue_text(client, db, anon_csrf, name):
    response = _page(client, db, anon_csrf, name)
    assert response.status_code == PAGES[name], (name, response.status_code, response.text[:300])
    found = untranslated(response.text)
    assert not found, f"{name}: English that is not from the catalogues:\n" + "\n".join(found)


# --- the pseudo-locale itself ---------------------------------------------------------------------


def test_pseudo_text_keeps_placeholders_tags_and_entities():
    text = pseudo_text('Hello %(name)s, %s and {count}: <a href="/x">see this</a> &amp; more')
    assert text.startswith(PSEUDO_OPEN) and text.endswith(PSEUDO_CLOSE)
    for kept in ("%(name)s", "%s", "{count}", '<a href="/x">', "</a>", "&amp;"):
        assert kept in text, (kept, text)
    assert "Hello" not in text and "see this" not in text and english_words(text) == []


def test_the_finder_finds_english_outside_the_brackets():
    assert english_words(f"{pseudo_text('Safe venues')} Safe venues") == ["Safe", "venues"]
    assert english_words(f"{pseudo_text('%(type)s (example)') % {'type': pseudo_text('Pub')}}") == []
    assert english_words("W1D 4DQ, E05000644, 999, GSS") == []
    # An English label formatted into a translated sentence is found too (every letter of a
    # catalogue message is accented, so nothing English hides inside the brackets).
    sentence = pseudo_text("Pledge %(number)s: %(pledge)s") % {"number": 1, "pledge": "Nominate a champion"}
    assert english_words(sentence) == ["Nominate", "champion"]


def test_the_pseudo_locale_is_never_in_the_language_bar(client):
    page = client.get("/", params={"lang": PSEUDO_CODE}).text
    assert f'<html lang="{PSEUDO_CODE}" dir="ltr">' in page
    assert f"lang={PSEUDO_CODE}" not in page.split('class="lang-list"', 1)[1].split("</ul>", 1)[0]


def test_the_pseudo_locale_is_refused_when_switched_off(db):
    from nte.app import create_app

    app = create_app(get_settings().model_copy(update={"pseudo_locale": False}), check_db=False)
    with TestClient(app) as off:
        page = off.get("/about/privacy", params={"lang": PSEUDO_CODE}).text
    assert '<html lang="en" dir="ltr">' in page and PSEUDO_OPEN not in page
    assert get_settings().pseudo_locale is False  # off unless NTE_PSEUDO_LOCALE says otherwise


# --- in the browser, after the scripts ran ------------------------------------------------------------

_VISIBLE_TEXT = """() => {
  const pageLang = document.documentElement.lang;
  function skipped(el) {
    for (let e = el; e && e !== document.documentElement; e = e.parentElement) {
      if (["SCRIPT", "STYLE", "BDI", "TEMPLATE", "NOSCRIPT"].includes(e.tagName)) return true;
      if (e.getAttribute("translate") === "no") return true;
      const lang = e.getAttribute("lang");
      if (lang !== null && lang !== pageLang) return true;
    }
    return false;
  }
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement, text = node.textContent.trim();
    if (text && el && !skipped(el) && el.checkVisibility()) out.push(text);
  }
  for (const el of document.body.querySelectorAll("[aria-label],[title],[placeholder],[alt]")) {
    if (skipped(el)) continue;
    for (const name of ["aria-label", "title", "placeholder", "alt"]) {
      const value = (el.getAttribute(name) || "").trim();
      if (value) out.push(value);
    }
  }
  return {lang: pageLang, texts: out, body: document.body.innerText};
}"""


@pytest.fixture(scope="module")
def pseudo_server(live_server):
    """The real app with the pseudo-locale on, on the browser tests' database."""
    from tests.support.server import serve_in_thread

    served = serve_in_thread(live_server.settings.model_copy(update={"pseudo_locale": True}))
    with live_server.session_factory() as s:
        make_venue(s, status="verified", name="Pseudo Browser Arms")
        s.commit()
    yield served
    served.stop()


BROWSER_PAGES = ["/venues", "/map", "/help-now", "/report", "/venues/sign-up"]


@pytest.mark.browser
@pytest.mark.parametrize("path", BROWSER_PAGES)
def test_text_scripts_write_comes_from_the_catalogues(page, pseudo_server, path):
    page.goto(f"{pseudo_server.url}{path}?lang={PSEUDO_CODE}")
    page.wait_for_load_state("networkidle")
    if path == "/venues":  # open a venue's popup on the directory map, once its venues are drawn
        page.wait_for_selector("#venue-map[data-ready]")
        page.locator("#venue-map .leaflet-interactive").first.click()
        page.wait_for_selector(".leaflet-popup-content a")
    shown = page.evaluate(_VISIBLE_TEXT)
    assert shown["lang"] == PSEUDO_CODE
    assert PSEUDO_OPEN in shown["body"], "no pseudo-translated text: is the locale on?"
    found = [f"{text!r}: {words}" for text in shown["texts"] if (words := english_words(text))]
    assert not found, f"{path}: English on the page after its scripts ran:\n" + "\n".join(found)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["ar", PSEUDO_CODE])
@pytest.mark.parametrize("which", ["directory", "venue page"])
def test_the_venue_pages_fit_a_phone(browser, pseudo_server, live_server, which, lang):
    """375 px wide, in Arabic (right to left) and in the pseudo-locale (longer words): no sideways
    scrolling on the directory or a venue page."""
    with live_server.session_factory() as s:
        path = "/venues" if which == "directory" else _a_venue_with_everything(s)
        s.commit()
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    phone = context.new_page()
    try:
        phone.goto(f"{pseudo_server.url}{path}?lang={lang}")
        phone.wait_for_load_state("networkidle")
        assert phone.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
        width = phone.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 375, f"{path}?lang={lang} is {width} px wide on a 375 px screen"
    finally:
        context.close()
