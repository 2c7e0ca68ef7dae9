"""Alembic environment: runs on the caller's connection, never on a URL of its own."""

from alembic import context

from sp_desktop.server.db import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
