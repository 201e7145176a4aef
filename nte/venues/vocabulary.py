"""The venue words pages and mails show: the charter's pledges and the labels of every stored key.

The public labels (pledges, venue types, training, schemes) are the catalogue strings of
``nte.venues.labels`` (one source: pages translate them with ``_(label)``); the officers' labels
(statuses, outcomes, flags, actions) are plain English."""

from __future__ import annotations

from nte.venues.labels import PLEDGES, SCHEME_LABELS, TRAINING_TYPE_LABELS, VENUE_TYPE_LABELS

__all__ = [
    "ACTION_LABELS",
    "FLAG_LABELS",
    "OUTCOME_LABELS",
    "PLEDGES",
    "SCHEME_LABELS",
    "STATUS_LABELS",
    "TRAINING_TYPE_LABELS",
    "VENUE_TYPE_LABELS",
]

STATUS_LABELS = {
    "submitted": "Submitted",
    "changes_requested": "Changes requested",
    "verified": "Verified",
    "rejected": "Rejected",
    "lapsed": "Lapsed",
    "withdrawn": "Withdrawn",
}
OUTCOME_LABELS = {"pass": "Pass", "advice": "Pass with advice", "fail": "Fail"}
FLAG_LABELS = {
    "pledge_overdue": "A pledge is not yet met and its target date has passed",
    "angela_untrained": (
        "Ask for Angela posters, but too few staff trained (WAVE or Ask for Angela) in the last 12 months"
    ),
    "accreditation_expiring": "An accreditation expires within 30 days",
    "possible_duplicate": "Possible duplicate of another sign-up",
    "staff_count_missing": "Ask for Angela posters, but the number of staff is not stated",
    "spot_check_action": "A failed spot check has an action open",
}
ACTION_LABELS = {
    "verify": "Verify",
    "request_changes": "Request changes",
    "reject": "Reject (final)",
    "lapse": "Lapse",
    "withdraw": "Withdraw",
    "renew": "Renew",
    "resubmit": "Resubmit for checking",
    "request_renewal": "Asked to renew",
}
