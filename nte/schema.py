"""Programmatic Alembic: upgrade, downgrade and the "at head?" start-up check.

Each domain's migrations are an Alembic branch (``branch_labels=("venues",)`` ...) on top of the
foundation revision, so the schema is "at head" when every branch head is applied."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from nte.config import PROJECT_ROOT
from nte.spatial.migrations import migration_connection


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    with migration_connection(engine) as conn:
        command.upgrade(alembic_config(conn), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    with migration_connection(engine) as conn:
        command.downgrade(alembic_config(conn), revision)


def head_revision() -> str:
    """Every branch head, sorted and comma-joined - as Alembic records them: a head that another
    head depends on (``depends_on``, e.g. safespaces 0003 -> venues 0002) is implied by it and is
    not stored in ``alembic_version``, so it is left out here too."""
    script = ScriptDirectory.from_config(alembic_config())
    heads = set(script.get_heads())
    implied: set[str] = set()
    stack = list(heads)
    while stack:
        revision = script.get_revision(stack.pop())
        if revision is None:
            continue
        for parent in (*_as_tuple(revision.down_revision), *_as_tuple(revision.dependencies)):
            if parent not in implied:
                implied.add(parent)
                stack.append(parent)
    return ",".join(sorted(heads - implied))


def _as_tuple(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def current_revision(conn: Connection) -> str | None:
    heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(heads)) if heads else None
