"""Alembic environment: runs on the connection `jiaokan.store.database` hands over."""
from __future__ import annotations

from alembic import context

from jiaokan.store.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through jiaokan.store.database.upgrade_database")

# batch mode lets ALTER TABLE work on SQLite (copy-and-move), and is a no-op elsewhere
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
