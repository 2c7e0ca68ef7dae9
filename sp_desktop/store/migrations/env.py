"""Alembic environment: always runs on the caller's already-keyed connection, never a URL."""

from alembic import context

from sp_desktop.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
