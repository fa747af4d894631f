"""Alembic environment of the hub: migrations run on a connection the hub hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from hub.models import Base

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        url = context.get_x_argument(as_dictionary=True).get("db", "sqlite:///hub-dev.sqlite3")
        with create_engine(url).begin() as conn:
            _configure_and_run(conn)
        return
    _configure_and_run(connection)


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        version_table="hub_alembic_version",
    )
    with context.begin_transaction():
        context.run_migrations()


run()
