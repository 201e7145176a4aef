"""A live /ogc for real OGC clients (ogctests, GDAL): ``python main.py serve`` on a loopback port,
on its own freshly migrated database per backend, seeded with something in every collection.

Clients follow the links the service writes, so the server is started knowing its own address
(``NTE_BASE_URL``). ``ogc_server`` is module-scoped and parametrised on the ``backend`` fixture:
each test module that imports it gets one server per database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.orm import sessionmaker

from nte.config import get_settings
from nte.db import engine_for
from tests.conftest import make_database
from tests.support.postgres import free_port
from tests.support.server import ServedApp, serve

#: Listed to the public at /ogc/collections whatever else is added.
ALWAYS_PUBLIC = ("wards-2022-05", "wards-2013-12")
#: Reports seeded in one Westminster ward, in one closed month: enough to be published unsuppressed.
REPORTS_IN_A_MONTH = 25


@dataclass
class OgcServer:
    app: ServedApp
    url: str  # the service's root, http://127.0.0.1:<port>
    backend: str
    officer_token: str
    coordinator_token: str

    @property
    def ogc(self) -> str:
        return self.url + "/ogc"


def _seed(session) -> tuple[str, str]:
    """A little of everything; returns (officer token, coordinator token)."""
    from nte.auth import service as auth_service
    from nte.db import utcnow
    from nte.maps.public import rebuild_public
    from tests.factories import (
        make_map_report,
        make_patrol_area,
        make_report,
        make_safe_space,
        make_shift,
        make_user,
        make_venue,
    )

    now = utcnow()
    for n in range(2):  # each signs up a manager and is verified by an officer (password hashes: slow)
        make_venue(session, status="verified", name=f"The Verified Arms {n}")
    make_venue(session, status="submitted", name="The Unverified Arms")  # not public
    make_safe_space(session, status="verified", name="Soho safe haven", opening_hours="24/7")
    make_safe_space(session, status="verified", name="Late pharmacy", opening_hours="Mo-Su 10:00-22:00")
    area = make_patrol_area(session)
    make_shift(session, area=area)
    # Reports two full months ago (public figures: published after the lag), and one today.
    month = (now.replace(day=1) - timedelta(days=40)).replace(day=10, hour=22, minute=0, second=0, microsecond=0)
    for n in range(REPORTS_IN_A_MONTH):
        make_map_report(
            session,
            lon=-0.1337 + (n % 5) * 0.0002,
            lat=51.5133 + (n % 7) * 0.0001,
            occurred_at=month + timedelta(hours=n),
        )
    make_report(session)
    rebuild_public(session, settings=get_settings(), now=now)
    officer = make_user(session, role="officer")
    coordinator = make_user(session, role="coordinator")
    tokens = [
        auth_service.create_api_token(session, user=user, name="ogc clients", now=now).token
        for user in (officer, coordinator)
    ]
    session.flush()
    return tokens[0], tokens[1]


def start(backend: str, tmp_path, pg_cluster, *, name: str = "clients") -> OgcServer:
    db_url = make_database(backend, f"nte_ogc_{name}_{backend}", tmp_path, pg_cluster)
    engine = engine_for(db_url, get_settings().spatialite_library)
    try:
        with sessionmaker(bind=engine, expire_on_commit=False).begin() as session:
            officer_token, coordinator_token = _seed(session)
    finally:
        engine.dispose()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = serve(db_url, workers=1, port=port, extra_env={"NTE_BASE_URL": url})
    return OgcServer(app, url, backend, officer_token, coordinator_token)


@pytest.fixture(scope="module")
def ogc_server(backend: str, tmp_path_factory, request) -> Iterator[OgcServer]:
    cluster = request.getfixturevalue("pg_cluster") if backend == "postgis" else None
    # Its own database per test module: two modules' servers may be up at once (pytest groups the
    # tests by backend across modules), and a database is dropped before it is made.
    module = request.module.__name__.rsplit(".", 1)[-1]
    server = start(backend, tmp_path_factory.mktemp(f"ogc-{backend}"), cluster, name=module)
    try:
        yield server
    finally:
        server.app.stop()


def assert_public_collections_have_features(server: OgcServer) -> dict[str, int]:
    """Every public collection is listed and has features (a client run on empty collections
    would pass without checking anything). Returns each one's numberMatched."""
    from nte.ogc.collections import COLLECTIONS

    public = {c.id for c in COLLECTIONS if c.is_public}
    with httpx.Client(timeout=30) as http:
        listed = http.get(server.ogc + "/collections", headers={"Accept": "application/json"})
        assert listed.status_code == 200, listed.text
        ids = [c["id"] for c in listed.json()["collections"]]
        assert set(ALWAYS_PUBLIC) <= public, public
        assert set(ids) == public, f"the public sees {ids}, the service has {sorted(public)} public"
        matched = {}
        for cid in ids:
            page = http.get(f"{server.ogc}/collections/{cid}/items", params={"limit": 1})
            assert page.status_code == 200, (cid, page.text)
            body = page.json()
            assert body["features"], f"{cid} has no features on {server.backend}"
            matched[cid] = body["numberMatched"]
    return matched
