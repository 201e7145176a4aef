"""The mails accounts are sent: a password reset link and an invitation. Each is a named template
(``N_``-marked for the catalogues, ``%(name)s`` placeholders) that the service fills in; the
wording lives here and nowhere else."""

from __future__ import annotations

from nte.i18n import N_

RESET_SUBJECT = N_("Reset your NTE Safe password")
RESET_MAIL = N_(
    """Someone (we hope you) asked to reset the password of your NTE Safe account.

Choose a new password here (the link works once, for one hour):

%(link)s

If you did not ask for this, ignore this mail: your password stays as it is.
"""
)

INVITATION_SUBJECT = N_("You are invited to NTE Safe")
INVITATION_MAIL = N_(
    """%(inviter)s has invited you to NTE Safe, the council's night-time safety service, as %(role)s.

Choose your name and password here (the link works once, for %(days)s days):

%(link)s

If you were not expecting this, ignore this mail.
"""
)
