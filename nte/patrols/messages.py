"""Every mail the patrol service sends, and the success messages its pages show, as named templates.

Mail templates are catalogue messages (``N_`` marked, ``%(name)s`` placeholders) so they can be
translated later; the service passes the values already formatted (London times from
``service.clock``) and renders them with :func:`render`. A mail to one person starts with
``GREETING``; what follows is the template named by what happened.

``FLASH`` is the fixed table of messages a page shows after a successful POST: the redirect names a
key and its values, signed (``nte.web.flash``), so a link cannot put its own words in the box."""

from __future__ import annotations

from nte.i18n import N_
from nte.web.flash import FlashMessages


def render(template: str, **values: object) -> str:
    """The mail text: ``template`` with its ``%(name)s`` placeholders filled."""
    return template % values


#: Put before the body of a mail to one person.
GREETING = N_("Hello %(name)s,\n\n")


def greeted(name: str, body: str) -> str:
    """``body`` addressed to ``name``."""
    return render(GREETING, name=name) + body


# --- a night changed (materialising a series, cancelling or reinstating a shift) -----------------

SHIFT_CANCELLED_SUBJECT = N_("Patrol cancelled: %(area)s, %(start)s")
SHIFT_CANCELLED = N_(
    "The patrol in %(area)s on %(start)s has been cancelled. Your calendar feed shows it as cancelled.\n"
)
SHIFT_CHANGED_SUBJECT = N_("Patrol changed: %(area)s, now %(start)s")
#: How the night runs now (the end of the "changed" and "back on" mails).
SHIFT_NOW_RUNS = N_("Now: %(area)s, %(start)s to %(end)s, meeting point: %(meet)s.\n")
SHIFT_BACK_ON = N_("The patrol in %(area)s that was cancelled is back on (London time). You keep your place.\n")
SHIFT_CHANGED = N_(
    "The patrol in %(old_area)s has changed (London time).\n"
    "Was: %(old_area)s, %(old_start)s to %(old_end)s, meeting point: %(old_meet)s.\n"
)
#: The meeting point when a night has none of its own.
MEET_AS_USUAL = N_("as usual")

# --- the waitlist ----------------------------------------------------------------------------------

OFFER_SUBJECT = N_("A place is free: patrol %(area)s, %(start)s")
OFFER = N_(
    "A place has become free on the patrol in %(area)s on %(start)s. Please confirm by %(expires)s on your "
    "My shifts page, or it goes to the next person on the waitlist.\n"
)

# --- reminders and staffing alerts -----------------------------------------------------------------

REMINDER_SUBJECT = N_("Patrol %(when)s (London time): %(area)s")
REMINDER = N_(
    "Reminder: your patrol in %(area)s starts %(when)s London time (%(day)s) and ends at %(end_time)s on "
    "%(end_day)s (London time). Meeting point: %(meet)s. Please check in when you arrive and confirm you are "
    "home safe afterwards.\n"
)
STAFFING_ALERT_SUBJECT = N_("Patrol %(state)s: %(area)s, %(when)s (London time)")
STAFFING_ALERT = N_(
    "The patrol in %(area)s %(when)s London time (%(day)s) is %(state)s: %(reasons)s. Eligible free volunteers "
    "have been invited.\n"
)
#: Added to the staffing alert when the shift is due to be stood down (issue 18).
STAFFING_ALERT_STAND_DOWN = N_(
    "Unless it is staffed, or you confirm on its page that it runs below its minimum (never with fewer than "
    "%(minimum)s), it is stood down at %(at)s.\n"
)
INVITE_SUBJECT = N_("Can you patrol %(area)s %(when)s (London time)?")
INVITE = N_(
    "The patrol in %(area)s %(when)s London time (%(day)s) needs more volunteers. If you can help, sign up on "
    "your My shifts page.\n"
)

# --- stand-down ------------------------------------------------------------------------------------

STOOD_DOWN_SUBJECT = N_("Patrol stood down: %(area)s, %(start)s")
STOOD_DOWN = N_(
    "The patrol in %(area)s on %(start)s (London time) will not run: it has been stood down because it has "
    "%(reason)s. Please do not go out on your own. Your calendar feed shows it as cancelled.\n"
)
#: Added to the coordinators' copy of the stand-down mail.
STOOD_DOWN_COORDINATORS = N_("A coordinator can reinstate it before the start, with a reason, on the shift page.\n")
BELOW_MINIMUM_SUBJECT = N_("Patrol runs below its minimum: %(area)s, %(start)s")
BELOW_MINIMUM = N_(
    "The patrol in %(area)s on %(start)s (London time) runs with %(team)s, below its minimum (%(shortfall)s). "
    "The coordinator's reason: %(reason)s\n"
)
#: "3 volunteers (1 team lead)": singular and plural of each part.
VOLUNTEERS_ONE = N_("%(n)s volunteer")
VOLUNTEERS_MANY = N_("%(n)s volunteers")
TEAM_LEADS_ONE = N_(" (%(n)s team lead)")
TEAM_LEADS_MANY = N_(" (%(n)s team leads)")

# --- lone worker -----------------------------------------------------------------------------------

LONE_WORKER_SUBJECT = N_("URGENT: %(name)s not confirmed home safe")
LONE_WORKER = N_(
    "%(name)s has not confirmed they are home safe after the patrol in %(area)s that ended %(ended)s London "
    "time. %(checked_in)s\nPhone: %(phone)s. Emergency contact: %(contact)s.\nPlease try to reach them now.\n"
)
LONE_WORKER_CHECKED_IN = N_("They checked in at %(at)s London time.")
LONE_WORKER_NOT_CHECKED_IN = N_("They did not check in.")
#: The name used for a volunteer whose account is gone.
VOLUNTEER_NUMBER = N_("volunteer %(id)s")
NOT_RECORDED = N_("not recorded")

# --- records ---------------------------------------------------------------------------------------

RECORD_EXPIRY_SUBJECT = N_("Your %(label)s expires on %(when)s")
RECORD_EXPIRY = N_(
    "Your %(label)s expires on %(when)s (%(days)s days). Please renew it with your coordinator so you can keep "
    "patrolling.\n"
)
RECORD_EXPIRY_COORDINATORS_SUBJECT = N_("%(label)s of %(name)s expires on %(when)s")
RECORD_EXPIRY_COORDINATORS = N_("The %(label)s of %(name)s expires on %(when)s (%(days)s days).\n")


# --- success messages after a POST (pages) ---------------------------------------------------------

FLASH = FlashMessages(
    {
        # coordinator: areas, series, nights
        "area.saved": N_("Patrol area %(name)s saved."),
        "series.saved": N_("Series saved: %(words)s. Shifts are scheduled for the next 8 weeks."),
        "series.resumed": N_("Series resumed: %(moved)s night(s) back on; the next 8 weeks are scheduled again."),
        "series.resumed_told": N_(
            "Series resumed: %(moved)s night(s) back on; %(told)s signed-up volunteer(s) told; the next 8 weeks "
            "are scheduled again."
        ),
        "series.paused": N_(
            "Series paused: %(cancelled)s future night(s) cancelled. No new nights are added; resuming brings "
            "them back."
        ),
        "series.paused_told": N_(
            "Series paused: %(cancelled)s future night(s) cancelled; %(told)s signed-up volunteer(s) told. No new "
            "nights are added; resuming brings them back."
        ),
        "series.ended": N_("Series ends after %(last)s. %(cancelled)s later night(s) cancelled."),
        "series.ended_told": N_(
            "Series ends after %(last)s. %(cancelled)s later night(s) cancelled; %(told)s signed-up volunteer(s) told."
        ),
        "series.changed": N_("From %(first)s the series runs: %(words)s (%(summary)s)."),
        "night.updated": N_("Night of %(date)s updated."),
        # coordinator: one shift
        "shift.cancelled": N_("Shift cancelled; the volunteers have been told."),
        "shift.confirmed_below_minimum": N_(
            "Confirmed: the shift runs below its minimum; the team is told your reason."
        ),
        "shift.reinstated": N_("Shift reinstated; the volunteers have been told."),
        "signup.taken_off": N_("Volunteer taken off the shift."),
        "signup.no_show": N_("No-show recorded."),
        "signup.no_show_removed": N_("No-show removed."),
        # coordinator: volunteers
        "volunteer.created": N_("Volunteer profile created."),
        "volunteer.invited": N_("Invitation sent. The link works for 7 days."),
        "volunteer.saved": N_("Profile saved."),
        "volunteer.record_added": N_("Record added."),
        "application.approved": N_("Approved: %(name)s was sent a link to set a password (7 days)."),
        "application.declined": N_("Declined: %(name)s was told by e-mail and their details deleted."),
        "invitation.withdrawn": N_("Invitation to %(email)s withdrawn: its link no longer works."),
        "invitation.withdrawn_removed": N_(
            "Invitation to %(email)s withdrawn: its link no longer works. The account it made was removed."
        ),
        # volunteer
        "signup.waitlisted": N_("You are on the waitlist; we will e-mail you if a place frees up."),
        "signup.confirmed": N_("You are signed up. Thank you!"),
        "signup.cancelled": N_("You are no longer on this shift."),
        "offer.accepted": N_("Place confirmed. Thank you!"),
        "offer.declined": N_("Offer declined."),
        "shift.checked_in": N_("Checked in. Stay with your team."),
        "shift.home_safe": N_("Thank you, glad you are home safe."),
        "feed.revoked": N_("Your calendar address has been revoked; it no longer works."),
        "debrief.filed": N_("Debrief filed. Thank you for tonight."),
    }
)

#: The parts of the "series changed" summary, and the summary when nobody had to be told.
CHANGED_MOVED = N_("%(n)s night(s) moved")
CHANGED_CANCELLED = N_("%(n)s night(s) cancelled")
CHANGED_TOLD = N_("%(n)s signed-up volunteer(s) told")
CHANGED_NOBODY = N_("no volunteer had to be told")
