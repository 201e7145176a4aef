"""Slowing down password guessing without letting anyone lock an account.

Failed sign-ins are counted per pair of (the e-mail address as typed, the client address). After
``free_attempts`` failures, the pair must wait ``2**excess`` seconds (capped) before its next try;
until then its attempts are answered 429 before any password is checked. Another address (the
officer at her desk while someone guesses from elsewhere) is never slowed by it, so nobody can
lock an account by failing on purpose. An e-mail that has no account is counted exactly like one
that has, so neither the answers nor their timing tell the two apart.

The pairs are keyed by HMAC under a random key that lives only in this process's memory and is
replaced every hour with the counters: neither address nor keyed hash is stored or logged. Each
server process counts on its own (the reverse proxy's limit, deploy/nginx.conf, holds across them)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from datetime import datetime, timedelta

from nte.auth.exceptions import LoginThrottled

ROTATE = timedelta(hours=1)
MAX_TRACKED = 100_000  # bounded memory: beyond this the counters start again early


class SignInThrottle:
    def __init__(self, *, free_attempts: int, max_delay_seconds: int) -> None:
        self.free_attempts = free_attempts
        self.max_delay = max_delay_seconds
        self._lock = threading.Lock()
        self._key = secrets.token_bytes(32)
        self._key_born: datetime | None = None
        self._failures: dict[bytes, tuple[int, datetime]] = {}

    def _pair(self, email: str, client: str, now: datetime) -> bytes:
        if self._key_born is None or now - self._key_born >= ROTATE or len(self._failures) > MAX_TRACKED:
            self._key, self._key_born, self._failures = secrets.token_bytes(32), now, {}
        typed = (email or "").strip().lower()
        return hmac.new(self._key, f"{typed}\0{client}".encode(), hashlib.sha256).digest()[:16]

    def check(self, *, email: str, client: str, now: datetime) -> None:
        """Raise LoginThrottled while this pair must wait."""
        with self._lock:
            count, last = self._failures.get(self._pair(email, client, now), (0, now))
        if count < self.free_attempts:
            return
        wait_until = last + timedelta(seconds=min(2 ** (count - self.free_attempts), self.max_delay))
        if now < wait_until:
            raise LoginThrottled(retry_after=max(1, int((wait_until - now).total_seconds() + 0.999)))

    def failed(self, *, email: str, client: str, now: datetime) -> None:
        with self._lock:
            key = self._pair(email, client, now)
            count, _ = self._failures.get(key, (0, now))
            self._failures[key] = (count + 1, now)

    def succeeded(self, *, email: str, client: str, now: datetime) -> None:
        with self._lock:
            self._failures.pop(self._pair(email, client, now), None)
