from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nte.auth.models import ApiToken, AuthSession, EmailToken, User


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
