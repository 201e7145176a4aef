"""Declarative base, engine and the per-request session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any

import sqlalchemy as sa
import sqlalchemy.dialects.postgresql  # noqa: F401 - JSONB variant below
from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from nte.config import Settings, get_settings
from nte.spatial.engine import READ_ONLY, create_spatial_engine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on PostgreSQL (timestamptz) and SQLite (naive UTC text)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def utcnow() -> datetime:
    return datetime.now(UTC)


@lru_cache(maxsize=8)
def engine_for(url: str, spatialite_library: str, pool_size: int = 10, max_overflow: int = 20) -> Engine:
    return create_spatial_engine(
        url, spatialite_library=spatialite_library, pg_pool_size=pool_size, pg_max_overflow=max_overflow
    )


def get_engine(settings: Settings | None = None) -> Engine:
    settings = settings or get_settings()
    return engine_for(
        settings.database_url, settings.spatialite_library, settings.db_pool_size, settings.db_max_overflow
    )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def configured_session_factory() -> sessionmaker[Session]:
    """Sessions on the configured database (``NTE_DATABASE_URL``), for work outside a request: the
    command line and scripts (``with configured_session_factory().begin() as session: ...``)."""
    return session_factory(get_engine(get_settings()))


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: commit on success (before the response is sent), roll back on error."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]

#: Opens a short read-only session: ``with sessions() as session: ...`` (see ``read_session``).
ReadSessions = Callable[[], AbstractContextManager[Session]]


@contextmanager
def read_session(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A read-only session whose transaction ends when the block does, whatever happens: on
    SQLite it takes no write lock, on PostgreSQL it is READ ONLY. For work that outlives the
    request's own session (a streamed export reads one chunk per block, so a client that stops
    reading, or a generator nobody closes, leaves no transaction open)."""
    session = factory()
    try:
        session.connection(execution_options=READ_ONLY)
        yield session
    finally:
        session.rollback()
        session.close()


def read_sessions_for(request: Request) -> ReadSessions:
    """The request's app's read-only sessions, for a response that streams after the request's
    session has committed and closed."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    return lambda: read_session(factory)


def row_to_dict(row: Any) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in sa.inspect(row).mapper.column_attrs}


JSONType = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
