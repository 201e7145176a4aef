"""The venue words the public reads, marked for translation: pledge texts, venue types, training
and accreditation schemes. Stored values stay English keys (``"pub"``, ``"wave"``); these are the
English source strings pages translate with ``_(label)`` (``N_`` only marks them for extraction).
They are the same strings as ``nte.venues.service``'s labels (officers' pages and e-mails use those);
``tests/web/test_catalogues.py`` checks the two agree."""

from __future__ import annotations

from nte.i18n import N_

#: The Mayor of London's Women's Night Safety Charter, as signatories list the pledges.
PLEDGES = (
    N_("Nominate a champion who actively promotes women's night safety."),
    N_(
        "Show staff and customers that the organisation takes women's safety at night seriously, "
        "for example through a communications campaign."
    ),
    N_("Remind customers and staff what to do if they experience harassment when working, going out or travelling."),
    N_("Encourage reporting by victims and bystanders."),
    N_("Train staff so that all women who report are believed."),
    N_("Train staff so that all reports are recorded and responded to."),
    N_("Design public spaces and workplaces to make them safer for women at night."),
)
VENUE_TYPE_LABELS = {
    "pub": N_("Pub"),
    "bar": N_("Bar"),
    "nightclub": N_("Nightclub"),
    "late_night_food": N_("Late-night food"),
    "hotel": N_("Hotel"),
    "theatre": N_("Theatre or venue"),
    "other": N_("Other"),
}
TRAINING_TYPE_LABELS = {
    "wave": N_("WAVE"),
    "ask_for_angela": N_("Ask for Angela"),
    "bystander": N_("Bystander"),
    "other": N_("Other"),
}
SCHEME_LABELS = {
    "night_haven": N_("Night Haven (Westminster)"),
    "safety_thirst": N_("Safety Thirst (City of London)"),
    "hackney_nights": N_("Hackney Nights"),
    "best_bar_none": N_("Best Bar None"),
    "other": N_("Other scheme"),
}
