"""The words the public reads for a Safe Space's kind, the help it offers and its codewords,
marked for translation (stored values stay the keys)."""

from __future__ import annotations

from nte.i18n import N_

KIND_LABELS = {
    "pharmacy": N_("Pharmacy"),
    "safe_haven": N_("Safe haven"),
    "charter_venue": N_("Charter venue"),
    "community_centre": N_("Community or faith centre"),
    "transport_hub": N_("Transport hub"),
    "other": N_("Other"),
}
HELP_LABELS = {
    "staff_on_duty": N_("At least 2 staff on duty"),
    "trained_staff": N_("Staff trained to help (e.g. SIA, WAVE)"),
    "water": N_("Water"),
    "phone_for_calls": N_("A phone for emergency, helpline or taxi calls"),
    "cctv": N_("CCTV"),
    "toilets": N_("Toilets"),
    "first_aid": N_("First aid"),
    "phone_charging": N_("Phone charging"),
    "lockable_room": N_("A room with a lockable door"),
    "private_seating": N_("Seating away from the public"),
}
CODEWORD_LABELS = {"ask_for_ani": N_("Ask for ANI"), "ask_for_angela": N_("Ask for Angela")}
