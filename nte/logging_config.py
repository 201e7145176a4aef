"""Logging for every NTE Safe process: one timestamped line per record on stderr.

``python main.py serve --workers N`` runs each uvicorn worker as a fresh *spawned* process: what
the parent set up with ``logging.basicConfig`` does not exist there, so without this the workers
had no handler at all, their INFO lines (the private access log among them) vanished, and their
warnings reached stderr through Python's last-resort handler, without a timestamp. Uvicorn applies
its ``log_config`` in every worker it starts, so the one configuration is this dictConfig dict,
given to uvicorn and applied by the other commands themselves.

Uvicorn's own access log is off, always: its lines carry the client's address and the query
string. ``nte.access`` (``nte.web.middleware.PrivateAccessLog``) writes the access log instead:
method, route template, status and duration, never anything about the person asking.
"""

from __future__ import annotations

import logging.config
from typing import Any

#: Time, level, process id (which worker), logger, message.
FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """A fresh ``logging.config.dictConfig`` dict (uvicorn may write into the one it is given)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        # Uvicorn sets ``use_colors`` on the formatters named "default" and "access" when colours
        # are asked for; both exist, and both are plain (no colour codes in a log file).
        "formatters": {"default": {"format": FORMAT}, "access": {"format": FORMAT}},
        "handlers": {
            "default": {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"}
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            # Uvicorn's start-up, shutdown and error lines: through the root handler, timestamped.
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            # Client address and query string in every line: never written.
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "alembic": {"level": "WARNING"},  # the start-up schema check is not news
        },
    }


def configure_logging(level: str = "INFO") -> None:
    """Apply :func:`logging_config` in this process (the CLI commands, the scheduler, the server's
    parent process; uvicorn applies it in each worker)."""
    logging.config.dictConfig(logging_config(level))
