"""The fixed lists a debrief records about each person supported, with their labels: the age band
as observed (optional) and the hand-over, who the patrol left the person with (optional).

A debrief holds no personal data about the public: a person is a row of these choices (and the
kinds of help given, ``models.SUPPORT_KINDS``), never a name or free text."""

from __future__ import annotations

#: Age band as observed by the team; a person whose age the team would not guess has none.
AGE_BANDS = ("under_18", "18_24", "25_34", "35_49", "50_plus")
AGE_BAND_LABELS = {
    "under_18": "Under 18",
    "18_24": "18 to 24",
    "25_34": "25 to 34",
    "35_49": "35 to 49",
    "50_plus": "50 or over",
}

#: Who the patrol handed the person over to at the end, if anyone: the people and places a patrol
#: leaves someone with (emergency services, a safe space or welfare centre, their own friends or
#: family, a licensed taxi or other safe way home).
HANDOVERS = ("police", "ambulance", "safe_space", "friends_family", "taxi_home", "venue_staff")
HANDOVER_LABELS = {
    "police": "Police",
    "ambulance": "Ambulance or paramedics",
    "safe_space": "A safe space or welfare centre",
    "friends_family": "Their friends or family",
    "taxi_home": "A licensed taxi or safe transport home",
    "venue_staff": "Venue staff",
}
#: Hand-overs that are the support kind "handed_over" (handed to ambulance or police): a person
#: handed to either is recorded with that kind of help too.
EMERGENCY_HANDOVERS = ("police", "ambulance")

#: The most people one debrief may record (a busy night is 30 to 70).
MAX_PEOPLE_PER_DEBRIEF = 200

#: Gender as observed, for one person (the reports use the plural ``service.GENDER_LABELS``).
PERSON_GENDER_LABELS = {"woman": "Woman", "man": "Man", "other": "Other", "not_recorded": "Not recorded"}

#: Vetting and training records a volunteer holds (``models.RECORD_KINDS``).
RECORD_LABELS = {"dbs": "DBS check", "induction": "Induction", "first_aid": "First aid", "wave": "WAVE training"}
#: A volunteer's status (``models.VOLUNTEER_STATUSES``).
STATUS_LABELS = {"applicant": "Applicant", "active": "Active", "paused": "Paused", "left": "Left"}
#: Kinds of help given (``models.SUPPORT_KINDS``).
SUPPORT_LABELS = {
    "welfare": "Welfare / intoxication",
    "escorted": "Escorted to transport or a safe space",
    "first_aid": "First aid",
    "handed_over": "Handed to ambulance or police",
    "phone_charged": "Phone charged",
    "water_flipflops": "Water or flip-flops given",
    "other": "Other support",
}
#: Gender as observed, for counts of people (plural).
GENDER_LABELS = {"woman": "Women", "man": "Men", "other": "Other", "not_recorded": "Not recorded"}
#: A shift's staffing state on the board.
STAFFING_LABELS = {
    "ok": "OK",
    "at_risk": "At risk",
    "cannot_run": "Cannot run",
    "cancelled": "Cancelled",
    "stood_down": "Stood down",
}
