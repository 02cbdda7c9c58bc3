"""Alembic environment: migrates the database named in the config, else by NICSTACK_DATABASE_URL."""

from logging.config import fileConfig
from pathlib import Path
from typing import Any

from alembic import context
from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.pool import NullPool

from nicstack.db.database import default_url
from nicstack.db.tables import metadata

config = context.config


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or default_url()


def _engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, poolclass=NullPool)
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, poolclass=NullPool)

    # pysqlite commits before DDL on its own; taking BEGIN over makes the whole upgrade
    # one transaction, so a failed data fill leaves the previous revision intact.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=metadata,
        compare_type=True,
        render_as_batch=_url().startswith("sqlite"),
        transactional_ddl=True,
        **kwargs,
    )


def run_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = _engine(_url())
    try:
        with engine.connect() as connection:
            _configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


# Only the command line brings an ini file; programmatic callers keep their own logging.
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

if context.is_offline_mode():
    run_offline()
else:
    run_online()
