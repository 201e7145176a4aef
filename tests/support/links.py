"""The internal links of a page, as a reader follows them (the language picker's links left out)."""

from __future__ import annotations

from html.parser import HTMLParser


class InternalLinks(HTMLParser):
    """Collects every ``<a href="/...">`` outside the language list (``ul.lang-list``)."""

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
