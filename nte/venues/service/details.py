"""A venue's details, as the sign-up and the portal take them: the declared fields, then where the
venue is (its pin, or its postcode's point when there is no pin) and the ward that puts it in."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from nte.auth import service as auth_service
from nte.config import Settings
from nte.errors import Invalid, NTEError
from nte.i18n import N_
from nte.postcodes import normalise_postcode
from nte.spatial import distance_m
from nte.venues.models import VENUE_TYPES
from nte.venues.service.validation import as_bool, choice_field, normalise_phone, text_field
from nte.wards import service as wards_service
from nte.wards.exceptions import InvalidCoordinates, NoWardSet
from nte.wards.models import Ward
from nte.web.forms import collect

#: A sign-up's pin further than this from its postcode's point is flagged to officers.
PIN_POSTCODE_FLAG_M = 300.0
#: What the sign-up says when the typed longitude or latitude cannot be read (instead of "lon must
#: be a number"), or when no ward boundaries are loaded yet.
LON_UNREADABLE = N_("The longitude must be a number from -180 to 180, like -0.1276.")
LAT_UNREADABLE = N_("The latitude must be a number from -90 to 90, like 51.5072.")
NO_WARDS_YET = N_("Venues cannot be placed on the map yet. Please try again later.")
LICENCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/ .-]{2,39}$")


def _postcode(text: str) -> str:
    postcode = normalise_postcode(text)
    if postcode is None:
        raise ValueError(N_("Enter a real UK postcode, like SW1A 2AA."))
    return postcode


def _licence(text: str) -> None:
    if not LICENCE_RE.match(text):
        raise ValueError(N_("A premises licence number has letters, digits, '/', '-' or spaces only."))


def _email(text: str) -> str:
    try:
        return auth_service.normalise_email(text, field="contact_email")
    except Invalid as exc:
        raise ValueError(exc.detail) from None


def _phone(text: str) -> str:
    phone = normalise_phone(text)
    if phone is None:
        raise ValueError(N_("Enter a UK phone number, like 020 7946 0000 or +44 7700 900123."))
    return phone


DETAIL_FIELDS = (
    text_field("name", 200, N_("Enter the venue's name."), N_("The venue's name must be %(n)s characters or fewer.")),
    choice_field("venue_type", VENUE_TYPES, N_("Choose the type of venue.")),
    text_field(
        "address",
        300,
        N_("Enter the venue's address."),
        N_("The venue's address must be %(n)s characters or fewer."),
    ),
    text_field(
        "postcode",
        10,
        N_("Enter the postcode."),
        N_("The postcode must be %(n)s characters or fewer."),
        parse=_postcode,
    ),
    text_field(
        "licence_number",
        40,
        None,
        N_("The premises licence number must be %(n)s characters or fewer."),
        check=_licence,
    ),
    text_field(
        "contact_email",
        254,
        N_("Enter a contact e-mail address."),
        N_("A contact e-mail address must be %(n)s characters or fewer."),
        parse=_email,
    ),
    text_field(
        "contact_phone",
        25,
        N_("Enter a contact phone number."),
        N_("A contact phone number must be %(n)s characters or fewer."),
        parse=_phone,
    ),
    text_field(
        "champion_name",
        120,
        N_("Enter the champion's name."),
        N_("The champion's name must be %(n)s characters or fewer."),
    ),
    text_field(
        "champion_role",
        120,
        N_("Enter the champion's role."),
        N_("The champion's role must be %(n)s characters or fewer."),
    ),
)
MANAGER_FIELDS = (
    text_field("manager_name", 120, N_("Enter your name."), N_("Your name must be %(n)s characters or fewer.")),
)


@dataclass
class CleanDetails:
    name: str
    venue_type: str
    address: str
    postcode: str
    licence_number: str | None
    lon: float
    lat: float
    ward_code: str
    borough_code: str
    contact_email: str
    contact_phone: str
    champion_name: str
    champion_role: str
    ask_for_angela: bool
    # The location is the postcode's point, not a pin someone placed (a sign-up without the map).
    location_approximate: bool = False
    # How far the pin is from the postcode's point, when we hold one (flagged above PIN_POSTCODE_FLAG_M).
    pin_postcode_distance_m: float | None = None


#: The point of a full postcode, (lon, lat, approximate), or None when none is held (nte.places).
PostcodePoint = Callable[[str], tuple[float, float, bool] | None]


@dataclass
class _Place:
    lon: float
    lat: float
    ward: Ward
    approximate: bool
    known: tuple[float, float, bool] | None


def _place(
    session: Session,
    raw: Mapping[str, Any],
    *,
    postcode: str | None,
    settings: Settings,
    errors: dict[str, str],
    postcode_point: PostcodePoint | None,
) -> _Place | None:
    """Where the venue is: its pin, or (no pin: no map, no script) the postcode's point, marked
    approximate. Problems go in ``errors`` under ``location``, ``lon``, ``lat`` or ``postcode``."""
    lon_raw, lat_raw = raw.get("lon"), raw.get("lat")
    known = postcode_point(postcode) if postcode_point is not None and postcode else None
    approximate = as_bool(raw.get("location_approximate"))
    if (lon_raw in (None, "") or lat_raw in (None, "")) and known is not None:
        lon_raw, lat_raw, approximate = known[0], known[1], True
    if lon_raw in (None, "") or lat_raw in (None, ""):
        if postcode_point is not None and postcode and "postcode" not in errors:
            errors["postcode"] = N_(
                "We could not find this postcode. Check it, or place a pin on the map where the venue is."
            )
        else:
            errors["location"] = N_("Place a pin on the map where the venue is (or type its longitude and latitude).")
        return None
    try:
        ward = wards_service.locate(session, lon=lon_raw, lat=lat_raw, settings=settings)
        return _Place(float(lon_raw), float(lat_raw), ward, approximate, known)
    except InvalidCoordinates as exc:  # the typed longitude or latitude, in words the page translates
        field_name = "lat" if exc.field == "lat" else "lon"
        errors[field_name] = LAT_UNREADABLE if field_name == "lat" else LON_UNREADABLE
    except NoWardSet:
        errors["location"] = NO_WARDS_YET
    except NTEError as exc:
        errors["location" if exc.field == "location" else exc.field or "location"] = exc.detail
    return None


def clean_details(
    session: Session,
    raw: Mapping[str, Any],
    *,
    settings: Settings,
    errors: dict[str, str],
    postcode_point: PostcodePoint | None = None,
) -> CleanDetails | None:
    """The venue's details, or None with every problem added to ``errors``."""
    values, wrong = collect(DETAIL_FIELDS, raw)
    errors.update(wrong)
    place = _place(
        session, raw, postcode=values.get("postcode"), settings=settings, errors=errors, postcode_point=postcode_point
    )
    if errors or place is None:
        return None
    known = place.known
    return CleanDetails(
        name=values["name"],
        venue_type=values["venue_type"],
        address=values["address"],
        postcode=values["postcode"],
        licence_number=values["licence_number"] or None,
        lon=place.lon,
        lat=place.lat,
        ward_code=place.ward.code,
        borough_code=place.ward.borough_code,
        contact_email=values["contact_email"],
        contact_phone=values["contact_phone"],
        champion_name=values["champion_name"],
        champion_role=values["champion_role"],
        ask_for_angela=as_bool(raw.get("ask_for_angela")),
        location_approximate=place.approximate,
        pin_postcode_distance_m=(
            round(distance_m(place.lon, place.lat, known[0], known[1]), 1) if known is not None else None
        ),
    )
