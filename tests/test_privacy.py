"""Personal data in free text: scrubbed from reports, refused in debriefs (nte.privacy)."""

from __future__ import annotations

import pytest

from nte.privacy import EMAIL_MARK, PHONE_MARK, personal_data_in, scrub


@pytest.mark.parametrize(
    "text",
    [
        "call me on 07700 900123 please",
        "mobile +44 7700 900123",
        "landline (020) 7946 0018",
        "+44 (0)20 7946 0018",
        "0044 7700-900-123",
        "07700900123",
        "us number +1 212-555-0100",
        "+1 (212) 555.0100",
        "paris +33 1 23 45 67 89",
        "tr +90 212 555 12 34",
        "pl +48 601 234 567",
        "bd +880 1712-345678",
    ],
)
def test_phone_numbers_are_removed(text):
    assert personal_data_in(text) == "a phone number"
    out = scrub(text)
    assert PHONE_MARK in out
    assert sum(ch.isdigit() for ch in out) <= 3  # at most a stray country-code digit or so


@pytest.mark.parametrize(
    "text",
    [
        "write to jane.doe+x@example.co.uk",
        "JANE@EXAMPLE.COM",
        "jane at example dot com",
        "jane [at] example [dot] co [dot] uk",
        "jane(at)example(dot)org",
        "jane @ example . com",
    ],
)
def test_email_addresses_are_removed(text):
    assert personal_data_in(text) == "an e-mail address"
    out = scrub(text)
    assert EMAIL_MARK in out and "jane" not in out.lower()


@pytest.mark.parametrize(
    "text",
    [
        "It happened at 23:30 on 14/03/2026 near bus 73",
        "2026-03-14 at about 11.30pm, a group of 5 or 6 men",
        "outside number 221B, at the station",
        "we met at the pub",
    ],
)
def test_ordinary_text_is_kept(text):
    assert scrub(text) == text
    assert personal_data_in(text) is None


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("She said she was born in 1999", "a date of birth"),
        ("DOB 01/02/2003", "a date of birth"),
        ("d.o.b. given to the paramedics", "a date of birth"),
        ("NI number QQ 12 34 56 C", "a National Insurance number"),
        ("her friend's number is 07700 900456", "a phone number"),
        ("contact jo at example dot com", "an e-mail address"),
    ],
)
def test_identifiers_a_debrief_must_not_hold(text, what):
    assert personal_data_in(text) == what


@pytest.mark.parametrize(
    "text",
    [
        "Walked a woman in her 20s to the night bus on Charing Cross Road at 02:15",
        "Two men helped to the ambulance at 03:40; 6 bottles of water given",
        "Quiet night, 12 people supported, flip-flops x4",
        "Reborn nightclub queue was calm",  # "born" inside a word is not a date of birth
    ],
)
def test_ordinary_debrief_text_is_accepted(text):
    assert personal_data_in(text) is None
