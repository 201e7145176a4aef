"""A throwaway PostgreSQL + PostGIS cluster for the test suite and benchmarks.

initdb refuses to run as root, so as root the cluster runs as the ``postgres`` user. Durability
is switched off (fsync=off): the cluster lives for one test run."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def _bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not candidates:
        raise RuntimeError("PostgreSQL server binaries not found: apt-get install postgresql-15-postgis-3")
    return Path(candidates[-1]).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    base: Path
    port: int
    bindir: Path
    as_postgres: bool

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True)

    def psql(self, sql: str, database: str = "postgres") -> str:
        out = self._run(
            str(self.bindir / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-v",
            "ON_ERROR_STOP=1",
            "-Atc",
            sql,
        )
        return out.stdout

    def create_database(self, name: str) -> str:
        self.psql(f'DROP DATABASE IF EXISTS "{name}"')
        self.psql(f'CREATE DATABASE "{name}"')
        self.psql("CREATE EXTENSION IF NOT EXISTS postgis", database=name)
        return self.url(name)

    def stop(self, mode: str = "immediate") -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.base / "data"), "-m", mode, "stop", check=False)

    def start(self) -> None:
        opts = (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
            "-c shared_buffers=128MB"
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.base / "data"),
            "-o",
            opts,
            "-l",
            str(self.base / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


def start_cluster() -> Cluster:
    bindir = _bindir()
    as_postgres = os.geteuid() == 0
    base = Path(tempfile.mkdtemp(prefix="nte-pg-"))
    (base / "data").mkdir()
    if as_postgres:
        shutil.chown(base, "postgres")
        shutil.chown(base / "data", "postgres")
    cluster = Cluster(base=base, port=free_port(), bindir=bindir, as_postgres=as_postgres)
    cluster._run(
        str(bindir / "initdb"),
        "-D",
        str(base / "data"),
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
        "--no-sync",
    )
    cluster.start()
    deadline = time.time() + 30
    while time.time() < deadline:
        if (
            cluster._run(str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(cluster.port), check=False).returncode
            == 0
        ):
            return cluster
        time.sleep(0.2)
    raise RuntimeError(f"PostgreSQL did not start; see {base / 'server.log'}")
