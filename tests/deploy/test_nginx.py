"""deploy/nginx.conf, run for real: nginx (a non-daemon subprocess with its own prefix) in front of
``python main.py serve --workers 2``, on loopback ports. The submission limit holds for the host,
across both workers, and nginx's logs hold no receipt code, feed token, client address or query.

Needs the ``nginx`` binary (Debian: ``apt-get install nginx``); skipped without it."""

from __future__ import annotations

import grp
import os
import pwd
import re
import secrets
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from nte.config import PROJECT_ROOT
from tests.support.postgres import free_port
from tests.support.server import client_from, report_body, serve
from tests.support.waiting import wait_for

NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
CONFIG = PROJECT_ROOT / "deploy" / "nginx.conf"

#: What the shipped file allows one address before refusing (burst 9 + 1, and 1 more a minute).
SUBMISSIONS_AT_ONCE = 10
SUBMISSIONS_PER_MINUTE = 1


def _replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"deploy/nginx.conf no longer has exactly one {old!r}: update this test"
    return text.replace(old, new)


def site_config(*, port: int, redirect_port: int, app_port: int, logs: Path) -> str:
    """deploy/nginx.conf as shipped, with only what must differ on a test machine changed:
    loopback ports instead of 443/80 (no TLS certificate) and log files under the test's prefix."""
    text = CONFIG.read_text()
    text = _replace_once(text, "listen 443 ssl http2;", f"listen 127.0.0.1:{port};")
    text = _replace_once(text, "    ssl_certificate     /etc/ssl/nte/fullchain.pem;\n", "")
    text = _replace_once(text, "    ssl_certificate_key /etc/ssl/nte/privkey.pem;\n", "")
    text = _replace_once(text, "listen 80;", f"listen 127.0.0.1:{redirect_port};")
    text = _replace_once(text, "server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};")
    text = _replace_once(text, "/var/log/nginx/nte-safe.log", str(logs / "nte-safe.log"))
    text = _replace_once(text, "/var/log/nginx/nte-safe.error.log", str(logs / "nte-safe.error.log"))
    return text


def main_config(prefix: Path, site: Path) -> str:
    """The rest of an nginx.conf, like Debian's: its own http-level logs (which must stay empty for
    our server), two worker processes sharing the zones, temp files under the prefix."""
    user = ""
    if os.geteuid() == 0:  # as root, workers would switch to "nobody", who cannot read the prefix
        user = f"user {pwd.getpwuid(os.getuid()).pw_name} {grp.getgrgid(os.getgid()).gr_name};"
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / 'tmp' / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}
worker_processes 2;
pid {prefix / "nginx.pid"};
error_log {prefix / "logs" / "main.error.log"} info;
events {{ worker_connections 64; }}
http {{
    access_log {prefix / "logs" / "default-access.log"} combined;
{temp}
    include {site};
}}
"""


@pytest.fixture()
def nginx_in_front(tmp_path, request):
    if NGINX is None:
        pytest.skip("nginx is not installed (Debian: apt-get install nginx)")
    from tests.conftest import make_database

    pg_cluster = request.getfixturevalue("pg_cluster")  # only once nginx is known to be there
    url = make_database("postgis", f"nte_nginx_{secrets.token_hex(4)}", tmp_path, pg_cluster)
    # The app's own per-worker limits are raised out of the way: every refusal seen here is nginx's.
    app = serve(url, workers=2, extra_env={"NTE_REPORTS_SUBMIT_LIMIT": "1000", "NTE_REPORTS_RECEIPT_LIMIT": "1000"})
    proc = None
    try:
        prefix = tmp_path / "nginx"
        logs = prefix / "logs"
        logs.mkdir(parents=True)
        (prefix / "tmp").mkdir()
        port, redirect_port = free_port(), free_port()
        site = prefix / "nte-safe.conf"
        app_port = int(app.url.rsplit(":", 1)[1])
        site.write_text(site_config(port=port, redirect_port=redirect_port, app_port=app_port, logs=logs))
        conf = prefix / "nginx.conf"
        conf.write_text(main_config(prefix, site))
        command = [NGINX, "-p", str(prefix), "-c", str(conf), "-e", str(logs / "startup.error.log")]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)  # noqa: S603
        assert checked.returncode == 0, checked.stderr
        proc = subprocess.Popen([*command, "-g", "daemon off;"], stderr=subprocess.PIPE, text=True)  # noqa: S603
        base = f"http://127.0.0.1:{port}"
        running = proc

        def healthy() -> bool:
            assert running.poll() is None, f"nginx exited: {running.stderr.read() if running.stderr else ''}"
            try:
                return httpx.get(base + "/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, what="nginx answering in front of the app")
        yield base, logs
    finally:
        if proc is not None:
            proc.terminate()  # SIGTERM: fast shutdown
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        app.stop()


@pytest.mark.slow
def test_submission_limit_holds_across_both_workers(nginx_in_front):
    base, _logs = nginx_in_front
    started = time.monotonic()
    outcomes: list[int] = []
    receipts: list[str] = []
    with client_from("127.0.0.1", base) as reporter:
        while 429 not in outcomes and len(outcomes) < 4 * SUBMISSIONS_AT_ONCE:
            r = reporter.post("/api/reports", json=report_body(len(outcomes)))
            outcomes.append(r.status_code)
            if r.status_code == 201:
                receipts.append(r.json()["receipt_code"])
            elif r.status_code == 429:
                refused = r
        elapsed = time.monotonic() - started
        # The same address through the public form shares the zone (refused before any CSRF check).
        form = reporter.post("/report", data={"categories": "followed"})
        # Receipt look-ups have their own allowance: the reporter can still check a report.
        looked_up = reporter.get(f"/api/reports/receipts/{receipts[0]}")
    with client_from("127.0.0.2", base) as neighbour:
        other = neighbour.post("/api/reports", json=report_body(999))

    accepted = outcomes.count(201)
    allowed = SUBMISSIONS_AT_ONCE + SUBMISSIONS_PER_MINUTE * (int(elapsed // 60) + 1)
    assert 429 in outcomes, f"no refusal after {len(outcomes)} submissions from one address: {outcomes}"
    # Two workers with their own limit of 10 each would take 20; nginx counts for the host.
    assert SUBMISSIONS_AT_ONCE <= accepted <= allowed, outcomes
    assert set(outcomes) == {201, 429} and outcomes[accepted:] == [429], outcomes
    assert refused.json()["error"] == "rate_limited" and refused.headers["retry-after"] == "60"
    assert form.status_code == 429, form.text
    assert looked_up.status_code == 200, looked_up.text
    assert other.status_code == 201, other.text  # the limit is per address, not for everyone


@pytest.mark.slow
def test_nginx_logs_hold_no_receipt_code_token_address_or_query(nginx_in_front):
    base, logs = nginx_in_front
    token = secrets.token_urlsafe(24)
    with client_from("127.0.0.1", base) as reporter:
        created = reporter.post("/api/reports", json=report_body(1))
        assert created.status_code == 201, created.text
        code = created.json()["receipt_code"]
        looked_up = reporter.get(f"/api/reports/receipts/{code}", params={"lang": "ar"})
        typo = reporter.get(f"/api/reports/receipt/{code}")  # a wrong path with a code in it
        status_page = reporter.post("/report/status", data={"receipt": code})
        feed = reporter.get(f"/api/patrols/feed/{token}.ics")
        lookup = reporter.get("/api/wards/lookup", params={"lon": "-0.1337", "lat": "51.5132"})
        reporter.get("/healthz", params={"probe": "last-one"})
    assert looked_up.status_code == 200 and typo.status_code == 404 and feed.status_code == 404
    assert status_page.status_code == 403 and lookup.status_code == 200  # (no CSRF token: refused by the app)

    access = logs / "nte-safe.log"

    # Lines are written after each response is sent (by either nginx worker): wait for them.
    def written() -> list[str]:
        lines = access.read_text().splitlines() if access.exists() else []
        text = "\n".join(lines)
        done = "/api/patrols/feed/" in text and "/api/wards/lookup" in text and text.count("/healthz") >= 2
        return lines if done else []

    lines = wait_for(written, what="the access lines of the feed, the ward look-up and the last /healthz")
    shape = re.compile(r'^\S+ "(GET|POST) (\S+)" \d{3} \d+ \d+\.\d{3}$')
    routes = [m.group(2) for m in map(shape.match, lines) if m]
    assert len(routes) == len(lines), lines
    # Submissions and receipt look-ups leave no line at all; the feed and a mistyped path are named.
    assert "/api/patrols/feed/{token}.ics" in routes and "/api/wards/lookup" in routes, routes
    assert "/api/reports/..." in routes, routes  # the typo: logged, without its code
    assert not [r for r in routes if r in ("/api/reports", "/report") or r.startswith("/api/reports/receipts")]
    everything = "\n".join(p.read_text() for p in logs.iterdir() if p.is_file())
    for secret in (code, token, "127.0.0.1", "51.5132", "lang=", "probe", "last-one", "python-httpx"):
        assert secret not in everything, f"{secret!r} in nginx's logs"
    assert not (logs / "default-access.log").exists() or not (logs / "default-access.log").read_text()
    assert not (logs / "nte-safe.error.log").exists() or not (logs / "nte-safe.error.log").read_text()


def test_config_text_logs_nothing_about_the_client():
    """Where nginx cannot run: what the shipped file says about logs and limits."""
    text = re.sub(r"#.*", "", CONFIG.read_text())
    formats = re.findall(r"log_format\s+(\S+)\s+'([^;]*)';", text)
    assert formats and all(name == "nte_private" for name, _ in formats), formats
    for variable in (
        "$remote_addr",
        "$binary_remote_addr",
        "$http_",
        "$request ",
        "$request_uri",
        "$args",
        "$query_string",
        "$uri",
        "$remote_user",
    ):
        assert variable not in formats[0][1], variable
    logs = re.findall(r"access_log\s+([^;]+);", text)
    assert logs and all(line == "off" or line.endswith(" nte_private") for line in logs), logs
    assert all(line.split()[-1] == "crit" for line in re.findall(r"error_log\s+([^;]+);", text))
    assert re.search(r"limit_req_log_level\s+(info|notice|warn|error);", text)  # all below crit
    zones = set(re.findall(r"limit_req_zone\s+\S+\s+zone=(\w+):", text))
    used = set(re.findall(r"limit_req\s+zone=(\w+)", text))
    assert {"nte_report_submit"} <= used <= zones, (used, zones)
    for location in ("location = /api/reports {", "location = /report {"):
        block = text[text.index(location) : text.index("}", text.index(location))]
        assert "limit_req zone=nte_report_submit" in block and "access_log off;" in block, location
