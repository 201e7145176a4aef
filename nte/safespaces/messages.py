"""What the safe-space domain says in mail and after a form is sent: named templates, filled with
``%`` (the wording is the one people have been receiving; change it here, in one place). Officers'
and owners' pages are in English, so these are not in the public catalogues."""

from __future__ import annotations

from nte.i18n import N_

# --- re-confirm reminders (``service.reminders``) ---------------------------------------------------

RECONFIRM_DUE_SUBJECT = N_("Please re-confirm the opening hours of %(name)s")
RECONFIRM_DUE_BODY = N_(
    "The opening hours of %(name)s were last confirmed on %(confirmed)s. "
    "From %(stale_on)s we will stop showing it as open (we never show a place as open "
    "when we are unsure). Please check the hours and confirm them: %(link)s"
)
RECONFIRM_STALE_SUBJECT = N_("%(name)s is no longer shown as open")
RECONFIRM_STALE_BODY = N_(
    "The opening hours of %(name)s have not been confirmed since "
    "%(confirmed)s, so people looking for help are told it is closed. "
    "Confirm the hours to show it as open again: %(link)s"
)

# --- an officer's decision on a proposed change (``service.proposals``) -----------------------------

PROPOSAL_DECIDED_SUBJECT = N_("Safe space change %(status)s: %(name)s")
PROPOSAL_DECIDED_BODY = N_("Your proposed change to %(name)s was %(status)s.")
PROPOSAL_DECIDED_NOTE = N_("\n\nNote from the officer: %(note)s")
PROPOSAL_DECIDED_LINK = N_("\n\nSee your safe spaces: %(base_url)s/safe-spaces/mine")

# --- success messages after a POST (the pages' signed ``?done=`` table; officers' and owners' pages) ---

SAVED = N_("Saved.")
IMPORTED = N_("Import finished: %(created)s added, %(already_present)s already present.")
PROPOSED = N_(
    "Thank you. An officer will check your change and you will get an e-mail when it is approved or rejected."
)
