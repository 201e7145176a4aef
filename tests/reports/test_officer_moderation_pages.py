"""The moderation queue's refusals without a browser, on both databases: nothing ticked, a duplicate
with no original, an unreadable, unknown or ticked original; each re-shows the page it came from with
the ticks, filters and page kept (422), never a dead end; ward names shown with their codes."""

from __future__ import annotations

import html
import re

import pytest

from nte.reports.models import Report
from tests.factories import login, make_report, make_user


@pytest.fixture()
def officer(client, db):
    user = make_user(db, role="officer")
    return login(client, db, user)


def _queue(client, **params):
    return client.get("/officer/reports", params={"status": "new", **params})


def _post(client, csrf, *, query="status=new&category=followed&page=1", **form):
    data = {"csrf_token": csrf, "back": f"/officer/reports?{query.rsplit('&page', 1)[0]}", **form}
    return client.post(f"/officer/reports/moderate?{query}", data=data, follow_redirects=False)


def _error(page: str, field: str) -> str:
    match = re.search(rf'class="error-message" id="{field}-error">(.*?)<', page, re.S)
    assert match, f"no error beside {field}"
    return html.unescape(match.group(1))


def test_accept_with_nothing_ticked_stays_on_the_queue_and_says_so(client, db, officer):
    report, _code = make_report(db, categories=["followed"])
    r = _post(client, officer, status="accepted")
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert "Tick at least one report first" in _error(r.text, "ids")
    summary = re.search(r'<div class="error-summary" id="error-summary".*?</div>', r.text, re.S).group(0)
    assert "Tick at least one report first" in summary and 'href="#reports-table"' in summary
    # Still the queue, with its filters (status and category chosen) and the report to tick.
    assert "<h1>Moderation queue</h1>" in r.text
    assert re.search(r'<option value="followed" selected>', r.text)
    assert re.search(r'<option value="new" selected>', r.text)
    assert f'id="sel-{report.id}"' in r.text
    assert db.get(Report, report.id).status == "new"


@pytest.mark.parametrize(
    ("original", "words"),
    [
        ("", "Type the number of the original report"),
        ("twelve", "a whole number"),
        ("999999", "There is no report number 999999"),
        ("SELF", "is one of the ticked reports"),
    ],
)
def test_duplicate_needs_another_existing_original(client, db, officer, original, words):
    first, _ = make_report(db, categories=["followed"])
    second, _ = make_report(db, categories=["followed"])
    typed = str(second.id) if original == "SELF" else original
    r = _post(client, officer, status="duplicate", ids=[str(second.id)], duplicate_of=typed)
    assert r.status_code == 422, r.text[:300]
    assert words in _error(r.text, "duplicate_of")
    assert re.search(rf'id="sel-{second.id}"[^>]*checked', r.text)  # the tick is kept
    assert re.search(rf'id="duplicate_of"[^>]*value="{re.escape(typed)}"', r.text)  # and what was typed
    assert re.search(r'<option value="followed" selected>', r.text)
    assert db.get(Report, second.id).status == "new" and db.get(Report, first.id).status == "new"


def test_duplicate_with_its_original_is_marked_and_goes_back_to_the_queue(client, db, officer):
    first, _ = make_report(db, categories=["followed"])
    second, _ = make_report(db, categories=["followed"])
    r = _post(client, officer, status="duplicate", ids=[str(second.id)], duplicate_of=f"#{first.id}")
    assert r.status_code == 303
    assert r.headers["location"].startswith("/officer/reports?status=new&category=followed&done=")
    db.expire_all()
    marked = db.get(Report, second.id)
    assert marked.status == "duplicate" and marked.duplicate_of_id == first.id


def test_the_report_page_refuses_a_duplicate_without_its_original_in_place(client, db, officer):
    report, _ = make_report(db)
    data = {
        "csrf_token": officer,
        "ids": str(report.id),
        "status": "duplicate",
        "back": f"/officer/reports/{report.id}",
    }
    r = client.post("/officer/reports/moderate", data=data, follow_redirects=False)
    assert r.status_code == 422
    assert f"<h1>Report {report.id}" in r.text
    assert "Type the number of the original report" in _error(r.text, "duplicate_of")


def test_queue_and_report_page_show_ward_names_with_codes(client, db, officer):
    report, _ = make_report(db, categories=["followed"])
    from nte.wards import service as ward_service

    ward = ward_service.get_ward(db, code=report.ward_code)
    shown = f"<bdi>{html.escape(ward.name)}</bdi> ({ward.code})"
    queue = _queue(client, category="followed")
    assert queue.status_code == 200 and shown in queue.text
    detail = client.get(f"/officer/reports/{report.id}")
    assert detail.status_code == 200 and shown in detail.text
    assert f"<bdi>{html.escape(ward.borough_name)}</bdi> ({report.borough_code})" in detail.text
    assert f">{html.escape(ward.name)} ({ward.code})</option>" in queue.text  # the ward filter too
