"""Opening the store: SQLAlchemy engines, sessions and the alembic migrations.

SQLite files get WAL and a busy timeout (so readers never block the writer and
concurrent writers wait instead of failing); PostgreSQL goes through psycopg 3.
`upgrade_database` runs alembic's ``upgrade head`` on a connection, so an existing
database of an older schema is brought up to date when the service starts. `storage_error`
says what a database's refusal means, the same for both databases: a unique index that
clashed is a `ConflictError` naming it, a value the database cannot hold (PostgreSQL refuses
NUL in text) an `InputError`, a database out of reach a `ResourceError`.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from jiaokan.errors import ConfigError, ConflictError, InputError, JiaokanError, ResourceError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.exc import DBAPIError
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


#: SQLite's and PostgreSQL's words for a unique index that clashed: the table and its columns
SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<columns>[\w.,\s]+)")
POSTGRES_UNIQUE_VIOLATION = "23505"
POSTGRES_KEY = re.compile(r"Key \((?P<columns>[^)]*)\)")


def storage_error(error: "DBAPIError") -> JiaokanError | None:
    """The jiaokan error a database's refusal stands for (None: a fault of ours, not of the input)."""
    from sqlalchemy.exc import DataError, IntegrityError, OperationalError

    if isinstance(error, IntegrityError):
        return ConflictError(clash_description(error.orig))
    if isinstance(error, DataError):
        reason = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else type(error.orig).__name__
        return InputError(f"the database cannot store a value of this request: {reason}")
    if isinstance(error, OperationalError):
        return ResourceError("the database is out of reach or busy; try again")
    return None


def clash_description(database_error: BaseException) -> str:
    """What clashed, in words: ``a term with this term already exists`` (never the value itself)."""
    diagnostics = getattr(database_error, "diag", None)
    if diagnostics is not None:  # PostgreSQL
        if getattr(database_error, "sqlstate", None) != POSTGRES_UNIQUE_VIOLATION:
            return "the change clashes with stored data (it refers to something changed meanwhile)"
        match = POSTGRES_KEY.search(diagnostics.message_detail or "")
        columns = [column.strip() for column in match["columns"].split(",")] if match else [diagnostics.constraint_name or "key"]
        table = diagnostics.table_name or "row"
    else:
        match = SQLITE_UNIQUE.search(str(database_error))
        if match is None:
            return "the change clashes with stored data (it refers to something changed meanwhile)"
        qualified = [column.strip() for column in match["columns"].split(",")]
        table = qualified[0].partition(".")[0]
        columns = [column.rpartition(".")[2] for column in qualified]
    return f"a {table} with this {' and '.join(columns)} already exists"
