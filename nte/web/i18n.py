"""Translations with Babel/gettext. Catalogues live in ``nte/locale/<lang>/LC_MESSAGES/*.po``, one
file per part of the site (``messages.po`` for the layout and the report journey, ``safespaces.po``,
``venues.po``, ``maps.po`` ...), merged and compiled in memory at start-up (no build step, no .mo files
in git). A message belongs to exactly one file; ``tests/web/test_catalogues.py`` checks that.

The language comes from ``?lang=`` or the browser's Accept-Language; it is never stored in a
cookie or with a report."""

from __future__ import annotations

import gettext
import io
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

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


# --- pseudo-locale ----------------------------------------------------------------------------------
# A developer's and translator's tool, off unless ``NTE_PSEUDO_LOCALE=true``: ``?lang=qps`` renders
# every page with each message from babel.cfg's files turned into ⟦áccéntéd téxt⟧, so text that
# bypasses the catalogues (still plain English) stands out, and so do layouts that break when text
# grows. It is never offered in the language bar and never accepted while the setting is off.

PSEUDO_CODE = "qps"  # qps-ploc is Windows' pseudo-locale; qaa-qtz are private-use codes
PSEUDO_LANGUAGE = Language(PSEUDO_CODE, "Pseudo", "Pseudo-locale (accented English, for testing)")
PROJECT_ROOT = LOCALE_DIR.parent.parent
BABEL_CFG = PROJECT_ROOT / "babel.cfg"
PSEUDO_OPEN, PSEUDO_CLOSE = "\u27e6", "\u27e7"  # ⟦ ⟧

#: Every ASCII letter has an accented twin, so an English word left inside a translated sentence
#: (a label formatted into it untranslated) still shows as plain ASCII.
_ACCENTS = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "áƀçđéƒĝħíĵķłḿñóṕʠŕšŧúṽŵẋýžÁƁÇĐÉƑĜĦÍĴĶŁḾÑÓṔɊŔŠŦÚṼŴẊÝŽ",
)
#: What pseudo-translation keeps as it is: %(name)s and %s placeholders, {name} fields, HTML tags and
#: entities (a translation that broke them would break the page, not show a missed string).
_KEEP = re.compile(r"%\([^)]*\)[#0\- +]*\d*(?:\.\d+)?[sdifrxXeEgGc%]|%[sdifr%]|\{[^{}]*\}|<[^<>]*>|&#?\w+;")


def pseudo_text(message: str) -> str:
    """``message`` as the pseudo-locale shows it: ⟦ + accented letters + ⟧, placeholders, tags and
    entities intact (``"Hello %(name)s"`` -> ``"⟦Héłłó %(name)s⟧"``)."""
    out: list[str] = []
    last = 0
    for match in _KEEP.finditer(message):
        out.append(message[last : match.start()].translate(_ACCENTS))
        out.append(match.group(0))
        last = match.end()
    out.append(message[last:].translate(_ACCENTS))
    return PSEUDO_OPEN + "".join(out) + PSEUDO_CLOSE


def extracted_messages(root: Path = PROJECT_ROOT) -> list[str | tuple[str, ...]]:
    """Every msgid of the files babel.cfg lists (what ``pybabel extract -F babel.cfg -k N_`` finds),
    in order of first appearance; plural messages as (singular, plural)."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg
    from jinja2.ext import babel_extract

    with (root / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, filename=str(root / "babel.cfg"))
    # The Jinja extractor is passed as the function itself, not looked up by the name "jinja2".
    methods: list[tuple[str, Any]] = [
        (pattern, babel_extract if method == "jinja2" else method) for pattern, method in method_map
    ]
    seen: dict[str | tuple[str, ...], None] = {}
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(root), methods, options_map, keywords={**DEFAULT_KEYWORDS, "N_": None}
    ):
        key = tuple(m for m in message if m) if isinstance(message, tuple) else message
        if isinstance(key, tuple) and len(key) == 1:
            key = key[0]
        if key:
            seen.setdefault(key, None)
    return list(seen)


@cache
def pseudo_translations() -> gettext.NullTranslations:
    """A catalogue built at run time from the extracted messages (see ``pseudo_text``)."""
    catalog = Catalog(locale="en")
    for message in extracted_messages():
        if isinstance(message, tuple):
            catalog.add(message, tuple(pseudo_text(m) for m in message))
        else:
            catalog.add(message, pseudo_text(message))
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def negotiate_with_pseudo(query_lang: str | None, accept_language: str | None, *, pseudo: bool) -> str:
    """``negotiate``, plus ``qps`` when the pseudo-locale is switched on and asked for by ``?lang=``
    (never from Accept-Language: a browser never sends it by mistake)."""
    if pseudo and query_lang == PSEUDO_CODE:
        return PSEUDO_CODE
    return negotiate(query_lang, accept_language)


def language_of(code: str) -> Language:
    """The Language for a code ``negotiate_with_pseudo`` returned (the pseudo-locale included)."""
    return PSEUDO_LANGUAGE if code == PSEUDO_CODE else LANGUAGES[code]


def translations_for(code: str) -> gettext.NullTranslations:
    """``translations``, plus the pseudo-locale's run-time catalogue."""
    return pseudo_translations() if code == PSEUDO_CODE else translations(code)
