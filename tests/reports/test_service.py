"""Submission rules, receipts, near-duplicates, moderation (audit, concurrency) and retention."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from nte.audit.models import AuditEvent
from nte.errors import Conflict, Invalid
from nte.reports import service
from nte.reports.exceptions import ReceiptNotFound, ReportInvalid
from nte.reports.jobs import purge_free_text
from nte.reports.models import Report, ReportCategory
from nte.spatial import from_db
from nte.wards.models import WardAssignment
from nte.wards.service import locate
from tests.factories import make_report, make_user

NOW = datetime(2026, 11, 21, 23, 47, 31, tzinfo=UTC)
SOHO = {"lat": 51.5132, "lon": -0.1337}


def _input(**kw):
    values = {**SOHO, "date": "2026-11-21", "time": "22:15", "categories": ["verbal_harassment", "followed"]}
    values.update(kw)
    return service.ReportInput(**values)


def _count(db) -> int:
    return db.scalar(sa.select(sa.func.count(Report.id)))


def test_exact_report_stores_ward_from_point_bng_and_coarse_times(db, settings):
    done = service.submit_report(
        db,
        data=_input(
            factors=["poor_lighting", "no_cctv"],
            age_band="25_34",
            gender="woman",
            description="Shouted at me. Call 07700 900123",
        ),
        settings=settings,
        now=NOW,
    )
    r = db.get(Report, done.report.id)
    assert r.ward_code == locate(db, lon=SOHO["lon"], lat=SOHO["lat"], settings=settings).code
    assert r.borough_code == "E09000033"
    assert r.received_hour == datetime(2026, 11, 21, 23, 0, tzinfo=UTC)
    assert r.created_at == r.received_hour  # no exact submission time anywhere
    assert r.occurred_at == datetime(2026, 11, 21, 22, 15, tzinfo=UTC)  # GMT in November
    assert r.time_precision == "exact" and r.location_precision == "exact"
    point = from_db(r.geom)
    assert (round(point.x, 4), round(point.y, 4)) == (-0.1337, 51.5132)
    assert 529_000 < r.easting < 530_500 and 180_500 < r.northing < 181_500
    assert r.main_category == "verbal_harassment"
    assert sorted(c.category for c in r.categories) == ["followed", "verbal_harassment"]
    assert r.factors == "poor_lighting,no_cctv"
    assert "07700" not in r.description and "[phone removed]" in r.description
    assert r.status == "new" and r.source == "public"
    assert len(r.receipt_hash) == 64 and done.receipt_code.replace("-", "") not in r.receipt_hash


def test_summer_time_and_time_band(db, settings):
    summer = datetime(2026, 7, 2, 12, 0, tzinfo=UTC)
    done = service.submit_report(
        db, data=_input(date="2026-07-01", time=None, time_band="22-02"), settings=settings, now=summer
    )
    assert done.report.occurred_at == datetime(2026, 7, 1, 21, 0, tzinfo=UTC)  # 22:00 BST
    assert done.report.time_precision == "approximate" and done.report.time_band == "22:00-02:00"
    approx = service.submit_report(
        db,
        data=_input(date="2026-07-01", time="23:10", approximate=True, categories=["spiking"]),
        settings=settings,
        now=summer,
    )
    assert approx.report.time_precision == "approximate" and approx.report.time_band is None


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # 00:40 on the 23rd, "late night" on the 23rd: the small hours that have just passed.
        (datetime(2026, 11, 23, 0, 40, tzinfo=UTC), datetime(2026, 11, 22, 22, 0, tzinfo=UTC)),
        # 21:00 on the 23rd: tonight's band has not begun, so the only past part is last night's.
        (datetime(2026, 11, 23, 21, 0, tzinfo=UTC), datetime(2026, 11, 22, 22, 0, tzinfo=UTC)),
        # 23:30 on the 23rd: tonight's band is under way.
        (datetime(2026, 11, 23, 23, 30, tzinfo=UTC), datetime(2026, 11, 23, 22, 0, tzinfo=UTC)),
    ],
)
def test_late_night_band_on_todays_date_after_midnight(db, settings, now, expected):
    done = service.submit_report(
        db, data=_input(date="2026-11-23", time=None, time_band="22-02"), settings=settings, now=now
    )
    assert done.report.occurred_at == expected and done.report.time_band == "22:00-02:00"


def test_bands_that_have_not_begun_are_still_in_the_future(db, settings):
    at_one = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    for band, day in (("02-06", "2026-11-23"), ("22-02", "2026-11-24")):
        with pytest.raises(ReportInvalid) as exc:
            service.submit_report(db, data=_input(date=day, time=None, time_band=band), settings=settings, now=at_one)
        assert "date" in exc.value.errors


def test_ward_only_report_has_no_point(db, settings):
    ward = locate(db, lon=SOHO["lon"], lat=SOHO["lat"], settings=settings)
    done = service.submit_report(db, data=_input(lat=None, lon=None, ward=ward.code), settings=settings, now=NOW)
    r = done.report
    assert r.location_precision == "ward" and r.geom is None and r.easting is None and r.ward_code == ward.code


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lat": 95}, "lat"),
        ({"lon": -200}, "lon"),
        ({"lat": float("nan")}, "lat"),
        ({"lon": "abc"}, "lon"),
        ({"lat": 53.4808, "lon": -2.2426}, "location"),  # Manchester: outside the area
        ({"lat": None, "lon": None}, "location"),
        ({"lat": None, "lon": None, "ward": "E05999999"}, "ward"),
        ({"date": "2026-11-22", "time": "09:00"}, "time"),  # tomorrow morning
        ({"date": "2026-11-25", "time": None, "time_band": "06-12"}, "date"),
        ({"date": "21/11/2026"}, "date"),
        ({"date": "2019-01-01"}, "date"),
        ({"time": "25:99"}, "time"),
        ({"time": None}, "time"),
        ({"time": None, "time_band": "01-03"}, "time_band"),
        ({"categories": []}, "categories"),
        ({"categories": ["burglary"]}, "categories"),
        ({"factors": ["dark"]}, "factors"),
        ({"description": "x" * 2001}, "description"),
        ({"age_band": "40"}, "age_band"),
        ({"gender": "robot"}, "gender"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(db, settings, changes, field):
    before = _count(db)
    with pytest.raises(ReportInvalid) as exc:
        service.submit_report(db, data=_input(**changes), settings=settings, now=NOW)
    assert field in exc.value.errors, exc.value.errors
    assert exc.value.status_code == 422
    assert _count(db) == before


def test_several_errors_are_reported_together(db, settings):
    with pytest.raises(ReportInvalid) as exc:
        service.submit_report(db, data=_input(lat=None, lon=None, date="", categories=[]), settings=settings, now=NOW)
    assert {"location", "date", "categories"} <= set(exc.value.errors)
    assert [f["field"] for f in exc.value.body()["fields"]]


def test_near_duplicate_is_flagged_not_dropped(db, settings):
    first = service.submit_report(db, data=_input(), settings=settings, now=NOW).report
    # ~30 m away, 10 minutes later, sharing a category: flagged for moderation, still stored.
    second = service.submit_report(
        db, data=_input(lat=51.51345, lon=-0.1335, time="22:25", categories=["followed"]), settings=settings, now=NOW
    ).report
    assert second.flagged_near_duplicate and second.duplicate_of_id == first.id and second.status == "new"
    # Far away, or a different category, or an hour later: not flagged.
    far = service.submit_report(db, data=_input(lat=51.5155, lon=-0.1337), settings=settings, now=NOW).report
    other = service.submit_report(db, data=_input(categories=["spiking"]), settings=settings, now=NOW).report
    later = service.submit_report(db, data=_input(time="23:30"), settings=settings, now=NOW).report
    assert not (far.flagged_near_duplicate or other.flagged_near_duplicate or later.flagged_near_duplicate)


def test_receipt_status_and_ward_updates(db, settings):
    officer = make_user(db, role="officer")
    report, code = make_report(db, now=NOW)
    service.post_ward_update(
        db,
        ward_code=report.ward_code,
        title="More lighting on Greek Street",
        body="Six new street lights since your reports.",
        actor=officer,
        now=NOW,
    )
    found = service.status_by_receipt(db, code=code.lower().replace("-", " "))
    assert found.status == "new" and found.ward_code == report.ward_code
    assert [u.title for u in found.updates] == ["More lighting on Greek Street"]
    with pytest.raises(ReceiptNotFound):
        service.status_by_receipt(db, code="0000-0000-0000-0000")
    with pytest.raises(Invalid) as exc:
        service.status_by_receipt(db, code="abc")
    assert exc.value.field == "receipt"
    with pytest.raises(ReportInvalid) as bad:
        service.post_ward_update(db, ward_code="nope", title="", body="", actor=officer, now=NOW)
    assert set(bad.value.errors) == {"ward", "title", "body"}


def test_moderation_bulk_with_audit_and_conflict(db, settings):
    officer = make_user(db, role="officer")
    a, _ = make_report(db, now=NOW)
    b, _ = make_report(db, now=NOW, categories=["spiking"])
    result = service.moderate(db, ids=[a.id, b.id], status="accepted", actor=officer, now=NOW, expected_status="new")
    assert result.changed == sorted([a.id, b.id])
    events = db.scalars(sa.select(AuditEvent).where(AuditEvent.target_type == "report")).all()
    assert {(e.target_id, e.action, e.detail["from"], e.detail["to"]) for e in events} == {
        (str(a.id), "report.accepted", "new", "accepted"),
        (str(b.id), "report.accepted", "new", "accepted"),
    }
    with pytest.raises(Conflict):
        service.moderate(db, ids=[a.id], status="spam", actor=officer, now=NOW, expected_status="new")
    dup = service.moderate(db, ids=[b.id], status="duplicate", actor=officer, now=NOW, duplicate_of=a.id)
    assert dup.changed == [b.id] and db.get(Report, b.id).duplicate_of_id == a.id
    for bad in ({"status": "deleted"}, {"ids": []}):
        with pytest.raises(Invalid):
            service.moderate(db, **{"ids": [a.id], "status": "spam", **bad}, actor=officer, now=NOW)


def test_concurrent_moderation_of_one_report_is_serialised(engine, settings):
    """Two officers act on the same new report at once: exactly one change wins, one audit event."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory.begin() as s:
        officers = [make_user(s, role="officer"), make_user(s, role="officer")]
        report, _ = make_report(s, now=NOW)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def act(officer, status):
        barrier.wait()
        try:
            with factory.begin() as s:
                user = s.merge(officer)
                service.moderate(s, ids=[report.id], status=status, actor=user, now=NOW, expected_status="new")
            outcomes.append(status)
        except Conflict:
            outcomes.append("conflict")

    threads = [
        threading.Thread(target=act, args=(officers[0], "accepted")),
        threading.Thread(target=act, args=(officers[1], "spam")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert sorted(outcomes).count("conflict") == 1, outcomes
        with factory() as s:
            final = s.get(Report, report.id).status
            events = s.scalars(
                sa.select(AuditEvent).where(AuditEvent.target_type == "report", AuditEvent.target_id == str(report.id))
            ).all()
        assert final in ("accepted", "spam") and final in outcomes
        assert len(events) == 1 and events[0].detail["to"] == final
    finally:
        with factory.begin() as s:
            s.execute(
                sa.delete(AuditEvent).where(AuditEvent.target_type == "report", AuditEvent.target_id == str(report.id))
            )
            s.execute(sa.delete(ReportCategory).where(ReportCategory.report_id == report.id))
            s.execute(
                sa.delete(WardAssignment).where(
                    WardAssignment.subject == "report", WardAssignment.subject_id == report.id
                )
            )
            s.execute(sa.delete(Report).where(Report.id == report.id))
            for o in officers:
                s.execute(sa.text("DELETE FROM user_account WHERE id = :id"), {"id": o.id})


def test_retention_job_purges_free_text_only(db, settings):
    old, _ = make_report(db, now=NOW - timedelta(days=settings.report_retention_days + 2), description="It was awful.")
    recent, _ = make_report(db, now=NOW - timedelta(days=10), description="Yesterday near the station.")
    purged = purge_free_text(db, now=NOW)
    assert purged >= 1
    db.expire_all()
    o, r = db.get(Report, old.id), db.get(Report, recent.id)
    assert o.description is None and o.description_purged_at == NOW
    assert o.ward_code and o.main_category == "verbal_harassment" and o.occurred_at and o.geom is not None
    assert r.description == "Yesterday near the station."
    assert purge_free_text(db, now=NOW) == 0  # idempotent


def test_job_is_registered():
    from nte.scheduler import job_by_id

    assert job_by_id("reports.purge_free_text").load() is purge_free_text
