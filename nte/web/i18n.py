"""Translations with Babel/gettext. Catalogues live in ``nte/locale/<lang>/LC_MESSAGES/*.po``, one
file per part of the site (``messages.po`` for the layout and the report journey, ``safespaces.po``,
``venues.po``, ``maps.po`` ...), merged and compiled in memory at start-up (no build step, no .mo files
in git). A message belongs to exactly one file; ``tests/web/test_catalogues.py`` checks that.

The language comes from ``?lang=`` or the browser's Accept-Language; it is never stored in a
cookie or with a report."""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself
    english_name: str
    rtl: bool = False


# English plus five of London's most spoken other languages (2021 Census: Polish, Bengali,
# Turkish, Arabic and Spanish are among the top main languages in the served boroughs).
LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in [
        Language("en", "English", "English"),
        Language("ar", "العربية", "Arabic", rtl=True),
        Language("bn", "বাংলা", "Bengali"),
        Language("pl", "Polski", "Polish"),
        Language("tr", "Türkçe", "Turkish"),
        Language("es", "Español", "Spanish"),
    ]
}
DEFAULT_LANGUAGE = "en"


def catalogue_files(code: str) -> list[Path]:
    """The catalogue files of one language, ``messages.po`` first, the rest by name."""
    folder = LOCALE_DIR / code / "LC_MESSAGES"
    return sorted(folder.glob("*.po"), key=lambda p: (p.name != "messages.po", p.name))


def read_catalogue(code: str) -> Catalog:
    """Every catalogue file of a language merged into one catalogue."""
    merged = Catalog(locale=code)
    for po_path in catalogue_files(code):
        with po_path.open("rb") as fh:
            part = read_po(fh, locale=code)
        if not merged.mime_headers or po_path.name == "messages.po":
            merged.mime_headers = part.mime_headers
        for message in part:
            if message.id and message.id not in merged:
                merged[message.id] = message
    return merged


@cache
def translations(code: str) -> gettext.NullTranslations:
    if code == DEFAULT_LANGUAGE or not catalogue_files(code):
        return gettext.NullTranslations()
    catalog = read_catalogue(code)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def negotiate(query_lang: str | None, accept_language: str | None) -> str:
    if query_lang and query_lang in LANGUAGES:
        return query_lang
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower().split("-")[0]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE
