"""Invitations: staff (and coordinators, for volunteers) invite a person by e-mail; the account
is made at once without a password, and the mailed one-time link lets its owner choose one.
Withdrawn or expired invitations take the account with them when it was never used."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth import messages
from nte.auth import repository as repo
from nte.auth.exceptions import (
    AccountExists,
    InvitationNotAllowed,
    InvitationNotFound,
    InvitationNotWaiting,
    LinkNotValid,
)
from nte.auth.models import Invitation, Role, User
from nte.auth.security import new_token, token_hash
from nte.auth.service.accounts import check_password_strength, create_user, normalise_email, remove_unused_account
from nte.auth.service.passwords import set_password
from nte.config import Settings
from nte.errors import Invalid
from nte.notifications import service as outbox

INVITATION_DAYS = 7
#: Who may invite whom. Volunteers also need a patrol profile: the patrols service invites them.
MAY_INVITE: dict[str, frozenset[str]] = {
    Role.admin.value: frozenset({Role.officer.value, Role.coordinator.value, Role.admin.value, Role.volunteer.value}),
    Role.coordinator.value: frozenset({Role.volunteer.value}),
}
ROLE_NAMES = {
    "admin": "an administrator",
    "officer": "a community safety officer",
    "coordinator": "a volunteer coordinator",
    "volunteer": "a volunteer",
    "venue_manager": "a venue manager",
}


@dataclass(frozen=True)
class NewInvitation:
    token: str
    record: Invitation
    user: User


def invite(
    session: Session,
    *,
    actor: User,
    email: str,
    role: Role | str,
    display_name: str,
    now: datetime,
    settings: Settings,
) -> NewInvitation:
    """Make the account (no password yet) and mail its owner a one-time link. An address that already
    has an account is refused, plainly (inviters are trusted staff); one invited before with the same
    role and never accepted gets a new link, and the old one stops working."""
    try:
        role = Role(role)
    except ValueError:
        raise Invalid("Choose a role.", field="role") from None
    if role.value not in MAY_INVITE.get(actor.role, frozenset()):
        raise InvitationNotAllowed()
    email = normalise_email(email)
    display_name = (display_name or "").strip()
    if not display_name:
        raise Invalid("Enter the person's name.", field="display_name")
    if len(display_name) > 120:
        raise Invalid("The name must be at most 120 characters long.", field="display_name")
    user = repo.get_user_by_email(session, email)
    if user is None:
        user = create_user(session, email=email, display_name=display_name, role=role, password=None, actor=actor)
    elif user.password_hash is None and user.role == role.value and user.is_active:
        repo.expire_invitations(session, user.id, now=now)
        user.display_name = display_name
    else:
        raise AccountExists()
    token = new_token()
    record = Invitation(
        user_id=user.id,
        invited_by_id=actor.id,
        role=role.value,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    session.add(record)
    session.flush()
    link = f"{settings.base_url.rstrip('/')}/invite/{token}"
    outbox.enqueue(
        session,
        to=user.email,
        subject=messages.INVITATION_SUBJECT,
        body=messages.INVITATION_MAIL
        % {"inviter": actor.display_name, "role": ROLE_NAMES[role.value], "days": INVITATION_DAYS, "link": link},
        now=now,
        secret=link,
    )
    audit.record(
        session,
        actor=actor,
        action="user.invite",
        target_type="user",
        target_id=user.id,
        detail={"role": role.value, "invitation_id": record.id},
    )
    return NewInvitation(token=token, record=record, user=user)


def open_invitation(session: Session, *, token: str, now: datetime) -> tuple[Invitation, User]:
    """The invitation a link stands for, while it can still be accepted; LinkNotValid otherwise."""
    record = repo.find_invitation(session, token_hash(token))
    if record is not None and record.accepted_at is not None:
        raise LinkNotValid(
            "This invitation was already accepted. Sign in with the password chosen then, "
            "or use 'Forgot your password?' on the sign-in page.",
            field="token",
        )
    if record is not None and record.withdrawn_at is not None:
        inviter = repo.get_user(session, record.invited_by_id) if record.invited_by_id else None
        who = f"{inviter.display_name} ({inviter.email})" if inviter else "the council's volunteer coordinator"
        raise LinkNotValid(
            f"This invitation link is no longer valid: it was withdrawn. If you think this is a mistake, ask {who}.",
            field="token",
        )
    if record is None or record.expires_at <= now:
        raise LinkNotValid(
            f"This invitation link is no longer valid: it has expired (invitations work for {INVITATION_DAYS} days) "
            "or was withdrawn. Ask whoever invited you (your volunteer coordinator, or the council's "
            "administrator for staff) to send a new one.",
            field="token",
        )
    user = repo.get_user(session, record.user_id)
    if user is None or not user.is_active or user.role != record.role:
        raise LinkNotValid("This invitation is no longer valid. Ask whoever invited you.", field="token")
    return record, user


def accept_invitation(session: Session, *, token: str, display_name: str, password: str, now: datetime) -> User:
    """The invitee chooses their name and password: the address is confirmed and the link used up."""
    record, user = open_invitation(session, token=token, now=now)
    display_name = (display_name or "").strip()
    if not display_name:
        raise Invalid("Enter your name.", field="display_name")
    if len(display_name) > 120:
        raise Invalid("Your name must be at most 120 characters long.", field="display_name")
    check_password_strength(password)  # before anything changes: the page commits what it shows
    user.display_name = display_name
    set_password(
        session,
        user=user,
        new=password,
        keep_session_id=None,
        now=now,
        action="user.invitation_accept",
        field="password",
    )
    user.email_confirmed_at = user.email_confirmed_at or now
    record.accepted_at = now
    return user


def invitation_state(record: Invitation, *, now: datetime) -> str:
    """``accepted``, ``withdrawn``, ``expired`` or ``waiting`` (the only one that can be withdrawn)."""
    if record.accepted_at is not None:
        return "accepted"
    if record.withdrawn_at is not None:
        return "withdrawn"
    if record.expires_at <= now:
        return "expired"
    return "waiting"


def list_invitations(
    session: Session, *, roles: frozenset[str] | None = None
) -> list[tuple[Invitation, User, User | None]]:
    """Newest first: each invitation (for ``roles``, if given) with its account and who sent it."""
    return repo.list_invitations(session, roles=roles)


def get_invitation(session: Session, invitation_id: int) -> Invitation:
    record = repo.get_invitation(session, invitation_id)
    if record is None:
        raise InvitationNotFound()
    return record


@dataclass(frozen=True)
class Withdrawn:
    invitation_id: int
    email: str
    account_removed: bool


def withdraw_invitation(
    session: Session,
    *,
    actor: User,
    invitation_id: int,
    now: datetime,
    remove_account: bool = True,
    roles: frozenset[str] | None = None,
) -> Withdrawn:
    """The link stops working at once. The account it made is removed too when it has nothing else
    (no password, no other invitation still waiting) and ``remove_account`` (the caller's domain
    may know of more that the account holds). ``roles`` narrows which invitations the actor may
    withdraw (a coordinator: volunteers'); others are 'no such invitation'."""
    record = get_invitation(session, invitation_id)
    allowed = roles if roles is not None else MAY_INVITE.get(actor.role, frozenset())
    if record.role not in allowed:
        raise InvitationNotFound()
    state = invitation_state(record, now=now)
    if state != "waiting":
        raise InvitationNotWaiting(state)
    record.withdrawn_at = now
    user = repo.get_user(session, record.user_id)
    assert user is not None  # the invitation is deleted with its account
    email = user.email
    audit.record(
        session,
        actor=actor,
        action="user.invitation_withdraw",
        target_type="user",
        target_id=user.id,
        detail={"invitation_id": record.id, "role": record.role},
        at=now,
    )
    removed = False
    if remove_account and not repo.has_waiting_invitation(session, user.id, now=now):
        removed = remove_unused_account(session, user=user, actor=actor, reason="invitation_withdrawn", now=now)
    return Withdrawn(invitation_id=invitation_id, email=email, account_removed=removed)


def remove_stale_invitees(
    session: Session, *, now: datetime, days: int, holds_anything: Callable[[Session, User], bool] | None = None
) -> int:
    """Accounts that never set a password, whose every invitation ended (expired or withdrawn) more
    than ``days`` ago, are deleted and audited. Accounts with a password, an accepted invitation,
    a waiting or recent invitation, no invitation at all (an application waiting for a
    coordinator), or anything ``holds_anything`` says they hold, are kept. Returns how many were
    removed; running it again removes nothing more."""
    removed = 0
    for user in repo.stale_invitees(session, before=now - timedelta(days=days)):
        # What other domains hang on the account (a volunteer's vetting records, added before the
        # volunteer accepted) is theirs to say: such an account is never removed unasked.
        if holds_anything is not None and holds_anything(session, user):
            continue
        if remove_unused_account(session, user=user, actor=None, reason="invitation_expired", now=now):
            removed += 1
    return removed
