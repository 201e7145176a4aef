"""The environment the suite runs in is the locked one: every package that requirements/dev.lock
pins for this platform is installed at exactly that version, and the runtime lock agrees with it."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")
#: How many packages the locks pin today (all platforms); fewer means the parse or the lock broke.
DEV_PINS_TODAY = 114
RUNTIME_PINS_TODAY = 64


def _pins(lock: str) -> list[tuple[str, str, str | None]]:
    pins = []
    for line in (ROOT / "requirements" / lock).read_text().splitlines():
        if m := PIN.match(line):
            pins.append((canonicalize_name(m[1]), m[2], m[3]))
    return pins


def _for_this_platform(pins):
    return {name: version for name, version, marker in pins if marker is None or Marker(marker).evaluate()}


def test_every_locked_package_is_installed_at_its_locked_version():
    pins = _pins("dev.lock")
    assert len(pins) >= DEV_PINS_TODAY, f"only {len(pins)} pins read from requirements/dev.lock"
    wanted = _for_this_platform(pins)
    wrong = []
    for name, version in sorted(wanted.items()):
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            wrong.append(f"{name}=={version} is not installed")
            continue
        if installed != version:
            wrong.append(f"{name}: {installed} installed, {version} locked")
    assert not wrong, "run scripts/bootstrap.sh test (the venv is not the locked one):\n" + "\n".join(wrong)


def test_the_runtime_lock_is_the_dev_lock_without_the_tools():
    dev = {(n, m): v for n, v, m in _pins("dev.lock")}
    runtime = _pins("runtime.lock")
    assert len(runtime) >= RUNTIME_PINS_TODAY, f"only {len(runtime)} pins read from requirements/runtime.lock"
    differ = [f"{n}: runtime {v}, dev {dev.get((n, m))}" for n, v, m in runtime if dev.get((n, m)) != v]
    assert not differ, differ
    for name in ("fastapi", "sqlalchemy", "geoalchemy2", "shapely"):
        assert any(n == name for n, _, _ in runtime), name
