"""The rate limiter counts per keyed hash of the address; the key rotates and lives in memory."""

from __future__ import annotations

import pytest

from nte.errors import RateLimited
from nte.web.ratelimit import ROTATE_SECONDS, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_limit_window_and_rotation():
    clock = Clock()
    limiter = RateLimiter(limit=3, window_seconds=60, clock=clock)
    for _ in range(3):
        limiter.hit("203.0.113.7")
    with pytest.raises(RateLimited) as exc:
        limiter.hit("203.0.113.7")
    assert exc.value.status_code == 429 and 1 <= exc.value.retry_after <= 60
    limiter.hit("198.51.100.1")  # another address has its own budget
    clock.t += 61
    limiter.hit("203.0.113.7")  # a new window
    key_before = limiter.key_for("203.0.113.7")
    clock.t += ROTATE_SECONDS
    limiter.hit("203.0.113.7")
    assert limiter.key_for("203.0.113.7") != key_before  # the key rotated
    assert limiter.tracked() == 1  # old counters were dropped with the old key


def test_nothing_about_the_address_is_kept_in_clear():
    limiter = RateLimiter(limit=5, window_seconds=60)
    limiter.hit("203.0.113.7")
    stored = repr(limiter._counts) + repr(limiter.__dict__)
    assert "203.0.113.7" not in stored
