"""Personal data in free text: one set of detectors for every domain.

- ``scrub``: anonymous reports remove e-mail addresses and phone numbers before storage (the
  reporter cannot be asked to fix their text, and must not be identifiable by it).
- ``personal_data_in``: patrol debriefs are refused with the reason, so the team lead can rewrite
  them (a debrief must hold nothing about the members of the public the patrol helped).

Pure functions. Over-detection (an odd number that looks like a phone) is preferred to keeping a
contact detail."""

from __future__ import annotations

import re

EMAIL_MARK = "[email removed]"
PHONE_MARK = "[phone removed]"

_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# "jane at example dot com", "jane (at) example [dot] co [dot] uk", "jane[at]example.com"
_AT = r"(?:\s*[\[\(\{<]\s*at\s*[\]\)\}>]\s*|\s+at\s+|\s*@\s*)"
_DOT = r"(?:\s*[\[\(\{<]\s*dot\s*[\]\)\}>]\s*|\s+dot\s+|\s*\.\s*)"
_OBFUSCATED_EMAIL = re.compile(
    rf"\b[\w.+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}(?:com|org|net|edu|gov|info|io|me|uk|co|ac|de|fr|es|pl|tr|ie|eu|app|mail)\b",
    re.IGNORECASE | re.UNICODE,
)
# A run of 9-15 digits, optionally starting with + or 00, separated by spaces, dots, dashes or
# brackets: 07700 900123, +44 (0)20 7946 0018, 0044 7700-900-123, +1 212.555.0100, +33 1 23 45 67 89.
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d(?:[\s().-]{0,3}\d){8,16}\)?(?!\w)")


# Identifiers a debrief must not hold beyond contact details.
_DATE_OF_BIRTH = re.compile(r"\b(?:born|dob|d\.o\.b\.?|date of birth)(?!\w)", re.IGNORECASE)
_NI_NUMBER = re.compile(r"\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b")


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def scrub(text: str) -> str:
    """Text with e-mail addresses (plain and spelt out) and phone numbers replaced by markers."""
    text = _EMAIL.sub(EMAIL_MARK, text)
    text = _OBFUSCATED_EMAIL.sub(EMAIL_MARK, text)

    def phone(match: re.Match[str]) -> str:
        found = match.group(0)
        return PHONE_MARK if 9 <= _digits(found) <= 15 else found

    return _PHONE.sub(phone, text)


def _has_phone(text: str) -> bool:
    return any(9 <= _digits(m.group(0)) <= 15 for m in _PHONE.finditer(text))


_FINDERS = (
    (lambda text: bool(_EMAIL.search(text) or _OBFUSCATED_EMAIL.search(text)), "an e-mail address"),
    (_has_phone, "a phone number"),
    (lambda text: bool(_DATE_OF_BIRTH.search(text)), "a date of birth"),
    (lambda text: bool(_NI_NUMBER.search(text)), "a National Insurance number"),
)


def personal_data_in(text: str) -> str | None:
    """What the text seems to contain that identifies a person ("a phone number", ...), or None."""
    for found, what in _FINDERS:
        if found(text):
            return what
    return None
