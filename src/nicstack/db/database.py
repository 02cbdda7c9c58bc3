"""Engine setup and the two kinds of transaction: read, and serialised write.

SQLite allows one writer: letting request threads contend on its busy handler is unfair
and slow (p99 686 ms measured), so writes take one process-wide lock and `BEGIN
IMMEDIATE` (p99 21 ms) on one connection. The inline server (all work on the event loop's
thread) goes further and commits each turn of the loop's writes together (group commit).
PostgreSQL writes run concurrently; allocations serialise per network by locking the
network row (see repositories).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, RootTransaction, create_engine, event
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
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


@dataclass
class _Group:
    """The transaction that one turn of the event loop's writes share (group commit)."""

    tx: RootTransaction
    done: asyncio.Future[None]


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
        # Group commit (SQLite, inline server): the loop's thread and its loop.
        self._owner: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._group: _Group | None = None

    def _writer_connection(self) -> Connection:
        if self._write_conn is None or self._write_conn.closed:
            self._write_conn = self.engine.connect().execution_options(**{WRITE_OPTION: True})
        return self._write_conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A read-write transaction, committed on success, rolled back on any exception.

        With group commit on, a write made on the loop's thread is a savepoint of the turn's
        shared transaction instead: rolled back alone on an exception, committed with the
        rest of the turn; callers answer only once `durable()` returned.
        """
        if self._owner is not None and self._owner == threading.get_ident():
            yield from self._savepoint(self._joined())
        elif self.is_sqlite:
            with self._writer:
                conn = self._writer_connection()
                with conn.begin():
                    yield conn
        else:
            with self.engine.begin() as conn:
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only snapshot (it is rolled back at the end); with group commit on, the
        loop's thread reads its own turn's writes, not yet committed."""
        if self._group is not None and self._owner == threading.get_ident():
            yield self._group.tx.connection
            return
        with self.engine.connect() as conn, conn.begin() as tx:
            yield conn
            tx.rollback()

    def commit_in_groups(self, loop: asyncio.AbstractEventLoop) -> None:
        """SQLite only: from now on, the writes made on `loop`'s thread (the calling one)
        during one turn of the loop share one transaction, committed once at the end of the
        turn. A commit writes every page the transaction touched to the WAL: with many
        writers touching the same pages, one commit per turn costs a fraction of one each."""
        assert self.is_sqlite, "group commit is for SQLite's single writer"
        self._owner, self._loop = threading.get_ident(), loop

    def stop_grouping(self) -> None:
        """Commit what the current turn wrote and go back to one transaction per write."""
        self._flush()
        self._owner = self._loop = None

    async def durable(self) -> None:
        """Return once the writes this thread made so far are committed; raise if that failed."""
        group = self._group
        if group is not None:
            await asyncio.shield(group.done)

    @staticmethod
    def _savepoint(conn: Connection) -> Iterator[Connection]:
        # On the driver directly: SQLAlchemy's nested transaction costs more than the commit
        # a savepoint saves. SQLAlchemy never sees it, and needs not: it is released or
        # rolled back before the write returns.
        driver = conn.connection.driver_connection
        assert driver is not None
        driver.execute("SAVEPOINT nicstack_write")
        try:
            yield conn
        except BaseException:
            driver.execute("ROLLBACK TO nicstack_write")
            driver.execute("RELEASE nicstack_write")
            raise
        driver.execute("RELEASE nicstack_write")

    def _joined(self) -> Connection:
        if self._group is None:
            assert self._loop is not None
            self._writer.acquire()  # held until the turn's commit: other threads wait for it
            try:
                tx = self._writer_connection().begin()
            except BaseException:
                self._writer.release()
                raise
            self._group = _Group(tx, self._loop.create_future())
            # Runs after every callback ready now: the requests read in this turn join first.
            self._loop.call_soon(self._flush)
        return self._group.tx.connection

    def _flush(self) -> None:
        group, self._group = self._group, None
        if group is None:
            return
        try:
            group.tx.commit()
        except Exception as exc:
            with contextlib.suppress(Exception):
                group.tx.rollback()
            group.done.set_exception(exc)
            group.done.exception()  # retrieved here: nobody may be waiting for it
        else:
            group.done.set_result(None)
        finally:
            self._writer.release()

    def dispose(self) -> None:
        with self._writer:
            if self._write_conn is not None:
                self._write_conn.close()
                self._write_conn = None
        self.engine.dispose()
