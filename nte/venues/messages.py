"""Every mail the charter register sends, as named templates (``N_`` marked, ``%(name)s`` values).

Each ``Mail`` renders its subject and body with ``nte.i18n.Formatted``, so the English sentence
the outbox stores keeps its template and values. The words a status change records as its reason
(the scheduled lapses) are here too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from nte.i18n import N_, Formatted


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str

    def render(self, **values: object) -> tuple[str, str]:
        """The subject and body with ``values`` put in."""
        return Formatted(self.subject, **values), Formatted(self.body, **values)


def day_month_year(day: date) -> str:
    """A date as the renewal mails write it: "02 March 2027"."""
    return f"{day:%d %B %Y}"


# --- sign-up ---------------------------------------------------------------------------------------

#: To a new sign-up's address: no text the submitter wrote (the address is not confirmed yet).
CONFIRM_EMAIL = Mail(
    subject=N_("Confirm your e-mail address for NTE Safe"),
    body=N_(
        "Hello,\n\nSomeone signed a venue up to the Women's Night Safety Charter on NTE Safe with this e-mail "
        "address. If it was you, please confirm the address (the link works for 72 hours):\n\n%(link)s\n\n"
        "Then a community safety officer will check the sign-up. If it was not you, ignore this e-mail: "
        "the account cannot be used until the address is confirmed.\n"
    ),
)
#: To an address that already has an account: nothing was created.
ALREADY_REGISTERED = Mail(
    subject=N_("Someone tried to sign up to NTE Safe with your e-mail address"),
    body=N_(
        "Hello,\n\nSomeone tried to sign a venue up to the Women's Night Safety Charter on NTE Safe with this "
        "e-mail address, which already has an account. Nothing was created and your account is unchanged.\n\n"
        "If it was you, sign in to your venue portal instead:\n\n%(link)s\n\nIf it was not you, ignore this e-mail.\n"
    ),
)

# --- an officer's decision -------------------------------------------------------------------------

CHANGES_REQUESTED = Mail(
    subject=N_("%(venue)s: please make changes to your charter sign-up"),
    body=N_(
        "Hello,\n\nA community safety officer has checked the Women's Night Safety Charter sign-up for %(venue)s "
        "and asks you to change some things before it can be verified:\n\n%(reasons)s\n\n"
        'Sign in to your venue portal, make the changes and press "Resubmit for checking":\n\n%(link)s\n\n'
        "The officer will then check the sign-up again.\n"
    ),
)
VERIFIED = Mail(
    subject=N_("%(venue)s: your charter sign-up was verified"),
    body=N_("Your Women's Night Safety Charter sign-up for %(venue)s was verified."),
)
NOT_ACCEPTED = Mail(
    subject=N_("%(venue)s: your charter sign-up was not accepted"),
    body=N_("Your Women's Night Safety Charter sign-up for %(venue)s was not accepted."),
)
#: Added to a decision mail: the officer's reason, and (verified) the renewal date.
REASON_LINE = N_("\n\nReason: %(reason)s")
RENEWAL_DUE_LINE = N_("\n\nRenewal is due by %(date)s.")


def decision(*, verified: bool, venue: str, reason: str | None, renewal_date: date | None) -> tuple[str, str]:
    """The mail to a venue's manager when an officer verifies or rejects its sign-up."""
    subject, opening = (VERIFIED if verified else NOT_ACCEPTED).render(venue=venue)
    body = str(opening)
    if reason:
        body += Formatted(REASON_LINE, reason=reason)
    if verified and renewal_date is not None:
        body += Formatted(RENEWAL_DUE_LINE, date=renewal_date.isoformat())
    return subject, body


# --- spot checks -----------------------------------------------------------------------------------

SPOT_CHECK_FAILED = Mail(
    subject=N_("%(venue)s: a spot check found things to put right by %(due)s"),
    body=N_(
        "Hello,\n\nA community safety officer's spot check of %(venue)s on %(checked)s found things to put "
        "right:\n\n%(findings)s\n\nPlease put them right by %(due)s. An officer will check again; if the venue "
        "has not passed a re-check by then, its charter record lapses and it leaves the public map.\n\nSee it in "
        "your venue portal: %(link)s\n"
    ),
)
ACTION_OVERDUE_LAPSED = Mail(
    subject=N_("%(venue)s's charter record has lapsed after a failed spot check"),
    body=N_(
        "A spot check of %(venue)s found things to put right by %(due)s:\n\n%(findings)s\n\nNo re-check has "
        "passed since, so the charter record has lapsed and the venue has left the public map. Put the findings "
        "right, then ask to renew in the venue portal: %(link)s"
    ),
)
#: The status reason the job records when a failed spot check's action runs out.
ACTION_OVERDUE_REASON = N_("A failed spot check was not put right by %(due)s: %(findings)s")

# --- renewal ---------------------------------------------------------------------------------------

RENEWAL_REMINDER = Mail(
    subject=N_("Renew %(venue)s's Women's Night Safety Charter by %(date)s"),
    body=N_(
        "The charter record for %(venue)s is due for renewal on %(date)s (%(days)s days from now).\n\n"
        "Review your pledges and training, then renew in the venue portal: %(link)s\n\n"
        "If it is not renewed it will lapse and leave the public map."
    ),
)
LAPSED = Mail(
    subject=N_("%(venue)s's charter record has lapsed"),
    body=N_(
        "The charter record for %(venue)s was not renewed by %(date)s and has lapsed. Ask to renew it in the "
        "venue portal: a community safety officer will check it, and it returns to the public map when verified."
    ),
)
#: The status reason the expiry job records.
NOT_RENEWED_REASON = N_("Not renewed by the renewal date.")
