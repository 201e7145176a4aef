"""What a report can say: categories, environmental factors, time bands, age bands, genders.

Labels are English source strings; pages translate them with ``_()`` (``N_`` marks them for
extraction without translating here). Police.uk crime types map to slugs for imported records."""

from __future__ import annotations

import functools
import re

from nte.i18n import N_

__all__ = ["N_"]


# StreetSafe factors and the UK rail "zero tolerance" list (PRODUCT.md).
CATEGORIES: dict[str, str] = {
    "verbal_harassment": N_("Verbal harassment (comments, catcalling)"),
    "followed": N_("Followed or stalked"),
    "intimidating_group": N_("Intimidating group"),
    "indecent_exposure": N_("Indecent exposure"),
    "sexual_touching": N_("Sexual touching or groping"),
    "upskirting": N_("Upskirting or covert photos"),
    "cyberflashing": N_("Cyberflashing"),
    "spiking": N_("Spiking suspected"),
    "other": N_("Something else"),
}

FACTORS: dict[str, str] = {
    "poor_lighting": N_("Poor lighting"),
    "no_cctv": N_("No CCTV"),
    "isolated": N_("Isolated or empty area"),
    "blind_spots": N_("Blind spots"),
    "overgrown": N_("Overgrown"),
    "run_down": N_("Run-down"),
    "drug_alcohol": N_("Signs of drug or alcohol use"),
}

# Start hour (London) -> label. A band that ends after midnight starts on the chosen date.
TIME_BANDS: dict[str, tuple[int, str]] = {
    "06-12": (6, N_("Morning (06:00 to 12:00)")),
    "12-18": (12, N_("Afternoon (12:00 to 18:00)")),
    "18-22": (18, N_("Evening (18:00 to 22:00)")),
    "22-02": (22, N_("Late night (22:00 to 02:00)")),
    "02-06": (2, N_("Early hours (02:00 to 06:00)")),
}

AGE_BANDS: dict[str, str] = {
    "under_18": N_("Under 18"),
    "18_24": "18–24",
    "25_34": "25–34",
    "35_44": "35–44",
    "45_54": "45–54",
    "55_64": "55–64",
    "65_plus": N_("65 or over"),
}

GENDERS: dict[str, str] = {
    "woman": N_("Woman"),
    "man": N_("Man"),
    "non_binary": N_("Non-binary"),
    "other": N_("I describe myself another way"),
}

# Police.uk "Crime type" -> category slug kept in main_category for imported police records.
POLICE_CRIME_TYPES = (
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
)


@functools.lru_cache(maxsize=256)  # a dozen crime types, once per imported row
def police_slug(crime_type: str) -> str:
    """ "Violence and sexual offences" -> "police:violence-and-sexual-offences" (max 40 chars)."""
    slug = re.sub(r"[^a-z0-9]+", "-", crime_type.strip().lower()).strip("-")
    return ("police:" + slug)[:40]


def category_label(slug: str) -> str:
    if slug in CATEGORIES:
        return CATEGORIES[slug]
    if slug.startswith("police:"):
        return "Police: " + slug[7:].replace("-", " ").capitalize()
    return slug
