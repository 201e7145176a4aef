"""Run the real ``python main.py serve`` (several uvicorn workers) as a subprocess on loopback,
for the load benchmark and the fault tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass

import httpx

from nte.config import PROJECT_ROOT
from tests.support.postgres import free_port


@dataclass
class ServedApp:
    proc: subprocess.Popen
    url: str

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def serve(database_url: str, *, workers: int = 2, extra_env: dict[str, str] | None = None) -> ServedApp:
    port = free_port()
    env = {**os.environ, "NTE_DATABASE_URL": database_url, "NTE_ENV": "test", **(extra_env or {})}
    proc = subprocess.Popen(
        [sys.executable, "main.py", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return ServedApp(proc=proc, url=url)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not become healthy")


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
