"""Personal data in free text: one set of detectors for every domain.

- ``scrub``: anonymous reports remove e-mail addresses and phone numbers before storage (the
  reporter cannot be asked to fix their text, and must not be identifiable by it).
- ``personal_data_in``: patrol debriefs are refused with the reason, so the team lead can rewrite
  them (a debrief must hold nothing about the members of the public the patrol helped).

Pure functions. Over-detection (an odd number that looks like a phone) is preferred to keeping a
contact detail, but ordinary sentences ("I was at the station at 11pm", "he looked at me") survive.

The detectors look at a *view* of the text: each character in its Unicode compatibility form
(NFKC: full-width ``＠`` and digits, mathematical letters and the like become plain ASCII),
without invisible format characters (zero-width spaces, soft hyphens, direction marks). Every
character of the view remembers which character of the text it came from, so a match removes
exactly the characters it covers from the text as written: everything else, Arabic presentation
forms and ligatures included, is kept unchanged."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator

EMAIL_MARK = "[email removed]"
PHONE_MARK = "[phone removed]"

# --- e-mail addresses -------------------------------------------------------------------------------
# Written plainly (jane.doe@example.co.uk), spaced (jane @ example . com), spelt out (jane dot doe
# at example dot com), bracketed (jane[at]example[dot]org, jane (@) example (.) com), or as a
# webmail name without its domain ending (jane at gmail, jane@hotmail).
#
# Found from each "at" outwards: the local part backwards (a reversed pattern on the reversed
# text), the domain forwards, each within a bounded window, so the work is linear in the text
# (a pattern tried from every word would be quadratic on "a dot a dot a dot ...").

_OPEN, _CLOSE = r"[\[\(\{<]", r"[\]\)\}>]"
_LOCAL_CHAR = r"[\w!#$%&'*+/=?^`{|}~-]"
_SEPARATOR_WORDS = ("dot", "underscore", "dash", "hyphen", "period")
_BACKWARDS_WORD = "(?:" + "|".join(word[::-1] for word in _SEPARATOR_WORDS) + ")"
# "jane dot doe", "jane [dot] doe", "jane underscore doe": the whole local part goes, not only "doe".
# (No possessive quantifiers: Python 3.11.2 matches "a+(?:\s+(?:t|x)\s+a+)*+" against "aaa ".)
_LOCAL_BACKWARDS = re.compile(
    rf"{_LOCAL_CHAR}+(?:(?:\.|\s*{_CLOSE}\s*(?:{_BACKWARDS_WORD}|\.)\s*{_OPEN}\s*|\s+{_BACKWARDS_WORD}\s+)"
    rf"{_LOCAL_CHAR}+)*",
    re.IGNORECASE,
)
_AT = re.compile(rf"(?P<symbol>\s*@\s*|\s*{_OPEN}\s*(?:at|@)\s*{_CLOSE}\s*)|(?P<word>\s+at\s+)", re.IGNORECASE)
_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
_SPELT_DOT = rf"(?:\s*{_OPEN}\s*(?:dot|\.)\s*{_CLOSE}\s*|\s+dot\s+)"
# A dot between domain labels: tight (example.com) or spelt out. A spaced full stop (" . ") only
# after an "at" symbol; ". " (a sentence ending) never is one.
_DOT_WORD = rf"(?:\.|{_SPELT_DOT})"
_DOT_ANY = rf"(?:\.|\s+\.\s+|{_SPELT_DOT})"
_TLD = (
    r"(?:com|org|net|edu|gov|mil|int|info|biz|io|me|co|uk|ac|nhs|sch|police|ltd|plc|de|fr|es|it|nl|be|pt|"
    r"pl|tr|ie|eu|us|ca|au|nz|in|pk|bd|ng|za|eg|sa|ae|ma|ru|cn|jp|br|mx|ar|app|dev|mail|email|online|site|"
    r"xyz|tv|cc|ly)"
)
# Names people give without the ending; not "me", "mail" or "live", which are ordinary words.
_WEBMAIL = (
    r"(?:gmail|googlemail|hotmail|outlook|yahoo|ymail|icloud|proton|protonmail|aol|msn|btinternet|"
    r"virginmedia|gmx|yandex)"
)
_END = r"(?![\w-])"
_DOMAIN_AFTER_SYMBOL = re.compile(
    rf"{_LABEL}(?:{_DOT_ANY}{_LABEL})*{_DOT_ANY}{_TLD}{_END}|{_WEBMAIL}{_END}", re.IGNORECASE
)
_DOMAIN_AFTER_WORD = re.compile(
    rf"{_LABEL}(?:{_DOT_WORD}{_LABEL})*{_DOT_WORD}{_TLD}{_END}|{_WEBMAIL}{_END}", re.IGNORECASE
)
# A literal "@" between two words is an address even without a known ending (jane@home).
_DOMAIN_AFTER_TIGHT_AT = re.compile(rf"[^\W\d_][\w-]*(?:{_DOT_WORD}{_LABEL})*{_END}", re.IGNORECASE)
_LOCAL_WINDOW, _DOMAIN_WINDOW = 256, 320  # characters of the view; longer parts are cut, not kept


def _email_spans(seen: str) -> list[tuple[int, int]]:
    """(start, end) of every e-mail address in the view, overlapping ones merged."""
    spans: list[tuple[int, int]] = []
    backwards = seen[::-1]
    for at in _AT.finditer(seen):
        if at.group("symbol") is not None:
            domains = [_DOMAIN_AFTER_SYMBOL] + ([_DOMAIN_AFTER_TIGHT_AT] if at.group(0) == "@" else [])
        else:
            domains = [_DOMAIN_AFTER_WORD]
        after = seen[at.end() : at.end() + _DOMAIN_WINDOW]
        domain = next((m for m in (d.match(after) for d in domains) if m), None)
        if domain is None:
            continue
        from_end = len(seen) - at.start()
        local = _LOCAL_BACKWARDS.match(backwards[: from_end + _LOCAL_WINDOW], from_end)
        if local is None:
            continue
        span = (at.start() - len(local.group(0)), at.end() + domain.end())
        if spans and span[0] <= spans[-1][1]:
            spans[-1] = (min(spans[-1][0], span[0]), max(spans[-1][1], span[1]))
        else:
            spans.append(span)
    return spans


# --- phone numbers ----------------------------------------------------------------------------------
# A run of 9-15 digits, optionally starting with + or 00, separated by spaces, dots, dashes (any
# kind) or brackets: 07700 900123, +44 (0)20 7946 0018, 0044 7700-900-123, +1 212.555.0100.
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d(?:[\s().\-\u2010-\u2015\u2212]{0,3}\d){8,16}\)?(?!\w)")

# Identifiers a debrief must not hold beyond contact details.
_DATE_OF_BIRTH = re.compile(r"\b(?:born|dob|d\.o\.b\.?|date of birth)(?!\w)", re.IGNORECASE)
_NI_NUMBER = re.compile(r"\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b")

# Look-alikes NFKC keeps apart: the ideographic full stop and the minus sign.
_LOOKALIKES = {"\u3002": ".", "\uff61": ".", "\u2212": "-"}
_MASK = "\x00"  # never in stored text: NUL characters are refused at the edge and stripped


class _View:
    """The text as the detectors see it, mapped back to the text as written."""

    def __init__(self, text: str) -> None:
        self.text = text
        chars: list[str] = []
        origin: list[int] = []
        for i, ch in enumerate(text):
            if unicodedata.category(ch) == "Cf":  # zero-width and direction marks, soft hyphens
                continue
            seen = _LOOKALIKES.get(ch) or unicodedata.normalize("NFKC", ch)
            if "\u2044" in seen:  # a vulgar fraction (½ is "1⁄2"): no digit of a phone number
                seen = ch
            chars.append(seen)
            origin.extend([i] * len(seen))
        self.seen = "".join(chars)
        self.origin = origin

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The characters of the text that view[start:end] came from."""
        return self.origin[start], self.origin[end - 1] + 1


def _spans(view: _View) -> Iterator[tuple[int, int, str]]:
    """Non-overlapping (start, end, marker) in the view: e-mail addresses, then phone numbers in
    what is left (the digits of an address are not a phone number)."""
    emails = _email_spans(view.seen)
    masked, done = [], 0
    for start, end in emails:
        yield start, end, EMAIL_MARK
        masked += [view.seen[done:start], _MASK * (end - start)]
        done = end
    masked.append(view.seen[done:])
    for match in _PHONE.finditer("".join(masked)):
        if 9 <= _digits(match.group(0)) <= 15:
            yield match.start(), match.end(), PHONE_MARK


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def scrub(text: str) -> str:
    """Text with e-mail addresses (plain, spelt out or disguised) and phone numbers replaced by
    markers; every other character is kept as written."""
    view = _View(text)
    found = sorted((*view.original_span(start, end), mark) for start, end, mark in _spans(view))
    if not found:
        return text
    out, done = [], 0
    for start, end, mark in found:
        out.append(text[done:start])
        out.append(mark)
        done = end
    out.append(text[done:])
    return "".join(out)


def _has(mark: str) -> Callable[[_View], bool]:
    return lambda view: any(found == mark for _s, _e, found in _spans(view))


_FINDERS: tuple[tuple[Callable[[_View], bool], str], ...] = (
    (_has(EMAIL_MARK), "an e-mail address"),
    (_has(PHONE_MARK), "a phone number"),
    (lambda view: bool(_DATE_OF_BIRTH.search(view.seen)), "a date of birth"),
    (lambda view: bool(_NI_NUMBER.search(view.seen)), "a National Insurance number"),
)


def personal_data_in(text: str) -> str | None:
    """What the text seems to contain that identifies a person ("a phone number", ...), or None."""
    view = _View(text)
    for found, what in _FINDERS:
        if found(view):
            return what
    return None
