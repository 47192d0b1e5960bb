"""Where the store lives, how to connect, and bringing its schema up to date (Alembic).

`LOANBOOK_DATABASE_URL` names any database SQLAlchemy reaches (`postgresql+psycopg://user@host/db`);
else `LOANBOOK_DB` names a SQLite file; else the store is `loanbook.db` in the user's data folder.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # SQLAlchemy and Alembic load with the store, not with every command
    from alembic.config import Config
    from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def default_url() -> str:
    if os.environ.get("LOANBOOK_DATABASE_URL"):
        return os.environ["LOANBOOK_DATABASE_URL"]
    if os.environ.get("LOANBOOK_DB"):
        path = Path(os.environ["LOANBOOK_DB"])
    else:
        from platformdirs import user_data_dir  # imported here: a command on a folder never asks where the store is

        path = Path(user_data_dir("loanbook")) / "loanbook.db"
    return f"sqlite:///{path.expanduser().resolve()}"


def safe_url(url: str) -> str:
    """The URL as it may be shown: without its password."""
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)


def connect(url: str) -> Engine:
    """An engine for the store. SQLite: WAL (readers never wait for the writer), foreign keys on, a writer
    waits up to 30 s for another; a writing transaction takes the write lock when it begins."""
    from sqlalchemy import create_engine, event

    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_settings(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # transactions begin where `_begin` says
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection):
            writing = connection.get_execution_options().get("writing", False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (the newest by default); a store already there is left as it is."""
    from alembic import command

    config = _config()
    with engine.connect() as connection:
        connection.execution_options(writing=True)  # SQLite: the write lock from the start (BEGIN IMMEDIATE)
        with connection.begin():
            if engine.dialect.name == "postgresql":  # two processes opening a new store: one migrates, one waits
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7355608)")
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
