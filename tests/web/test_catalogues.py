"""The translation catalogues are complete and sound: every message babel.cfg's files hold is
translated (non-empty, not fuzzy) in each of the five other languages; no message sits in two files
of one language (the merge would keep one silently); every %(name)s placeholder survives
translation (a lost one raises or shows nothing at run time); every file says it is machine-drafted.

Tests are parametrised by language and by source file, so a failure names the part of the site that
is missing its translations."""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from nte.web.i18n import LANGUAGES, LOCALE_DIR, PROJECT_ROOT, catalogue_files

OTHER_LANGUAGES = [code for code in LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0\- +]*\d*(?:\.\d+)?[sdifrxXeEgGc]")
MACHINE_DRAFTED = "MACHINE-DRAFTED"


@cache
def extracted() -> dict[str | tuple[str, ...], set[str]]:
    """msgid (a tuple for plurals) -> the files that use it, exactly as ``pybabel extract -F babel.cfg
    -k N_`` finds them (the Jinja extractor is passed as the function, not looked up by name)."""
    with (PROJECT_ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, filename="babel.cfg")
    methods = [(pattern, babel_extract if method == "jinja2" else method) for pattern, method in method_map]
    found: dict[str | tuple[str, ...], set[str]] = defaultdict(set)
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT), methods, options_map, keywords={**DEFAULT_KEYWORDS, "N_": None}
    ):
        if isinstance(message, tuple):
            parts = tuple(m for m in message if m)
            key: str | tuple[str, ...] = parts if len(parts) > 1 else parts[0]
        else:
            key = message
        if key:
            found[key].add(filename)
    return dict(found)


def _singular(msgid: str | tuple[str, ...]) -> str:
    return msgid[0] if isinstance(msgid, tuple) else msgid


@cache
def catalogue_parts(code: str) -> dict[str, Catalog]:
    """File name -> that file's catalogue, for one language."""
    parts = {}
    for path in catalogue_files(code):
        with path.open("rb") as fh:
            parts[path.name] = read_po(fh, locale=code)
    return parts


def _source_files() -> list[str]:
    return sorted({f for files in extracted().values() for f in files})


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return not message.fuzzy and bool(strings) and all(s and s.strip() for s in strings)


def test_the_guards_have_something_to_check():
    # An empty extraction or an empty folder would let every test below pass.
    assert len(extracted()) >= 250, len(extracted())
    assert len(_source_files()) >= 20, _source_files()
    assert len(OTHER_LANGUAGES) == 5
    for code in OTHER_LANGUAGES:
        assert len(catalogue_parts(code)) >= 3, (code, list(catalogue_parts(code)))


@pytest.mark.parametrize("source", _source_files())
@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_every_message_of_a_file_is_translated(lang, source):
    messages = [msgid for msgid, files in extracted().items() if source in files]
    assert messages, f"nothing extracted from {source}"
    found: dict[str, object] = {}
    for part in catalogue_parts(lang).values():
        for message in part:
            if message.id:
                found.setdefault(_singular(message.id), message)
    missing = []
    for msgid in messages:
        message = found.get(_singular(msgid))
        if message is None:
            missing.append(f"  missing: {_singular(msgid)!r}")
        elif not _translated(message):
            missing.append(f"  empty or fuzzy: {_singular(msgid)!r}")
    assert not missing, (
        f"{len(missing)} of {len(messages)} messages of {source} have no {lang} translation:\n" + "\n".join(missing)
    )


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_no_message_is_in_two_files_of_a_language(lang):
    where: dict[str, list[str]] = defaultdict(list)
    for name, part in catalogue_parts(lang).items():
        for message in part:
            if message.id:
                where[_singular(message.id)].append(name)
    assert len(where) >= 100, f"only {len(where)} messages in the {lang} catalogues"
    twice = {msgid: files for msgid, files in where.items() if len(files) > 1}
    assert not twice, f"{lang}: messages in more than one file:\n" + "\n".join(
        f"  {msgid!r}: {', '.join(files)}" for msgid, files in sorted(twice.items())
    )


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_every_placeholder_survives_translation(lang):
    lost = []
    checked = 0
    for name, part in catalogue_parts(lang).items():
        for message in part:
            if not message.id or not message.string:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            needed = {p for msgid in ids for p in PLACEHOLDER.findall(msgid)}
            if not needed:
                continue
            checked += 1
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for text in strings:
                if text and (gone := needed - set(PLACEHOLDER.findall(text))):
                    lost.append(f"  {name}: {ids[0]!r} -> {text!r} lost {sorted(gone)}")
    assert checked >= 5, f"only {checked} {lang} messages with placeholders: nothing was checked"
    assert not lost, f"{lang}: translations that drop a placeholder:\n" + "\n".join(lost)


def _po_files() -> list[Path]:
    return sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))


def test_there_are_catalogue_files():
    assert len(_po_files()) >= 3 * len(OTHER_LANGUAGES), _po_files()


@pytest.mark.parametrize("path", _po_files(), ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_every_catalogue_file_says_it_is_machine_drafted(path):
    head = path.read_text(encoding="utf-8").split('msgid ""', 1)[0]
    assert MACHINE_DRAFTED in head, f"{path} has no {MACHINE_DRAFTED} header comment"
    assert "native speaker" in head, f"{path}'s header does not ask for a native speaker's review"


def test_venue_labels_on_public_pages_match_the_stored_english():
    """Public pages translate the service's English labels with _(label); labels.py marks the same
    strings for extraction. If one changed without the other, a label would lose its translation."""
    from nte.venues import labels, service

    assert labels.PLEDGES == service.PLEDGES
    assert labels.VENUE_TYPE_LABELS == service.VENUE_TYPE_LABELS
    assert labels.TRAINING_TYPE_LABELS == service.TRAINING_TYPE_LABELS
    assert labels.SCHEME_LABELS == service.SCHEME_LABELS
