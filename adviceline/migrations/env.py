"""Alembic environment: the service hands in its connection (see adviceline.storage.engine)."""

from __future__ import annotations

from alembic import context

from adviceline.storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with 'adviceline db upgrade' (it supplies the connection)")

context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
