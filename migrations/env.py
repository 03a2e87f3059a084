"""Alembic environment: the URL comes from the caller or MAPSERVER_DATABASE_URL."""

from alembic import context
from geoalchemy2 import alembic_helpers

from mapserver.settings import Settings
from mapserver.store.db import make_engine
from mapserver.store.models import Base

config = context.config


def run_migrations_online() -> None:
    url = config.attributes.get("url") or Settings.load().database_url
    if not url:
        raise SystemExit("set MAPSERVER_DATABASE_URL")
    engine = make_engine(url, pool_size=1)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            include_object=alembic_helpers.include_object,
            process_revision_directives=alembic_helpers.writer,
            render_item=alembic_helpers.render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
