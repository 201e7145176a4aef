"""The general guard behind every TestClient request: no session the app opened for a request is
still in a transaction once the response has been sent in full (streamed bodies included). A
session left open holds SQLite's write lock, or a PostgreSQL connection idle in transaction, until
the process restarts: the way one officer export once took the whole service down."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass
class SessionTracker:
    """Wraps the app's session factory and remembers every session it hands out."""

    factory: sessionmaker[Session]
    sessions: list[Session] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    requests: int = 0

    def __call__(self, **kw: Any) -> Session:
        session = self.factory(**kw)
        self.sessions.append(session)
        return session


class NoSessionLeftOpen:
    """ASGI middleware (outermost): after each HTTP request, every session opened during it is closed."""

    def __init__(self, app: ASGIApp, tracker: SessionTracker) -> None:
        self.app = app
        self.tracker = tracker

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        first = len(self.tracker.sessions)
        try:
            await self.app(scope, receive, send)
        finally:
            self.tracker.requests += 1
            opened = self.tracker.sessions[first:]
            left = [s for s in opened if s.in_transaction()]
            if left:
                self.tracker.problems.append(
                    f"{scope['method']} {scope['path']} left {len(left)} of its {len(opened)} session(s) "
                    "in a transaction after the response was sent"
                )
