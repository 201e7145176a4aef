"""Test set-up: every database test runs on SpatiaLite AND PostGIS.

- ``engine`` is parametrised over the backends (``NTE_TEST_BACKENDS``, default both). Each backend
  is migrated once per run with Alembic and gets the shipped wards.
- ``db`` is a session whose changes are rolled back after each test (services' and requests'
  commits become savepoints inside the test's outer transaction).
- ``client`` is a FastAPI TestClient on the same connection as ``db``.
- PostGIS: a throwaway cluster is started by the suite (or ``NTE_TEST_POSTGRES_URL`` is used).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

os.environ.setdefault("NTE_ENV", "test")
os.environ.setdefault("NTE_TILE_URL", "none")
os.environ.setdefault("NTE_SECRET_KEY", "test-secret-" + uuid.uuid4().hex)

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from nte.config import Settings, get_settings
from nte.db import engine_for
from nte.schema import upgrade
from nte.wards.shipped import import_shipped_wards

BACKENDS = [b.strip() for b in os.environ.get("NTE_TEST_BACKENDS", "spatialite,postgis").split(",") if b.strip()]

pytest_plugins = ["tests.support.browser", "tests.support.mail"]


@pytest.fixture(scope="session")
def pg_cluster():
    from tests.support.postgres import start_cluster

    if os.environ.get("NTE_TEST_POSTGRES_URL"):
        yield None
        return
    cluster = start_cluster()
    yield cluster
    cluster.destroy()


def make_database(backend: str, name: str, tmp_dir, pg_cluster) -> str:
    """A fresh, migrated database with the shipped wards; returns its URL."""
    if backend == "spatialite":
        url = f"sqlite:///{tmp_dir / (name + '.sqlite')}"
    elif pg_cluster is None:
        url = os.environ["NTE_TEST_POSTGRES_URL"]
    else:
        url = pg_cluster.create_database(name)
    engine = engine_for(url, get_settings().spatialite_library)
    upgrade(engine)
    with sessionmaker(bind=engine).begin() as session:
        import_shipped_wards(session)
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def _engines() -> dict[str, Engine]:
    """Each backend's database, made and migrated once per test process. ``engine`` is set up again
    whenever the order of tests switches backend (as it does often on a parallel worker, which runs
    the files it is given in turn): it then takes the database already made."""
    return {}


@pytest.fixture(scope="session")
def engine(backend: str, _engines: dict[str, Engine], tmp_path_factory, request) -> Engine:
    if backend not in _engines:
        cluster = request.getfixturevalue("pg_cluster") if backend == "postgis" else None
        url = make_database(backend, f"nte_test_{backend}", tmp_path_factory.mktemp(backend), cluster)
        _engines[backend] = engine_for(url, get_settings().spatialite_library)
    return _engines[backend]


@pytest.fixture()
def connection(engine: Engine) -> Iterator[Connection]:
    conn = engine.connect()
    outer = conn.begin()
    try:
        yield conn
    finally:
        if outer.is_active:
            outer.rollback()
        conn.close()


@pytest.fixture()
def session_factory(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture()
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    session = session_factory()
    try:
        yield session
    finally:
        session.close()


@pytest.fixture()
def settings() -> Settings:
    return get_settings()


@pytest.fixture()
def app(engine: Engine, session_factory: sessionmaker[Session], settings: Settings) -> FastAPI:
    from nte.app import create_app
    from tests.support.sessions import NoSessionLeftOpen, SessionTracker

    application = create_app(settings, check_db=False)
    application.state.engine = engine
    tracker = SessionTracker(session_factory)
    application.state.session_factory = tracker
    application.state.session_tracker = tracker
    application.add_middleware(NoSessionLeftOpen, tracker=tracker)
    return application


@pytest.fixture()
def client(app: FastAPI, db: Session) -> Iterator[TestClient]:
    # ``db`` first: the test's own session shares the connection with the requests.
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client
    # The general guard: no request of this test left a session in a transaction.
    problems = app.state.session_tracker.problems
    assert not problems, "\n".join(problems)


@pytest.fixture()
def anon_csrf() -> str:
    """A valid anonymous form token (what a public form page would embed)."""
    from itsdangerous import URLSafeTimedSerializer

    from nte.auth.deps import _ANON_SALT

    return URLSafeTimedSerializer(get_settings().secret_key, salt=_ANON_SALT).dumps("form")


@pytest.fixture()
def login_csrf(client: TestClient) -> str:
    """The sign-in form's token, as a browser gets it: GET /login sets the nonce cookie on ``client``."""
    import re

    page = client.get("/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "the sign-in form carries no token"
    return found.group(1)


@pytest.fixture()
def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def pytest_collection_modifyitems(config, items):
    # Run the browser tests last (they start servers and Chromium).
    items.sort(key=lambda item: 1 if item.get_closest_marker("browser") else 0)


@pytest.fixture()
def sql_count(connection: Connection):
    """Count SQL statements run on the test connection inside a ``with`` block."""
    from contextlib import contextmanager

    @contextmanager
    def counter():
        statements: list[str] = []

        def before(conn, cursor, statement, *args):
            statements.append(statement)

        sa.event.listen(connection, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            sa.event.remove(connection, "before_cursor_execute", before)

    return counter
