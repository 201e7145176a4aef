"""Accounts, sign-in, sessions and API tokens, in sections: ``accounts`` (addresses, passwords
that can be used, making an account, signing in), ``sessions`` (cookies and API tokens),
``passwords`` (changing one, confirming an address, the reset link) and ``invitations``. Never
commits: the caller owns the transaction.

The names callers use are imported here, so ``from nte.auth import service`` stays the one way in
(with the account model, the token helpers and the errors callers catch, as before the split)."""

from __future__ import annotations

from nte.auth.exceptions import InvitationNotFound, InvitationNotWaiting, LinkNotValid
from nte.auth.models import User
from nte.auth.security import hash_password, new_token, token_hash
from nte.auth.service.accounts import (
    EMAIL_RE,
    account_is_unused,
    authenticate,
    check_password_strength,
    create_user,
    list_users,
    normalise_email,
    remove_unused_account,
)
from nte.auth.service.invitations import (
    INVITATION_DAYS,
    MAY_INVITE,
    ROLE_NAMES,
    NewInvitation,
    Withdrawn,
    accept_invitation,
    get_invitation,
    invitation_state,
    invite,
    list_invitations,
    open_invitation,
    remove_stale_invitees,
    withdraw_invitation,
)
from nte.auth.service.passwords import (
    RESET_HOURS,
    RESET_PURPOSE,
    change_password,
    check_reset_link,
    confirm_email,
    create_email_token,
    request_password_reset,
    reset_password,
    set_password,
)
from nte.auth.service.sessions import (
    NewApiToken,
    NewSession,
    create_api_token,
    end_session,
    list_api_tokens,
    resolve_api_token,
    resolve_session,
    revoke_api_token,
    start_session,
)

__all__ = [
    "EMAIL_RE",
    "INVITATION_DAYS",
    "MAY_INVITE",
    "RESET_HOURS",
    "RESET_PURPOSE",
    "ROLE_NAMES",
    "InvitationNotFound",
    "InvitationNotWaiting",
    "LinkNotValid",
    "NewApiToken",
    "NewInvitation",
    "NewSession",
    "User",
    "Withdrawn",
    "accept_invitation",
    "account_is_unused",
    "authenticate",
    "change_password",
    "check_password_strength",
    "check_reset_link",
    "confirm_email",
    "create_api_token",
    "create_email_token",
    "create_user",
    "end_session",
    "get_invitation",
    "hash_password",
    "invitation_state",
    "invite",
    "list_api_tokens",
    "list_invitations",
    "list_users",
    "new_token",
    "normalise_email",
    "open_invitation",
    "remove_stale_invitees",
    "remove_unused_account",
    "request_password_reset",
    "reset_password",
    "resolve_api_token",
    "resolve_session",
    "revoke_api_token",
    "set_password",
    "start_session",
    "token_hash",
    "withdraw_invitation",
]
