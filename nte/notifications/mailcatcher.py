"""A local mail catcher for the demo and for development (``python main.py mail-catcher``): a real
SMTP server on loopback that accepts every message and writes it to a folder as an ``.eml`` file
(``<UTC time>-<subject>.eml``, readable in any text editor or mail program), printing one line per
message. Nothing is sent on: it is where the outbox's mail lands when no real mail server is set."""

from __future__ import annotations

import email
import email.policy
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_NOT_SAFE = re.compile(r"[^A-Za-z0-9]+")


def file_name(subject: str, at: datetime) -> str:
    """``20261201T134501.123456Z-renew-the-demo-arms.eml``: sorts by arrival, says what it is."""
    slug = _NOT_SAFE.sub("-", subject).strip("-").lower()[:60].strip("-") or "no-subject"
    return f"{at.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}-{slug}.eml"


@dataclass(frozen=True)
class CaughtMail:
    to: str
    subject: str
    path: Path


class _Handler:
    def __init__(self, folder: Path, on_mail: Callable[[CaughtMail], None]) -> None:
        self.folder = folder
        self.on_mail = on_mail
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        raw: bytes = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        subject = str(message.get("Subject") or "")
        to = str(message.get("To") or ", ".join(envelope.rcpt_tos))
        with self._lock:
            path = self.folder / file_name(subject, datetime.now(UTC))
            path.write_bytes(raw)
        self.on_mail(CaughtMail(to=to, subject=subject, path=path))
        return "250 Message accepted for delivery"


class MailCatcher:
    """Start and stop an aiosmtpd server on ``host:port`` (in its own thread) writing into ``folder``."""

    def __init__(
        self, *, host: str, port: int, folder: Path, on_mail: Callable[[CaughtMail], None] = lambda mail: None
    ) -> None:
        from aiosmtpd.controller import Controller

        folder.mkdir(parents=True, exist_ok=True)
        self.host, self.port, self.folder = host, port, folder
        self._controller = Controller(_Handler(folder, on_mail), hostname=host, port=port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
