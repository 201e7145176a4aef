"""Run the real ``python main.py serve`` (several uvicorn workers) as a subprocess on loopback,
for the load benchmark and the fault tests."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

import httpx

from nte.config import PROJECT_ROOT
from tests.support.postgres import free_port


@dataclass
class ServedApp:
    proc: subprocess.Popen
    url: str
    #: Everything the server wrote to stderr so far (read continuously by a thread: a pipe nobody
    #: reads fills up at 64 KB and then blocks every worker that logs).
    lines: list[str]
    reader: threading.Thread

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.reader.join(timeout=15)


def serve(
    database_url: str, *, workers: int = 2, extra_env: dict[str, str] | None = None, port: int | None = None
) -> ServedApp:
    """``port``: the loopback port to listen on (a free one if None); pass it when the server must
    know its own address before it starts (``NTE_BASE_URL``, from which every link is written)."""
    port = port or free_port()
    env = {**os.environ, "NTE_DATABASE_URL": database_url, "NTE_ENV": "test", **(extra_env or {})}
    proc = subprocess.Popen(
        [sys.executable, "main.py", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []

    def read_stderr() -> None:  # until the server exits and closes it
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            reader.join(timeout=5)
            raise RuntimeError(f"server exited: {''.join(lines)}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return ServedApp(proc=proc, url=url, lines=lines, reader=reader)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server did not become healthy: {''.join(lines)[-2000:]}")


def client_from(address: str, base_url: str, timeout: float = 10.0) -> httpx.Client:
    """An HTTP client whose connections come from ``address`` (any 127.x.y.z: each simulated
    reporter has its own loopback address, as real reporters have their own)."""
    return httpx.Client(
        base_url=base_url, timeout=timeout, transport=httpx.HTTPTransport(local_address=address, retries=0)
    )


def loopback_address(n: int) -> str:
    return f"127.{1 + (n >> 16) % 250}.{(n >> 8) % 256}.{1 + n % 250}"


def report_body(n: int) -> dict:
    # Points spread over Soho / the West End, Westminster.
    return {
        "lat": 51.5095 + (n % 50) * 0.00008,  # south of Oxford Street (north of it is Camden)
        "lon": -0.1400 + (n % 89) * 0.00012,
        "date": "2026-11-20",
        "time": f"{18 + n % 6:02d}:{n % 60:02d}",
        "categories": ["verbal_harassment"] if n % 3 else ["followed", "intimidating_group"],
        "factors": ["poor_lighting"] if n % 2 else [],
        "description": None,
    }


@dataclass
class ThreadedServer:
    """The real app under uvicorn in a thread of this process, on a loopback port, with its own
    database (real commits, its own pool): what a browser or an HTTP client talks to."""

    url: str
    app: object
    server: object
    thread: object

    def stop(self) -> None:
        self.server.should_exit = True  # type: ignore[attr-defined]
        self.thread.join(timeout=10)  # type: ignore[attr-defined]


def serve_in_thread(settings: object) -> ThreadedServer:
    import threading

    import uvicorn

    from nte.app import create_app

    app = create_app(settings)  # type: ignore[arg-type]
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started and time.time() < deadline:
        if not thread.is_alive():
            raise RuntimeError("the threaded server exited at start-up")
        time.sleep(0.05)
    if not server.started:
        raise RuntimeError("the threaded server did not start")
    return ThreadedServer(url=f"http://127.0.0.1:{port}", app=app, server=server, thread=thread)
