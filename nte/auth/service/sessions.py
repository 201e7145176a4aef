"""Ways in: browser sessions (a cookie) and API tokens (a bearer header), each stored hashed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from nte.audit import service as audit
from nte.auth import repository as repo
from nte.auth.models import ApiToken, AuthSession, Role, User
from nte.auth.security import new_token, token_hash
from nte.config import Settings
from nte.errors import Invalid, NotFound


@dataclass(frozen=True)
class NewSession:
    token: str
    record: AuthSession


def start_session(session: Session, *, user: User, now: datetime, settings: Settings) -> NewSession:
    token = new_token()
    record = AuthSession(
        token_hash=token_hash(token),
        user_id=user.id,
        csrf_token=new_token(),
        created_at=now,
        expires_at=now + timedelta(hours=settings.session_hours),
    )
    session.add(record)
    session.flush()
    return NewSession(token=token, record=record)


def resolve_session(session: Session, *, token: str, now: datetime) -> tuple[AuthSession, User] | None:
    return repo.find_session(session, token_hash(token), now=now)


def end_session(session: Session, *, record: AuthSession, now: datetime) -> None:
    record.revoked_at = now


@dataclass(frozen=True)
class NewApiToken:
    token: str
    record: ApiToken


def create_api_token(
    session: Session, *, user: User, name: str, now: datetime, days: int | None = None, actor: User | None = None
) -> NewApiToken:
    if not name.strip() or len(name) > 80:
        raise Invalid("Give the token a name of 1 to 80 characters.", field="name")
    token = new_token("nte_")
    record = ApiToken(
        user_id=user.id,
        name=name.strip(),
        prefix=token[:10],
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + timedelta(days=days) if days else None,
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor=actor or user,
        action="token.create",
        target_type="token",
        target_id=record.id,
        detail={"user_id": user.id, "name": record.name},
    )
    return NewApiToken(token=token, record=record)


#: How precisely a token's last use is recorded.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def resolve_api_token(session: Session, *, token: str, now: datetime) -> User | None:
    found = repo.find_api_token(session, token_hash(token), now=now)
    if not found:
        return None
    record, user = found
    # To the minute: a GIS tool paging through a layer sends a request every few milliseconds, and
    # each write would take SQLite's write lock for a read.
    if record.last_used_at is None or now - record.last_used_at >= TOKEN_USE_RESOLUTION:
        record.last_used_at = now
    return user


def list_api_tokens(session: Session, *, user: User) -> list[ApiToken]:
    """The user's API tokens, newest first (revoked and expired ones too)."""
    return repo.list_tokens(session, user_id=user.id)


def revoke_api_token(
    session: Session, *, token_id: int, actor: User, now: datetime, own_only: bool = False
) -> ApiToken:
    """Revoke a token: the actor's own, or (an admin, unless ``own_only``) anyone's."""
    record = repo.get_api_token(session, token_id)
    may_revoke_others = actor.role == Role.admin and not own_only
    if record is None or (not may_revoke_others and record.user_id != actor.id):
        raise NotFound("No such token.", field="token_id")
    record.revoked_at = record.revoked_at or now
    audit.record(session, actor=actor, action="token.revoke", target_type="token", target_id=record.id)
    return record
