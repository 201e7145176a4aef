from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from nte.auth.models import ApiToken, AuthSession, EmailToken, Invitation, User


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def list_users(session: Session, *, role: str | None = None) -> list[User]:
    stmt = sa.select(User).order_by(User.email)
    if role:
        stmt = stmt.where(User.role == role)
    return list(session.scalars(stmt))


def find_session(session: Session, token_hash: str, *, now: datetime) -> tuple[AuthSession, User] | None:
    row = session.execute(
        sa.select(AuthSession, User)
        .join(User, User.id == AuthSession.user_id)
        .where(
            AuthSession.token_hash == token_hash,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
            User.is_active.is_(True),
        )
    ).first()
    return (row[0], row[1]) if row else None


def find_api_token(session: Session, token_hash: str, *, now: datetime) -> tuple[ApiToken, User] | None:
    row = session.execute(
        sa.select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(
            ApiToken.token_hash == token_hash,
            ApiToken.revoked_at.is_(None),
            sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
            User.is_active.is_(True),
        )
    ).first()
    return (row[0], row[1]) if row else None


def get_api_token(session: Session, token_id: int) -> ApiToken | None:
    return session.get(ApiToken, token_id)


def list_tokens(session: Session, *, user_id: int | None = None) -> list[ApiToken]:
    stmt = sa.select(ApiToken).order_by(ApiToken.created_at.desc())
    if user_id is not None:
        stmt = stmt.where(ApiToken.user_id == user_id)
    return list(session.scalars(stmt))


def revoke_user_sessions(session: Session, user_id: int, *, now: datetime, except_id: int | None = None) -> None:
    stmt = (
        sa.update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if except_id is not None:
        stmt = stmt.where(AuthSession.id != except_id)
    session.execute(stmt)


def revoke_user_tokens(session: Session, user_id: int, *, now: datetime) -> int:
    """Revoke every live API token of the user; returns how many."""
    result = session.execute(
        sa.update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def find_email_token(session: Session, token_hash: str, purpose: str, *, now: datetime) -> EmailToken | None:
    return session.scalar(
        sa.select(EmailToken).where(
            EmailToken.token_hash == token_hash,
            EmailToken.purpose == purpose,
            EmailToken.used_at.is_(None),
            EmailToken.expires_at > now,
        )
    )


def expire_email_tokens(session: Session, user_id: int, purpose: str, *, now: datetime) -> None:
    """Mark every unused link of this purpose as used (a newer one, or the change it allowed, ends them)."""
    session.execute(
        sa.update(EmailToken)
        .where(EmailToken.user_id == user_id, EmailToken.purpose == purpose, EmailToken.used_at.is_(None))
        .values(used_at=now)
    )


def find_invitation(session: Session, token_hash: str) -> Invitation | None:
    """The invitation with this token, used or not (the service says which of the two it is)."""
    return session.scalar(sa.select(Invitation).where(Invitation.token_hash == token_hash))


def expire_invitations(session: Session, user_id: int, *, now: datetime) -> None:
    session.execute(
        sa.update(Invitation)
        .where(Invitation.user_id == user_id, Invitation.accepted_at.is_(None), Invitation.expires_at > now)
        .values(expires_at=now)
    )


def list_invitations(
    session: Session, *, limit: int = 200, roles: frozenset[str] | None = None
) -> list[tuple[Invitation, User, User | None]]:
    """Newest first: each invitation with the invited account and who sent it (None once deleted)."""
    inviter = aliased(User)
    stmt = (
        sa.select(Invitation, User, inviter)
        .join(User, User.id == Invitation.user_id)
        .outerjoin(inviter, inviter.id == Invitation.invited_by_id)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .limit(limit)
    )
    if roles is not None:
        stmt = stmt.where(Invitation.role.in_(sorted(roles)))
    rows = session.execute(stmt).all()
    return [(row[0], row[1], row[2]) for row in rows]


def get_invitation(session: Session, invitation_id: int) -> Invitation | None:
    return session.get(Invitation, invitation_id)


def has_accepted_invitation(session: Session, user_id: int) -> bool:
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Invitation)
            .where(Invitation.user_id == user_id, Invitation.accepted_at.is_not(None))
        )
        or 0
    ) > 0


def has_waiting_invitation(session: Session, user_id: int, *, now: datetime) -> bool:
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Invitation)
            .where(
                Invitation.user_id == user_id,
                Invitation.accepted_at.is_(None),
                Invitation.withdrawn_at.is_(None),
                Invitation.expires_at > now,
            )
        )
        or 0
    ) > 0


def stale_invitees(session: Session, *, before: datetime) -> list[User]:
    """Accounts with no password whose invitations all ended (expired, or withdrawn) before ``before``
    and none was accepted. Accounts with no invitation are not among them."""
    ended = sa.func.coalesce(Invitation.withdrawn_at, Invitation.expires_at)
    latest = (
        sa.select(Invitation.user_id)
        .group_by(Invitation.user_id)
        .having(sa.func.max(ended) < before)
        .having(sa.func.count(Invitation.accepted_at) == 0)
    )
    return list(
        session.scalars(sa.select(User).where(User.password_hash.is_(None), User.id.in_(latest)).order_by(User.id))
    )


def delete_user(session: Session, user: User) -> None:
    """Delete the account; the database's foreign keys remove what hangs off it (sessions, tokens,
    invitations, a volunteer's profile) or clear references to it."""
    session.execute(sa.delete(User).where(User.id == user.id))
    session.expunge(user)
