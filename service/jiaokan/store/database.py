"""Opening the store: SQLAlchemy engines, sessions and the alembic migrations.

SQLite files get WAL and a busy timeout (so readers never block the writer and
concurrent writers wait instead of failing); PostgreSQL goes through psycopg 3.
`upgrade_database` runs alembic's ``upgrade head`` on a connection, so an existing
database of an older schema is brought up to date when the service starts.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from jiaokan.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")
#: seconds a SQLite writer waits for the lock before giving up
SQLITE_BUSY_TIMEOUT = 30


def create_database_engine(url: str) -> "Engine":
    """An engine for ``url``; SQLite connections are put in WAL mode as they open."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT, "check_same_thread": False})
            event.listen(engine, "connect", _configure_sqlite)
            event.listen(engine, "begin", _begin_sqlite)
            return engine
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    except (ArgumentError, NoSuchModuleError) as error:
        raise ConfigError(f"cannot use database URL: {error}") from error


def _configure_sqlite(dbapi_connection, _record) -> None:
    # let SQLAlchemy issue BEGIN itself (see _begin_sqlite) instead of pysqlite's own guesswork
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_sqlite(connection) -> None:
    # IMMEDIATE takes the write lock up front: two read-then-write transactions cannot deadlock
    immediate = connection.get_execution_options().get("jiaokan_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_session_factory(engine: "Engine") -> "sessionmaker":
    """Sessions that keep loaded objects usable after commit (the API serialises them afterwards)."""
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(connection=None):
    """An alembic config pointing at the package's migrations (no alembic.ini needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade_database(engine: "Engine", revision: str = "head") -> None:
    """Bring the schema to ``revision`` (alembic upgrade)."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def current_revision(engine: "Engine") -> str | None:
    """The alembic revision the database is at (None: not versioned yet)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def open_store(url: str, *, migrate: bool = True) -> tuple["Engine", "sessionmaker"]:
    """Engine and session factory for ``url``, migrated to the newest schema first."""
    engine = create_database_engine(url)
    if migrate:
        upgrade_database(engine)
    return engine, create_session_factory(engine)
