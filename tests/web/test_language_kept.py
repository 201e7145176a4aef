"""The language a person chose is kept on every internal link of every public page: a click never
drops them back into English."""

from __future__ import annotations

import pytest

from nte.web.i18n import LANGUAGES
from tests.factories import make_venue
from tests.support.links import InternalLinks

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
        parser = InternalLinks()
        parser.feed(r.text)
        links += len(parser.links)
        dropped += [f"{path}: {link}" for link in parser.links if f"lang={lang}" not in link]
    assert links >= 8 * len(pages), f"only {links} internal links found"
    assert not dropped, f"links that drop ?lang={lang}:\n" + "\n".join(dropped)
