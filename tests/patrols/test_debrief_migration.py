"""Migration 0016 keeps every debrief filed before people were recorded one by one: its kind x gender
cells stay as filed (they are actions), it is marked ``people_estimated``, and the monthly report
counts its people by the documented estimate (per gender the largest single kind's count, a lower
bound) under "of which estimated from older debriefs". Going down turns each person's kinds back into
cells. Also the pages that show an estimated debrief (monthly report, shift, the lead's debrief)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.orm import sessionmaker

from nte.config import get_settings
from nte.db import UTCDateTime, engine_for, utcnow
from nte.patrols import service as patrols
from nte.patrols.models import Debrief, DebriefCount
from nte.schema import alembic_config, downgrade, upgrade
from tests.factories import login, make_patrol_area, make_shift, make_user, make_volunteer

REVISION = "0016_patrol_people"
NIGHT = datetime(2019, 5, 10, 22, tzinfo=UTC)
SOHO_WKT = "POLYGON((-0.1399 51.5125, -0.1367 51.5111, -0.1312 51.5162, -0.1396 51.5152, -0.1399 51.5125))"
#: One old debrief's cells: (kind, gender) -> times given. Women: 5 welfare, 3 water, 4 phone charges;
#: men: 2 welfare, 2 first aid. The estimate is 5 women + 2 men = 7 people; the cells are 16 actions.
OLD_CELLS = {
    ("welfare", "woman"): 5,
    ("water_flipflops", "woman"): 3,
    ("phone_charged", "woman"): 4,
    ("welfare", "man"): 2,
    ("first_aid", "man"): 2,
}


def _fresh_url(backend, tmp_path, request) -> str:
    if backend == "spatialite":
        return f"sqlite:///{tmp_path / 'before-people.sqlite'}"
    return request.getfixturevalue("pg_cluster").create_database("nte_before_people")


def _insert(conn, sql: str, **values):
    stmt = sa.text(sql).bindparams(
        *[sa.bindparam(k, type_=UTCDateTime()) for k, v in values.items() if isinstance(v, datetime)]
    )
    return conn.execute(stmt, values)


def _old_debrief(conn, *, user_id: int, area: str, cells: dict[tuple[str, str], int]) -> int:
    area_id = _insert(
        conn,
        "INSERT INTO patrol_area (name, area_km2, geom, created_at, updated_at) "
        "VALUES (:name, 0.3, ST_GeomFromText(:wkt, 4326), :t, :t) RETURNING id",
        name=area,
        wkt=SOHO_WKT,
        t=NIGHT,
    ).scalar_one()
    shift_id = _insert(
        conn,
        "INSERT INTO patrol_shift (area_id, start_at, end_at, min_volunteers, max_volunteers, min_team_leads, "
        "status, sequence, places_taken, last_modified_at, created_at) "
        "VALUES (:a, :s, :e, 2, 6, 0, 'scheduled', 0, 0, :s, :s) RETURNING id",
        a=area_id,
        s=NIGHT,
        e=NIGHT + timedelta(hours=6),
    ).scalar_one()
    debrief_id = _insert(
        conn,
        "INSERT INTO patrol_debrief (shift_id, filed_by_id, filed_at, summary) "
        "VALUES (:s, :u, :t, 'Busy night') RETURNING id",
        s=shift_id,
        u=user_id,
        t=NIGHT + timedelta(hours=7),
    ).scalar_one()
    for (kind, gender), n in cells.items():
        _insert(
            conn,
            "INSERT INTO patrol_debrief_count (debrief_id, kind, gender, people) VALUES (:d, :k, :g, :n)",
            d=debrief_id,
            k=kind,
            g=gender,
            n=n,
        )
    return shift_id


def test_debriefs_from_before_people_keep_their_cells_and_are_counted_as_estimated(backend, tmp_path, request):
    engine = engine_for(_fresh_url(backend, tmp_path, request), get_settings().spatialite_library)
    script = ScriptDirectory.from_config(alembic_config())
    before = [h for h in script.get_heads() if h != REVISION]
    assert len(before) == len(script.get_heads()) - 1, f"{REVISION} is a head"
    for head in before:
        upgrade(engine, head)
    with engine.begin() as conn:
        user_id = _insert(
            conn,
            "INSERT INTO user_account (email, display_name, role, is_active, failed_login_count, created_at) "
            "VALUES ('lead@example.org', 'Old lead', 'coordinator', :yes, 0, :t) RETURNING id",
            yes=True,
            t=NIGHT,
        ).scalar_one()
        busy = _old_debrief(conn, user_id=user_id, area="Old Soho", cells=OLD_CELLS)
        quiet = _old_debrief(conn, user_id=user_id, area="Old Covent Garden", cells={})
    upgrade(engine)  # 0016 and anything after
    sessions = sessionmaker(bind=engine)
    with sessions.begin() as session:
        view = patrols.debrief_view(session, busy, restricted=True)
        assert view is not None and view.estimated and view.people == []
        assert view.counts == OLD_CELLS  # kept as filed, readable as actions
        assert view.people_by_gender == {"woman": 5, "man": 2} and view.total == 7 and view.actions == 16
        assert view.debrief.summary == "Busy night"
        quiet_view = patrols.debrief_view(session, quiet, restricted=True)
        assert quiet_view is not None and quiet_view.estimated and quiet_view.total == 0
        # A debrief filed after the upgrade, in the same month and area: counted people, not estimated.
        coordinator = session.scalar(sa.text("SELECT id FROM user_account WHERE email = 'lead@example.org'"))
        user = session.get(patrols.User, coordinator)
        area_id = patrols.get_shift(session, busy).area_id
        shift_id = _insert(
            session.connection(),
            "INSERT INTO patrol_shift (area_id, start_at, end_at, min_volunteers, max_volunteers, "
            "min_team_leads, status, sequence, places_taken, last_modified_at, created_at) "
            "VALUES (:a, :s, :e, 2, 6, 0, 'scheduled', 0, 0, :s, :s) RETURNING id",
            a=area_id,
            s=NIGHT + timedelta(days=7),
            e=NIGHT + timedelta(days=7, hours=6),
        ).scalar_one()
        patrols.file_debrief(
            session,
            user=user,
            shift_id=shift_id,
            people=[{"gender": "woman", "kinds": ["water_flipflops", "phone_charged"]}],
            now=NIGHT + timedelta(days=8),
        )
        new_shift = shift_id
    with sessions.begin() as session:
        report = patrols.monthly_report(session, month=date(2019, 5, 1), now=datetime(2019, 6, 1, tzinfo=UTC))
        assert report.people == 8 and report.people_estimated == 7 and report.debriefs_estimated == 2
        assert report.actions == 18 and report.by_kind["welfare"] == 7 and report.by_kind["phone_charged"] == 5
        assert report.by_gender["woman"] == 6 and report.women_share == 6 / 8
        assert report.by_age_band["not_known"] == 8
        soho = next(a for a in report.areas if a.name == "Old Soho")
        assert (soho.people, soho.people_estimated, soho.women) == (8, 7, 6)
        rows = csv.reader(io.StringIO(patrols.monthly_csv(report)))
        cells = {(area, measure): value for _month, area, measure, value in rows}
        assert cells[("all", "people_estimated_from_older_debriefs")] == "7"
        assert cells[("all", "debriefs_estimated")] == "2" and cells[("all", "people_supported")] == "8"

    # Going down keeps what was filed after the upgrade: the new person's kinds become cells. Down to
    # 0008 also takes the sibling patrol migrations down (0015 copies patrol_shift on SQLite): with
    # foreign keys enforced, that copy's DROP TABLE deleted every debrief by cascade.
    downgrade(engine, f"{REVISION}-1")
    with engine.connect() as conn:
        cells = conn.execute(
            sa.text(
                "SELECT c.kind, c.gender, c.people FROM patrol_debrief_count c JOIN patrol_debrief d "
                "ON d.id = c.debrief_id WHERE d.shift_id = :s ORDER BY c.kind"
            ),
            {"s": new_shift},
        ).all()
        assert [tuple(c) for c in cells] == [("phone_charged", "woman", 1), ("water_flipflops", "woman", 1)]
        assert conn.scalar(sa.text("SELECT count(*) FROM patrol_debrief_count")) == len(OLD_CELLS) + 2
    engine.dispose()


def test_pages_show_an_estimated_debrief_as_estimated(client, db):
    lead = make_volunteer(db, team_lead=True)
    area = make_patrol_area(db, name="Estimated area")
    shift = make_shift(db, area=area, start_at=utcnow() + timedelta(days=5))
    patrols.book_shift(db, volunteer=lead, shift_id=shift.id, now=utcnow())
    shift.start_at, shift.end_at = NIGHT, NIGHT + timedelta(hours=6)
    debrief = Debrief(shift_id=shift.id, filed_at=NIGHT + timedelta(hours=7), people_estimated=True)
    db.add(debrief)
    db.flush()
    db.add_all(DebriefCount(debrief_id=debrief.id, kind=k, gender=g, people=n) for (k, g), n in OLD_CELLS.items())
    db.flush()

    login(client, db, patrols.volunteer_user(db, lead))
    own = client.get(f"/volunteer/shifts/{shift.id}/debrief")
    assert own.status_code == 200 and "7 people supported (estimated from an older debrief)" in own.text
    login(client, db, make_user(db, role="coordinator"))
    page = client.get(f"/coordinator/shifts/{shift.id}")
    assert page.status_code == 200 and "7 people supported (estimated from an older debrief)" in page.text
    monthly = client.get("/coordinator/reports/monthly?month=2019-05")
    assert monthly.status_code == 200
    estimated = monthly.text.split('id="people-estimated">')[1].split("</td>")[0]
    assert estimated.startswith("7 (1 debriefs filed before people were recorded one by one")
    assert "of which estimated from older debriefs" in monthly.text
    # An empty month renders too.
    empty = client.get("/coordinator/reports/monthly?month=2001-01")
    assert empty.status_code == 200 and "No shifts this month." in empty.text
    assert empty.text.split('id="people-estimated">')[1].startswith("0</td>")
