"""Logging under the production recipe, ``python main.py serve --workers 2``: every worker logs
(the private access log included), every line has a timestamp, and nothing about the person
asking (address, query string, user agent) is written (issue 14)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import make_database
from tests.support.server import client_from, serve
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

TIMESTAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
LINE = re.compile(rf"^{TIMESTAMP} (?P<level>[A-Z]+) \[(?P<pid>\d+)\] (?P<logger>[\w.]+): (?P<message>.*)$")
LEVEL_WORD = re.compile(r"\b(DEBUG|INFO|WARNING|ERROR|CRITICAL)\b")
CLIENT_ADDRESS = "127.9.8.7"  # the request's own loopback address, to look for in the output
USER_AGENT = "SecretAgent/9.9 (Reporter phone)"


def _started(lines: list[str]) -> set[int]:
    """The process ids of the workers that logged their start."""
    return {
        int(m["pid"])
        for m in (LINE.match(line.rstrip("\n")) for line in list(lines))
        if m and m["logger"].startswith("uvicorn") and m["message"].startswith("Started server process")
    }


def test_serve_with_two_workers_logs_timestamped_lines_from_the_workers(tmp_path):
    url = make_database("spatialite", "serve_logging", tmp_path, None)
    server = serve(url, workers=2)
    lines = server.lines  # stderr, read continuously by serve()'s own thread
    try:
        with client_from(CLIENT_ADDRESS, server.url) as http:
            r = http.get("/api/wards/lookup?lon=-0.1337&lat=51.5132", headers={"user-agent": USER_AGENT})
            assert r.status_code == 200, r.text

        def access_line() -> re.Match[str] | None:
            for line in list(lines):
                match = LINE.match(line.rstrip("\n"))
                if match and match["logger"] == "nte.access" and match["message"].startswith("GET /api/wards/lookup"):
                    return match
            return None

        access = wait_for(access_line, what="the request's line in the access log")
        # The other worker may still be starting (one answered the request): wait for both to say
        # so before stopping, however slow the machine is.
        wait_for(lambda: len(_started(lines)) == 2 or None, what="both workers' start lines")
    finally:
        server.stop()
    output = "".join(lines)

    # The access line is INFO, timestamped, written by a worker (not the parent process).
    assert access["level"] == "INFO" and int(access["pid"]) != server.proc.pid, access.group(0)
    assert re.fullmatch(r"GET /api/wards/lookup 200 \d+\.\dms", access["message"]), access.group(0)
    # Both workers configured their logging: each said, timestamped, that it started.
    started = _started(lines)
    assert len(started) == 2 and server.proc.pid not in started, output
    # Every line that names a level is a timestamped log line (uvicorn's "INFO:     ..." were not).
    untimestamped = [line for line in lines if LEVEL_WORD.search(line) and not LINE.match(line.rstrip("\n"))]
    assert not untimestamped, untimestamped
    # Nothing about the person asking: no address, query string or user agent; and uvicorn's own
    # access log (``'127.0.0.1:54321 - "GET /path?query HTTP/1.1" 200'``) stays off.
    for secret in (CLIENT_ADDRESS, "51.5132", "lat=", "SecretAgent", "Reporter phone", "HTTP/1.1"):
        assert secret not in output, f"{secret!r} is in the server's output"
