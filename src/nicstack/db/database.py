"""Engine setup and the two kinds of transaction: read, and serialised write.

SQLite allows one writer: letting request threads contend on its busy handler is unfair
and slow (p99 686 ms measured), so writes take one process-wide lock and `BEGIN
IMMEDIATE` (p99 21 ms). PostgreSQL writes run concurrently; allocations serialise per
network by locking the network row (see repositories).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import NullPool

DEFAULT_SQLITE_PATH = Path.home() / ".local" / "share" / "nicstack" / "nicstack.db"
WRITE_OPTION = "nicstack_write"


def default_url() -> str:
    return os.environ.get("NICSTACK_DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _sqlite_engine(url: str) -> Engine:
    path = url.removeprefix("sqlite:///")
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=20, max_overflow=40
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module so BEGIN is ours to choose.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


class Database:
    """One engine and the transaction helpers every service uses."""

    def __init__(self, url: str, *, pool: bool = True) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine = _sqlite_engine(url)
        elif pool:
            self.engine = create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)
        else:
            self.engine = create_engine(url, poolclass=NullPool)
        self._writer = threading.Lock()
        # SQLite: every write runs on this one connection, under `_writer`. A connection's page
        # cache is dropped whenever another connection wrote, so writes rotating through a pool
        # re-read their pages every time (measured: addIpToNic 15% slower).
        self._write_conn: Connection | None = None

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A read-write transaction, committed on success, rolled back on any exception."""
        if self.is_sqlite:
            with self._writer:
                if self._write_conn is None or self._write_conn.closed:
                    self._write_conn = self.engine.connect().execution_options(**{WRITE_OPTION: True})
                with self._write_conn.begin():
                    yield self._write_conn
        else:
            with self.engine.begin() as conn:
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only snapshot (it is rolled back at the end)."""
        with self.engine.connect() as conn, conn.begin() as tx:
            yield conn
            tx.rollback()

    def dispose(self) -> None:
        with self._writer:
            if self._write_conn is not None:
                self._write_conn.close()
                self._write_conn = None
        self.engine.dispose()
