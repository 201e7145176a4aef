"""Browser tests: Debian's Chromium driven by Playwright, an axe-core check, and a live server.

``live_server`` runs the real app under uvicorn on a loopback port with its own database (real
commits), seeded through ``live_server.session_factory``. ``page`` fails the test if any request
left the host. ``axe_check(page)`` fails on any WCAG 2.x A/AA violation."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlparse

import pytest

from nte.auth.throttle import SignInThrottle
from nte.web.ratelimit import RateLimiter

CHROMIUM = os.environ.get("NTE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
BROWSER_BACKEND = os.environ.get("NTE_BROWSER_BACKEND", "spatialite")
#: How long a browser step may wait for the page (ms): reached only by a page that hangs, never by a
#: slow machine (a 30 s limit was crossed once with three test runs sharing two cores).
STEP_TIMEOUT_MS = 120_000


@dataclass
class LiveServer:
    url: str
    session_factory: object
    settings: object
    server: object = None
    thread: threading.Thread | None = None
    host: str = "127.0.0.1"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, request) -> Iterator[LiveServer]:
    from sqlalchemy.orm import sessionmaker

    from nte.config import get_settings
    from nte.db import engine_for
    from tests.conftest import make_database
    from tests.support.server import serve_in_thread

    cluster = request.getfixturevalue("pg_cluster") if BROWSER_BACKEND == "postgis" else None
    url = make_database(BROWSER_BACKEND, "nte_browser", tmp_path_factory.mktemp("browser"), cluster)
    settings = get_settings().model_copy(update={"database_url": url})
    served = serve_in_thread(settings)
    live = LiveServer(
        url=served.url,
        session_factory=sessionmaker(bind=engine_for(url, settings.spatialite_library), expire_on_commit=False),
        settings=settings,
        server=served.server,
        thread=served.thread,
    )
    yield live
    served.stop()


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request):
    """Each browser test starts with the live server's per-address limits unspent: every browser
    request comes from 127.0.0.1, so otherwise how many tests ran in the last 10 minutes (how fast
    the machine is) would decide whether a report is refused with a 429."""
    if "live_server" in request.fixturenames:
        live = request.getfixturevalue("live_server")
        state = live.server.config.app.state
        # Every limiter the app keeps (created on first use): found by type, so a new one is never missed.
        for name, value in list(state._state.items()):
            values = value.values() if isinstance(value, dict) else [value]
            if values and all(isinstance(v, RateLimiter | SignInThrottle) for v in values):
                delattr(state, name)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    pw.stop()


@dataclass
class RequestLog:
    allowed_hosts: set[str]
    urls: list[str] = field(default_factory=list)

    def external(self) -> list[str]:
        out = []
        for url in self.urls:
            parsed = urlparse(url)
            if parsed.scheme in ("data", "blob", "about"):
                continue
            if parsed.hostname not in self.allowed_hosts:
                out.append(url)
        return out


@pytest.fixture()
def page(browser, live_server: LiveServer):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id="Europe/London")
    pg = context.new_page()
    log = RequestLog(allowed_hosts={"127.0.0.1", "localhost"})
    pg.on("request", lambda req: log.urls.append(req.url))
    pg.request_log = log  # type: ignore[attr-defined]
    pg.set_default_timeout(STEP_TIMEOUT_MS)
    yield pg
    context.close()
    external = log.external()
    assert not external, f"requests left the host: {external}"


def axe_check(page, *, context: str | None = None) -> None:
    """Fail on any axe-core violation (WCAG 2.0/2.1/2.2 A and AA rules and best practice)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        context=context,
        options={
            "runOnly": {
                "type": "tag",
                "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
            }
        },
    )
    # A run that checked nothing would also have no violations: it must have passed some rules.
    passed = results.response.get("passes", [])
    assert len(passed) >= 10, f"axe-core ran only {len(passed)} passing rules on {page.url}: it checked nothing"
    violations = results.response.get("violations", [])
    if violations:
        lines = []
        for v in violations:
            targets = [", ".join(n.get("target", [])) for n in v.get("nodes", [])][:5]
            lines.append(f"- {v['id']} ({v.get('impact')}): {v.get('help')} at {targets}")
        raise AssertionError(f"axe-core found {len(violations)} violation(s) on {page.url}:\n" + "\n".join(lines))


def sign_in(page, live_server: LiveServer, email: str, password: str) -> None:
    page.goto(f"{live_server.url}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("main button[type=submit]")


#: Where the quick exit's centre is, and whether the quick exit is what a tap there reaches.
QUICK_EXIT_ON_TOP = """() => {
  const button = document.getElementById("quick-exit");
  if (!button) return {on_top: false, under: "(this page has no quick exit)", visible: false};
  const r = button.getBoundingClientRect();
  const under = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return {on_top: !!under && button.contains(under), under: under ? under.outerHTML.slice(0, 120) : null,
          visible: r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight};
}"""


def phone_layout_problems(page, label: str, width: int) -> list[str]:
    """What is wrong with the loaded page on a ``width`` px screen: wider than the screen, or the quick
    exit not the element at its own centre at the top, middle or bottom of the page (it ends scrolled
    to the bottom)."""
    problems = []
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    if scroll_width > width:
        problems.append(f"{label}: {scroll_width} px wide on a {width} px screen")
    bottom = max(page.evaluate("() => document.documentElement.scrollHeight - window.innerHeight"), 0)
    for y in (0, bottom // 2, bottom):
        page.evaluate(f"() => window.scrollTo(0, {y})")
        page.wait_for_timeout(50)  # one frame for sticky positioning
        state = page.evaluate(QUICK_EXIT_ON_TOP)
        if not (state["visible"] and state["on_top"]):
            problems.append(f"{label} at scroll {y}: the quick exit is under {state['under']}")
    return problems
