"""Alembic environment: the same migrations for PostGIS and SpatiaLite.

The URL comes from ``-x url=...``, else from NTE settings. Tests pass an open connection in
``config.attributes["connection"]``.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from geoalchemy2 import alembic_helpers

from nte.config import get_settings
from nte.models import metadata
from nte.spatial.engine import create_spatial_engine
from nte.spatial.migrations import include_object, migration_connection

config = context.config
if config.config_file_name is not None and not config.attributes.get("connection"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        compare_type=True,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    settings = get_settings()
    url = context.get_x_argument(as_dictionary=True).get("url") or settings.database_url
    engine = create_spatial_engine(url, spatialite_library=settings.spatialite_library)
    with migration_connection(engine) as conn:  # on SQLite: foreign keys off while tables are copied
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
