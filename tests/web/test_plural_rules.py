"""Plural forms pick the right Arabic form. CLDR's Arabic has six: zero, one, two, few (n % 100 in
3..10), many (n % 100 in 11..99) and other (everything else, e.g. 100, 101, 102). The catalogues'
msgstr[4] is the "many" form (accusative singular, e.g. "مكانًا") and msgstr[5] the "other" form
("مكان"); a rule that swaps 4 and 5 shows "11 مكان" and "100 مكانًا"."""

from __future__ import annotations

import gettext

import pytest
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from nte.web.i18n import LANGUAGES, catalogue_files, read_catalogue, translations

# n -> CLDR category index in gettext order (zero, one, two, few, many, other)
ARABIC_CASES = {0: 0, 1: 1, 2: 2, 3: 3, 10: 3, 11: 4, 99: 4, 100: 5, 101: 5, 102: 5, 103: 3, 111: 4, 1000: 5}


def _rule(code: str):
    return gettext.c2py(read_catalogue(code).plural_expr)


def _header_rule(path, code: str) -> str:
    """The Plural-Forms header one file states, spaces removed."""
    with path.open("rb") as fh:
        headers = dict(read_po(fh, locale=code).mime_headers)
    assert "Plural-Forms" in headers, f"{path} states no Plural-Forms"
    return headers["Plural-Forms"].replace(" ", "")


def test_the_arabic_rule_matches_cldr():
    assert catalogue_files("ar"), "no Arabic catalogue files"
    rule = _rule("ar")
    got = {n: rule(n) for n in ARABIC_CASES}
    assert got == ARABIC_CASES
    cldr = gettext.c2py(get_plural("ar").plural_expr)
    assert [rule(n) for n in range(0, 1200)] == [cldr(n) for n in range(0, 1200)]


@pytest.mark.parametrize("code", [c for c in LANGUAGES if c != "en"])
def test_every_file_of_a_language_states_one_rule(code):
    # The merged catalogue takes messages.po's header: a file whose rule differs would have its
    # plural forms read by another file's rule.
    files = catalogue_files(code)
    assert len(files) >= 3, (code, files)
    rules = {path.name: _header_rule(path, code) for path in files}
    assert len(set(rules.values())) == 1, rules


def test_a_venue_count_reads_right_in_arabic():
    t = translations("ar")
    assert isinstance(t, gettext.GNUTranslations)
    assert t.ngettext("%(num)d venue", "%(num)d venues", 11) == "%(num)d مكانًا"
    assert t.ngettext("%(num)d venue", "%(num)d venues", 100) == "%(num)d مكان"
    assert t.ngettext("%(num)d venue", "%(num)d venues", 3) == "%(num)d أماكن"


@pytest.mark.parametrize("code", [c for c in LANGUAGES if c != "en"])
def test_every_plural_message_has_as_many_forms_as_the_rule(code):
    nplurals = read_catalogue(code).num_plurals
    seen = 0
    for path in catalogue_files(code):
        with path.open("rb") as fh:
            for message in read_po(fh, locale=code):
                if message.id and isinstance(message.id, tuple):
                    seen += 1
                    assert len(message.string) == nplurals, (path.name, message.id[0], len(message.string))
    assert seen >= 3, (code, seen)
