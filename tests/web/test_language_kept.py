"""The language a person chose is kept on every internal link of every public page: a click never
drops them back into English."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from nte.web.i18n import LANGUAGES
from tests.factories import make_venue

PUBLIC_PAGES = [
    "/",
    "/help-now",
    "/report",
    "/report/status",
    "/map",
    "/venues",
    "/venues/sign-up",
    "/about/data",
    "/about/privacy",
    "/login",
]
OTHER_LANGUAGES = [code for code in LANGUAGES if code != "en"]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self._in_language_list = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "ul" and "lang-list" in (a.get("class") or ""):
            self._in_language_list += 1
        if tag == "a" and not self._in_language_list and (a.get("href") or "").startswith("/"):
            self.links.append(a["href"])

    def handle_endtag(self, tag):
        if tag == "ul" and self._in_language_list:
            self._in_language_list -= 1


def test_the_walk_covers_every_language():
    assert len(OTHER_LANGUAGES) >= 5, OTHER_LANGUAGES


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_every_internal_link_keeps_the_language(client, db, lang):
    venue = make_venue(db, status="verified")
    pages = [*PUBLIC_PAGES, f"/venues/{venue.id}"]
    dropped = []
    links = 0
    for path in pages:
        r = client.get(path, params={"lang": lang})
        assert r.status_code == 200, (path, r.status_code)
        parser = _Links()
        parser.feed(r.text)
        links += len(parser.links)
        dropped += [f"{path}: {link}" for link in parser.links if f"lang={lang}" not in link]
    assert links >= 8 * len(pages), f"only {links} internal links found"
    assert not dropped, f"links that drop ?lang={lang}:\n" + "\n".join(dropped)
