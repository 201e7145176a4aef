"""Personal data in free text: scrubbed from reports, refused in debriefs (nte.privacy)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nte.privacy import EMAIL_MARK, PHONE_MARK, personal_data_in, scrub

FAST = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))


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


# --- issue 14: compatibility characters, spelt-out local parts, webmail without a TLD -------------


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("write to jane.probe\uff20example.org please", ("jane", "probe", "example")),  # full-width @
        ("write to jane.probe\ufe6bexample.org please", ("jane", "probe", "example")),  # small @
        ("\uff4a\uff41\uff4e\uff45\uff20\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45\uff0e\uff43\uff4f\uff4d", ("jane",)),
        ("mail jane.probe at gmail if you saw it", ("jane", "probe", "gmail")),
        ("jane_probe AT Hotmail", ("jane", "probe", "hotmail")),
        ("jane (at) outlook", ("jane", "outlook")),
        ("jane.probe [at] yahoo, thanks", ("jane", "probe", "yahoo")),
        ("jane@icloud", ("jane", "icloud")),
        ("jane @ proton", ("jane", "proton")),
        ("jane dot doe at example dot com", ("jane", "doe", "example")),
        ("jane [dot] doe (at) example [dot] co [dot] uk", ("jane", "doe", "example")),
        ("jane underscore doe at gmail dot com", ("jane", "doe", "gmail")),
        ("jane.doe@exam\u200bple.com", ("jane", "doe", "exam", "ple")),  # a zero-width space inside
        ("\U0001d423\U0001d41a\U0001d427\U0001d41e at gmail", ("jane", "gmail")),  # mathematical bold
    ],
)
def test_disguised_email_addresses_are_removed_whole(text, gone):
    assert personal_data_in(text) == "an e-mail address"
    out = scrub(text)
    assert EMAIL_MARK in out
    words = set(re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", out).lower()))
    assert not words & {*gone, "dot", "underscore"}, out
    assert personal_data_in(out) is None


def test_the_text_around_a_removed_address_is_kept_as_written():
    # Nothing outside the address is normalised: the Arabic, the ligature and the full-width words stay.
    text = "\u0645\u0631\u062d\u0628\u0627 \ufb01ne \uff53\uff4f\uff48\uff4f: jane\uff20example.org \u00bd"
    assert scrub(text) == f"\u0645\u0631\u062d\u0628\u0627 \ufb01ne \uff53\uff4f\uff48\uff4f: {EMAIL_MARK} \u00bd"


def test_full_width_phone_numbers_are_removed():
    text = "call \uff10\uff17\uff17\uff10\uff10\u3000\uff19\uff10\uff10\uff11\uff12\uff13 or +44\u00a07700\u2013900123"
    assert personal_data_in(text) == "a phone number"
    assert scrub(text) == f"call {PHONE_MARK} or {PHONE_MARK}"


@pytest.mark.parametrize(
    "text",
    [
        "I was at the station at 11pm",
        "he looked at me",
        "meet at Oxford Circus",
        "I was at home. Me and my friend left at 2",  # a full stop then "Me" is not a ".me" domain
        "he was at the bar dot dot dot then left",
        "we were at the club. Com-pletely scared",
        "she stood at the door at 23:30, he said dot your i's",
        "at least 3 of them were at it again",
        "she emailed the council at once",
        "he shouted @ us from the bus",
    ],
)
def test_ordinary_sentences_with_at_and_dot_are_kept(text):
    assert scrub(text) == text
    assert personal_data_in(text) is None


# --- properties (Hypothesis) ------------------------------------------------------------------------

#: Ordinary words a report is made of, including the ones an address is spelt with ("at", "me").
ORDINARY_WORDS = (
    "I", "was", "at", "the", "station", "he", "she", "looked", "me", "meet", "Oxford", "Circus", "bus",
    "followed", "shouted", "near", "home", "club", "pub", "outside", "men", "a", "group", "of", "and", "him",
    "her", "friend", "then", "left", "said", "Soho", "Street", "night", "11pm", "23:30", "73", "2", "at.",
    "me,", "home.", "Me", "AT", "\u0645\u0631\u062d\u0628\u0627", "\u09ac\u09be\u09b8", "\ufb01ne", "\u00bd",
    "\uff53\uff54\uff41\uff54\uff49\uff4f\uff4e", "caf\u00e9", "cafe\u0301", "\u200fsaid", "\U0001f622",
)  # fmt: skip
TLDS = ("com", "org", "net", "co.uk", "org.uk", "ac.uk", "gov.uk", "de", "pl", "com.tr", "es", "io", "me")
WEBMAIL = ("gmail", "googlemail", "hotmail", "outlook", "yahoo", "icloud", "proton", "protonmail")
RESERVED = {"at", "dot", "underscore", "dash", "hyphen", "email", "removed", "phone", *WEBMAIL}
RESERVED |= {part for tld in TLDS for part in tld.split(".")}


def _styled(draw, text: str) -> str:
    """The same characters as a phone keyboard or a copy-paste might give them: case, full-width,
    mathematical letters, zero-width characters between them."""
    out = []
    for ch in text:
        style = draw(st.sampled_from(("plain", "plain", "upper", "full", "bold")))
        if style == "upper":
            ch = ch.upper()
        elif style == "full" and "!" <= ch <= "~":
            ch = chr(ord(ch) + 0xFEE0)
        elif style == "bold" and ch.isascii() and ch.isalpha():
            ch = chr((0x1D400 if ch.isupper() else 0x1D41A) + ord(ch.upper()) - ord("A"))
        elif style == "bold" and ch.isascii() and ch.isdigit():
            ch = chr(0x1D7CE + int(ch))
        elif ch == " ":
            ch = draw(st.sampled_from((" ", "\u00a0", "\u3000")))
        out.append(ch)
    inner = "".join(out)
    if len(out) > 2 and draw(st.booleans()):
        at = draw(st.integers(1, len(out) - 1))
        inner = "".join(out[:at]) + draw(st.sampled_from(("\u200b", "\u00ad", "\u2060"))) + "".join(out[at:])
    return inner


token = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=9).filter(lambda t: t not in RESERVED)
sentence = st.lists(st.sampled_from(ORDINARY_WORDS), max_size=8).map(" ".join)


@st.composite
def addresses(draw) -> tuple[str, set[str]]:
    """A generated e-mail address in one of the ways people write them, and its identifying tokens."""
    local = draw(st.lists(token, min_size=1, max_size=3))
    local_seps = st.sampled_from((".", "_", "-", "+", " dot ", " DOT ", "(dot)", " [dot] ", " underscore "))
    at = draw(st.sampled_from(("@", " @ ", " at ", " AT ", "(at)", " [at] ", "{at}", "<at>", " (@) ", "\ufe6b")))
    webmail = draw(st.booleans())
    if webmail:
        labels = [draw(st.sampled_from(WEBMAIL))]
        tld = draw(st.sampled_from(("", "com", "co.uk")))
    else:
        labels = draw(st.lists(token, min_size=1, max_size=2))
        tld = draw(st.sampled_from(TLDS))
    spelt_at = at.strip() in ("at", "AT")
    dots = (".", " dot ", "[dot]", "(.)", " (dot) ") + (() if spelt_at else (" . ",))
    dot = draw(st.sampled_from(dots))
    domain = dot.join(labels + (tld.split(".") if tld else []))
    text = local[0]
    for part in local[1:]:
        text += draw(local_seps) + part
    address = _styled(draw, text + at + domain)
    return address, set(local) | set(labels)


@FAST
@given(address=addresses(), before=sentence, after=sentence, punctuation=st.sampled_from(("", ".", ",", "!", ")")))
def test_property_no_generated_address_survives_and_nothing_else_changes(address, before, after, punctuation):
    written, identifying = address
    text = f"{before} {written}{punctuation} {after}"
    assert personal_data_in(text) == "an e-mail address", text
    out = scrub(text)
    assert out == f"{before} {EMAIL_MARK}{punctuation} {after}", (text, out)
    assert personal_data_in(out) is None


@st.composite
def phones(draw) -> tuple[str, str]:
    """A UK (or international) number as people write it, and its digits after the country code."""
    area = draw(st.sampled_from(("7", "20", "121", "161")))  # mobile, London, Birmingham, Manchester
    national = area + "".join(
        draw(st.lists(st.sampled_from("0123456789"), min_size=10 - len(area), max_size=10 - len(area)))
    )
    prefix = draw(st.sampled_from(("0", "+44 ", "+44 (0)", "0044 ", "+44")))
    sep = st.sampled_from((" ", "", "-", ".", " - ", "\u2013", "\u00a0", "\u3000"))
    groups, i = [], 0
    while i < len(national):
        n = draw(st.integers(2, 5))
        groups.append(national[i : i + n])
        i += n
    written = prefix + groups[0]
    for group in groups[1:]:
        written += draw(sep) + group
    return _styled(draw, written).replace("\u200b", "").replace("\u00ad", "").replace("\u2060", ""), national


plain_words = st.lists(st.sampled_from([w for w in ORDINARY_WORDS if not any(c.isdigit() for c in w)]), max_size=8)


@FAST
@given(phone=phones(), before=plain_words.map(" ".join), after=plain_words.map(" ".join))
def test_property_no_generated_phone_number_survives(phone, before, after):
    written, national = phone
    text = f"{before} {written} {after}"
    assert personal_data_in(text) == "a phone number", text
    out = scrub(text)
    assert out == f"{before} {PHONE_MARK} {after}", (text, out)
    assert national not in "".join(ch for ch in out if ch.isdigit())


def _numbers_apart(words: list[str]) -> bool:
    """Two numbers side by side ("23:30 73 73 73") are a run of digits the scrubber may take for a
    phone number, by design (over-detection is preferred): ordinary text keeps them apart."""
    numeric = [any(ch.isdigit() for ch in w) for w in words]
    return not any(a and b for a, b in zip(numeric, numeric[1:], strict=False))


@FAST
@given(text=st.lists(st.sampled_from(ORDINARY_WORDS), min_size=1, max_size=14).filter(_numbers_apart).map(" ".join))
def test_property_text_without_contact_details_is_unchanged(text):
    assert scrub(text) == text
    assert personal_data_in(text) is None
