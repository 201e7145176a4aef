"""Translations with Babel/gettext. Catalogues live in ``nte/locale/<lang>/LC_MESSAGES/messages.po``
and are compiled in memory at start-up (no build step, no .mo files in git).

The language comes from ``?lang=`` or the browser's Accept-Language; it is never stored in a
cookie or with a report."""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

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


@cache
def translations(code: str) -> gettext.NullTranslations:
    po_path = LOCALE_DIR / code / "LC_MESSAGES" / "messages.po"
    if code == DEFAULT_LANGUAGE or not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=code)
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
