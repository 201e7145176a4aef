"""Privacy by construction, checked where it matters: the database rows and every log line.

No client address, user agent, cookie, account or language is stored with a report or written
to a log for the report endpoints, including uvicorn's access log under ``python main.py serve``."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import httpx
import sqlalchemy as sa

from nte.config import PROJECT_ROOT
from nte.db import utcnow
from nte.reports.models import Report

SECRETS = {
    "user-agent": "SecretAgent/9.9 (Reporter phone)",
    "x-forwarded-for": "203.0.113.99",
    "x-real-ip": "198.51.100.77",
    "cookie": "tracker=cookie-value-4242",
    "accept-language": "ar-EG,ar;q=0.9",
}
DESCRIPTION = "He followed me from the bus stop, my number is 07700 900123"
#: How many columns the ``report`` table has today. Raise it when you add one.
REPORT_COLUMNS_TODAY = 26


def _report_body():
    when = utcnow() - timedelta(hours=1)
    return {
        "lat": 51.5132,
        "lon": -0.1337,
        "date": when.date().isoformat(),
        "time": when.strftime("%H:%M"),
        "categories": ["followed"],
        "description": DESCRIPTION,
    }


def _table_counts(db) -> dict[str, int]:
    from nte.models import metadata

    return {t.name: db.scalar(sa.select(sa.func.count()).select_from(t)) for t in metadata.sorted_tables}


def _assert_clean(text: str, *, report_text_allowed: bool = False) -> None:
    words = () if report_text_allowed else ("followed me",)
    for value in (*SECRETS.values(), "testclient", "cookie-value-4242", "07700 900123", *words):
        assert value not in text, f"{value!r} leaked"


def test_rows_and_logs_hold_nothing_about_the_reporter(client, db, anon_csrf, caplog):
    columns = {c.name for c in Report.__table__.columns}
    assert len(columns) >= REPORT_COLUMNS_TODAY, (
        f"the report table has {len(columns)} columns to check; it had {REPORT_COLUMNS_TODAY}"
    )
    words = {w for c in columns for w in c.split("_")}
    assert not words & {
        "ip",
        "address",
        "agent",
        "ua",
        "cookie",
        "user",
        "lang",
        "language",
        "locale",
        "account",
        "session",
        "email",
        "phone",
        "name",
    }
    before = _table_counts(db)
    body = _report_body()
    with caplog.at_level(logging.DEBUG):
        api = client.post("/api/reports?lang=ar", json=body, headers=SECRETS)
        page = client.post(
            "/report?lang=ar",
            headers={**SECRETS, "accept": "text/html"},
            data={
                "csrf_token": anon_csrf,
                "lat": "51.5155",
                "lon": "-0.0925",
                "date": body["date"],
                "time": body["time"],
                "categories": "spiking",
                "description": DESCRIPTION,
            },
        )
        client.get(f"/api/reports/receipts/{api.json()['receipt_code']}", headers=SECRETS)
    assert api.status_code == 201 and page.status_code == 200 and 'dir="rtl"' in page.text
    assert "set-cookie" not in api.headers and "set-cookie" not in page.headers
    after = _table_counts(db)
    grown = {name for name in after if after[name] != before[name]}
    # No audit row, no session, no account; ward_assignment holds the report's ward in each vintage.
    assert grown == {"report", "report_category", "ward_assignment"}
    rows = db.execute(sa.text("SELECT * FROM report ORDER BY id DESC LIMIT 2")).mappings().all()
    assert len(rows) == 2, f"{len(rows)} report rows to check; the API and the page each stored one"
    for row in rows:
        _assert_clean(repr(dict(row)), report_text_allowed=True)  # scrubbed text is stored, for officers
        assert "ar" not in {str(v) for v in row.values()}  # the language is not stored
        assert row["received_hour"] is not None
    stored = db.scalars(sa.select(Report).order_by(Report.id.desc()).limit(2)).all()
    assert len(stored) == 2, f"{len(stored)} stored reports to check; the API and the page each stored one"
    for r in stored:
        assert (r.received_hour.minute, r.received_hour.second, r.received_hour.microsecond) == (0, 0, 0)
        assert r.created_at == r.received_hour
        assert "[phone removed]" in r.description
    # Everything the server side logged (the test client's own httpx logger is the "browser", not us).
    logged = "\n".join(
        f"{rec.name} {rec.getMessage()} {rec.args!r}" for rec in caplog.records if not rec.name.startswith("httpx")
    )
    assert "/report" not in logged  # report routes leave no access-log line at all
    _assert_clean(logged)


def test_serve_command_access_log_is_off_and_clean(tmp_path):
    """Run the real ``python main.py serve`` (uvicorn with the command's log config) and capture its output."""
    from tests.conftest import make_database
    from tests.support.postgres import free_port

    url = make_database("spatialite", "serve_privacy", tmp_path, None)
    port = free_port()
    env = {**os.environ, "NTE_DATABASE_URL": url, "NTE_ENV": "test", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "main.py", "serve", "--port", str(port)]
    from nte.db import engine_for
    from nte.health import check_database

    assert check_database(engine_for(url, "mod_spatialite")) is None  # the real command starts as is
    proc = subprocess.Popen(  # noqa: S603 - our own command line
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise AssertionError("serve did not start")
        with httpx.Client(base_url=base, headers=SECRETS, timeout=10) as http:
            created = http.post("/api/reports", json=_report_body())
            assert created.status_code == 201, created.text
            code = created.json()["receipt_code"]
            assert http.get(f"/api/reports/receipts/{code}").status_code == 200
            assert http.get("/report?lang=ar").status_code == 200
            assert http.get("/api/wards/lookup?lon=-0.1337&lat=51.5132").status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            output, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
    assert "GET /api/wards/lookup 200" in output  # our access log line (route template, status, duration)
    assert "/report" not in output and code not in output  # report routes leave no line at all
    assert "HTTP/1.1" not in output  # uvicorn's access line ('addr:port - "POST ... HTTP/1.1" 201') is off
    _assert_clean(output)


def test_report_routes_write_no_access_log_line(client, anon_csrf, caplog):
    """Submissions and receipt look-ups are not logged at all: no line means no method, path or
    duration, and no millisecond timestamp from the formatter to line up with a report's hour.
    Refusals before routing (too large, NUL) and unknown receipt paths are not logged either."""
    body = _report_body()
    form = {"csrf_token": anon_csrf, "lat": "51.5155", "lon": "-0.0925", "date": body["date"], "time": body["time"]}
    with caplog.at_level(logging.DEBUG):
        created = client.post("/api/reports", json=body)
        code = created.json()["receipt_code"]
        silent = [
            created,
            client.post("/report", data={**form, "categories": "spiking"}, headers={"accept": "text/html"}),
            client.get("/report"),
            client.get(f"/api/reports/receipts/{code}"),
            client.get("/api/reports/receipts/ZZZZ-ZZZZ-ZZZZ-ZZZZ"),
            client.get("/api/reports/receipts/ZZZZ/ZZZZ"),  # matches no route: still a receipt path
            client.get("/report/status"),
            client.post("/report/status", data={"csrf_token": anon_csrf, "receipt": code}),
            client.post(
                "/api/reports", content=b"{" + b" " * 2_000_000 + b"}", headers={"content-type": "application/json"}
            ),
            client.post("/api/reports", json={**body, "description": "a\u0000b"}),
        ]
        logged_control = client.get("/healthz")
    assert [r.status_code for r in silent] == [201, 200, 200, 200, 404, 404, 200, 200, 413, 422]
    assert logged_control.status_code == 200
    access = [r.getMessage() for r in caplog.records if r.name == "nte.access"]
    assert access == [access[0]] and access[0].startswith("GET /healthz 200 "), access  # only the control
    everything = "\n".join(
        f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records if not r.name.startswith("httpx")
    )
    assert "/report" not in everything and code not in everything, everything


def _keys(value, path=""):
    """Every key in a JSON document, with its path ("updates[].title")."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield f"{path}{key}"
            yield from _keys(inner, f"{path}{key}.")
    elif isinstance(value, list):
        for inner in value:
            yield from _keys(inner, f"{path[:-1]}[].")


def test_the_public_never_sees_a_report_id_or_a_per_report_version(client, db, anon_csrf):
    """Report ids are sequential: whatever the public can see must not carry one, nor a version or
    validator that changes with each report (which would reveal how many came in, and when)."""
    body = _report_body()
    form = {"csrf_token": anon_csrf, "lat": "51.5155", "lon": "-0.0925", "date": body["date"], "time": body["time"]}
    public_urls = ("/api/maps/public/periods", "/api/maps/public/wards.geojson", "/map", "/report", "/report/status")
    before = {url: client.get(url) for url in public_urls}
    created = [client.post("/api/reports", json=body) for _ in range(2)]
    page = client.post("/report", data={**form, "categories": "spiking"}, headers={"accept": "text/html"})
    assert [r.status_code for r in created] == [201, 201] and page.status_code == 200
    ids = db.scalars(sa.select(Report.id).order_by(Report.id.desc()).limit(3)).all()
    assert len(ids) == 3, ids
    code = created[0].json()["receipt_code"]
    receipt = client.get(f"/api/reports/receipts/{code}")
    status_page = client.post("/report/status", data={"csrf_token": anon_csrf, "receipt": code})
    after = {url: client.get(url) for url in public_urls}

    # The receipt (JSON) and its look-up hold no report id, no sequence, no timestamp finer than the hour.
    assert set(created[0].json()) == {"receipt_code", "status", "ward_code", "ward_name", "location_precision"}
    keys = set(_keys(receipt.json()))
    assert keys <= {"status", "received_hour", "ward_code", "ward_name", "updates"} | {
        f"updates[].{k}"
        for k in ("id", "ward_code", "title", "body", "posted_at")  # the council's posts, not reports
    }, keys
    assert receipt.json()["received_hour"].endswith(":00:00Z") or receipt.json()["received_hour"].endswith(":00:00")
    # The pages link to no report and carry no id attribute for one.
    for response in (page, status_page, *after.values()):
        assert (
            "/officer/reports/" not in response.text
            and "report-id" not in response.text
            and "report_id" not in response.text
        )
    # Nothing public changes with a report, and no validator or cache version is sent that could.
    for url in public_urls:
        assert after[url].status_code == before[url].status_code == 200, url
    for url in public_urls[:3]:  # (the form pages differ only by their fresh CSRF token)
        assert after[url].content == before[url].content, url  # published views are frozen (tests/maps/test_public.py)
    for response in (*created, page, receipt, status_page, *after.values()):
        assert not {"etag", "last-modified", "x-cache", "location"} & {h.lower() for h in response.headers}, (
            response.url
        )
    # Asking for a report by id without an officer's sign-in answers the same for a real id and a
    # made-up one: no oracle for how many reports exist.
    for real in ids:
        made_up = max(ids) + 1000 + real
        for url in ("/api/reports/{}", "/officer/reports/{}"):
            real_answer = client.get(url.format(real), follow_redirects=False)
            made_up_answer = client.get(url.format(made_up), follow_redirects=False)
            assert real_answer.status_code == made_up_answer.status_code in (302, 303, 401, 403), url
            assert real_answer.content.replace(str(real).encode(), b"N") == made_up_answer.content.replace(
                str(made_up).encode(), b"N"
            )
