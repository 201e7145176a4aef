"""Volunteer applications: a member of the public applies (``/volunteer/apply``), a coordinator
approves (the applicant is mailed a one-time link to set a password, through the invitation
machinery) or declines (the password-less account and its profile are deleted, the applicant is told
politely). Also a coordinator withdrawing a volunteer's invitation. Never commits.

Applying never tells anyone whether an address already has an account: an address in use gets the
same answer, and nothing changes for it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth import repository as auth_repo
from nte.auth import service as auth_service
from nte.auth.models import Invitation, User
from nte.config import Settings
from nte.errors import Conflict, Invalid, NotFound
from nte.i18n import N_
from nte.notifications import service as outbox
from nte.patrols import application_repository as repo
from nte.patrols import service as patrols
from nte.patrols.models import Volunteer, VolunteerApplication

ABOUT_LIMIT = 1000
NAME_LIMIT = 120
PHONE_RE = re.compile(r"^\+?[0-9 ()-]{7,25}$")

DECLINE_MAIL = """Dear {name},

Thank you for offering to volunteer on the council's night-time safety patrols. We have read your
application carefully, and we are not able to take it further at the moment.

We have deleted the details you gave us. You are welcome to apply again in future.

With thanks,
The volunteer coordinators
"""


class ApplicationInvalid(Invalid):
    """One or more fields of the application form are wrong; ``errors`` holds them all."""

    code = "invalid"

    def __init__(self, errors: dict[str, str]) -> None:
        first = next(iter(errors))
        super().__init__(errors[first], field=first)
        self.errors = errors


class ApplicationNotFound(NotFound):
    code = "application_not_found"

    def __init__(self) -> None:
        super().__init__(
            "There is no such application waiting: it may have been declined already.", field="application_id"
        )


class ApplicationDecided(Conflict):
    code = "application_decided"

    def __init__(self) -> None:
        super().__init__(
            "This application was already approved: the applicant has been sent their link.", field="application_id"
        )


@dataclass(frozen=True)
class ApplicationForm:
    display_name: str
    email: str
    phone: str
    about: str
    consent: bool


def _check(form: ApplicationForm) -> tuple[str, str, str, str]:
    errors: dict[str, str] = {}
    name = (form.display_name or "").strip()
    if not name:
        errors["display_name"] = N_("Enter your name.")
    elif len(name) > NAME_LIMIT:
        errors["display_name"] = N_("Your name must be at most 120 characters long.")
    email = ""
    try:
        email = auth_service.normalise_email(form.email)
    except Invalid as exc:
        errors["email"] = exc.detail
    phone = " ".join((form.phone or "").split())
    if not phone:
        errors["phone"] = N_("Enter a phone number we can call you on.")
    elif not PHONE_RE.match(phone):
        errors["phone"] = N_("Enter a phone number like 020 7946 0000 or +44 7700 900000.")
    about = (form.about or "").strip()
    if not about:
        errors["about"] = N_("Tell us briefly why you would like to volunteer and when you are free.")
    elif len(about) > ABOUT_LIMIT:
        errors["about"] = N_("Keep it short: at most 1,000 characters.")
    if not form.consent:
        errors["consent"] = N_("Tick the box to agree to a DBS check: every patrol volunteer needs one.")
    if errors:
        raise ApplicationInvalid(errors)
    return name, email, phone, about


def apply(session: Session, *, form: ApplicationForm, now: datetime, spend: Callable[[str], None]) -> None:
    """Record an application: an account with no password (role volunteer, address unconfirmed), a
    patrol profile as an applicant and what they wrote. ``spend(email)`` is the caller's rate limit,
    counted for every well-formed application, whether or not the address has an account. An
    address that already has an account changes nothing and gets the same answer."""
    name, email, phone, about = _check(form)
    spend(email)
    if auth_repo.get_user_by_email(session, email) is not None:
        return
    user = auth_service.create_user(session, email=email, display_name=name, role="volunteer", password=None)
    volunteer = Volunteer(user_id=user.id, phone=phone, status="applicant", created_at=now, updated_at=now)
    session.add(volunteer)
    session.flush()
    application = VolunteerApplication(volunteer_id=volunteer.id, about=about, dbs_consent_at=now, created_at=now)
    session.add(application)
    session.flush()
    audit.record(
        session,
        actor=None,
        action="patrols.application.submit",
        target_type="patrol_volunteer",
        target_id=volunteer.id,
        detail={"application_id": application.id},
        at=now,
    )


@dataclass(frozen=True)
class ApplicationRow:
    application: VolunteerApplication
    volunteer: Volunteer
    user: User


def list_applications(session: Session) -> list[ApplicationRow]:
    """Applications waiting for a coordinator, oldest first."""
    return [ApplicationRow(a, v, u) for a, v, u in repo.undecided(session)]


def _undecided(session: Session, application_id: int) -> tuple[VolunteerApplication, Volunteer, User]:
    application = repo.get_application(session, application_id)
    if application is None:
        raise ApplicationNotFound()
    if application.approved_at is not None:
        raise ApplicationDecided()
    volunteer = patrols.get_volunteer(session, application.volunteer_id, field="application_id")
    user = patrols.volunteer_user(session, volunteer)
    return application, volunteer, user


def approve_application(
    session: Session, *, actor: User, application_id: int, now: datetime, settings: Settings
) -> User:
    """Mail the applicant a one-time link (7 days) to set their password; their profile stays an
    applicant until the coordinator records their DBS check and induction and makes it active."""
    application, volunteer, user = _undecided(session, application_id)
    patrols.invite_volunteer(
        session, actor=actor, email=user.email, display_name=user.display_name, now=now, settings=settings
    )
    application.approved_at = now
    application.approved_by_id = actor.id
    audit.record(
        session,
        actor=actor,
        action="patrols.application.approve",
        target_type="patrol_volunteer",
        target_id=volunteer.id,
        detail={"application_id": application.id},
        at=now,
    )
    return user


def decline_application(session: Session, *, actor: User, application_id: int, now: datetime) -> str:
    """Tell the applicant politely, then delete the password-less account, its profile and what they
    wrote. Returns the applicant's name for the coordinator's confirmation."""
    application, volunteer, user = _undecided(session, application_id)
    name = user.display_name
    outbox.enqueue(
        session,
        to=user.email,
        subject="Your application to volunteer with NTE Safe",
        body=DECLINE_MAIL.format(name=name),
        now=now,
    )
    audit.record(
        session,
        actor=actor,
        action="patrols.application.decline",
        target_type="patrol_volunteer",
        target_id=volunteer.id,
        detail={"application_id": application.id},
        at=now,
    )
    if not auth_service.remove_unused_account(session, user=user, actor=actor, reason="application_declined", now=now):
        raise Conflict(
            "This applicant's account is already in use, so it was not deleted.",
            field="application_id",
            code="account_in_use",
        )
    return name


# --- a coordinator's volunteer invitations -------------------------------------------------------

VOLUNTEER_ROLES = frozenset({"volunteer"})


@dataclass(frozen=True)
class WaitingInvitation:
    invitation: Invitation
    user: User


def waiting_invitations(session: Session, *, now: datetime) -> list[WaitingInvitation]:
    """Volunteer invitations that can still be accepted (and so withdrawn), newest first."""
    return [
        WaitingInvitation(invitation, user)
        for invitation, user, _ in auth_repo.list_invitations(session, roles=VOLUNTEER_ROLES)
        if auth_service.invitation_state(invitation, now=now) == "waiting"
    ]


def withdraw_volunteer_invitation(
    session: Session, *, actor: User, invitation_id: int, now: datetime
) -> auth_service.Withdrawn:
    """The link stops working at once; the account and its profile go too, unless the profile holds
    sign-ups or vetting records (the coordinator then changes its status instead)."""
    record = auth_repo.get_invitation(session, invitation_id)
    keep = False
    if record is not None:
        volunteer = patrols.repo.volunteer_for_user(session, record.user_id)
        keep = volunteer is not None and repo.profile_holds_anything(session, volunteer.id)
    return auth_service.withdraw_invitation(
        session, actor=actor, invitation_id=invitation_id, now=now, remove_account=not keep, roles=VOLUNTEER_ROLES
    )
