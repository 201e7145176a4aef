"""Waiting on a condition, never on the clock: a test that needs something to have happened waits
until it has (bounded by a generous deadline that only a hung process reaches), so how fast the
machine is changes how long the test takes, never whether it passes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

#: Long enough for a loaded 2-core CI machine many times over; reached only when something hangs.
DEADLINE_SECONDS = 180.0


def wait_for(condition: Callable[[], T], *, what: str, timeout: float = DEADLINE_SECONDS, every: float = 0.05) -> T:
    """Return ``condition()``'s first truthy value; fail naming ``what`` if it never comes."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(every)
