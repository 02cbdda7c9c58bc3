"""Group commit (SQLite, inline server): one transaction per loop turn, a savepoint per write."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator, MutableMapping
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from nicstack.api.app import create_app
from nicstack.api.runtime import Runtime
from nicstack.api.signature import sign
from nicstack.db import tables as t
from nicstack.db.database import Database
from nicstack.db.migrate import upgrade
from nicstack.server import prepare

pytestmark = pytest.mark.integration

z = t.zones
WHEN = datetime(2026, 11, 27)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path}/group.db"
    upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


def add_zone(db: Database, name: str) -> None:
    with db.write() as conn:
        conn.execute(z.insert().values(uuid=f"uuid-{name}", name=name, network_type="Basic",
                                       security_groups_enabled=False, allocation_state="Enabled",
                                       created=WHEN))


def names_seen_elsewhere(db: Database) -> set[str]:
    """What another thread (another connection) sees: only committed rows."""
    found: set[str] = set()

    def look() -> None:
        with db.read() as conn:
            found.update(conn.execute(select(z.c.name)).scalars())

    thread = threading.Thread(target=look)
    thread.start()
    thread.join()
    return found


def test_writes_of_one_turn_commit_together_and_only_then_show_elsewhere(db: Database) -> None:
    async def turn() -> tuple[set[str], set[str], set[str]]:
        db.commit_in_groups(asyncio.get_running_loop())
        add_zone(db, "a")
        add_zone(db, "b")
        with db.read() as conn:  # the loop's thread reads its own turn's writes
            own = set(conn.execute(select(z.c.name)).scalars())
        # Another thread would block on the writer lock until the commit: peek without it.
        with db.engine.connect() as other:
            before = set(other.execute(select(z.c.name)).scalars())
        await db.durable()
        after = names_seen_elsewhere(db)
        db.stop_grouping()
        return own, before, after

    own, before, after = asyncio.run(turn())
    assert own == {"a", "b"}
    assert before == set()
    assert after == {"a", "b"}


def test_a_failed_write_rolls_back_alone_and_the_rest_of_the_turn_commits(db: Database) -> None:
    async def turn() -> None:
        db.commit_in_groups(asyncio.get_running_loop())
        add_zone(db, "kept")
        with pytest.raises(ValueError), db.write() as conn:
            conn.execute(z.insert().values(uuid="uuid-gone", name="gone", network_type="Basic",
                                           security_groups_enabled=False, allocation_state="Enabled",
                                           created=WHEN))
            raise ValueError("refused after writing")
        add_zone(db, "also kept")
        await db.durable()
        db.stop_grouping()

    asyncio.run(turn())
    assert names_seen_elsewhere(db) == {"kept", "also kept"}


def test_a_unique_key_refusal_inside_a_turn_spares_the_other_writes(db: Database) -> None:
    async def turn() -> None:
        db.commit_in_groups(asyncio.get_running_loop())
        add_zone(db, "first")
        with pytest.raises(IntegrityError):
            add_zone(db, "first")
        await db.durable()
        db.stop_grouping()

    asyncio.run(turn())
    assert names_seen_elsewhere(db) == {"first"}


def test_each_turn_is_its_own_transaction(db: Database) -> None:
    async def turns() -> list[set[str]]:
        db.commit_in_groups(asyncio.get_running_loop())
        seen = []
        for name in ("one", "two", "three"):
            add_zone(db, name)
            await db.durable()
            seen.append(names_seen_elsewhere(db))
        db.stop_grouping()
        return seen

    assert asyncio.run(turns()) == [{"one"}, {"one", "two"}, {"one", "two", "three"}]


def test_another_threads_write_waits_for_the_turn_and_commits_on_its_own(db: Database) -> None:
    async def turn() -> None:
        db.commit_in_groups(asyncio.get_running_loop())
        add_zone(db, "loop")
        other = threading.Thread(target=add_zone, args=(db, "thread"))
        other.start()
        time.sleep(0.05)  # still this turn: the loop has not had control back
        assert other.is_alive(), "a write from another thread went in while the turn was open"
        await db.durable()
        await asyncio.to_thread(other.join)
        db.stop_grouping()

    asyncio.run(turn())
    assert names_seen_elsewhere(db) == {"loop", "thread"}


def test_without_group_commit_every_write_commits_at_once(db: Database) -> None:
    add_zone(db, "solo")
    assert names_seen_elsewhere(db) == {"solo"}


def test_the_server_answers_only_once_the_commands_writes_are_committed(tmp_path: Path) -> None:
    prepared = prepare(f"sqlite:///{tmp_path}/app.db")
    assert prepared.admin is not None
    runtime = Runtime(prepared.db, "test", inline=True)
    app = create_app(runtime)
    params = {"command": "createDomain", "name": "committed-first", "response": "json",
              "apiKey": prepared.admin.api_key}
    params["signature"] = sign(prepared.admin.secret_key, params)
    seen: dict[str, object] = {}

    async def request() -> None:
        prepared.db.commit_in_groups(asyncio.get_running_loop())

        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: MutableMapping[str, object]) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                # What a client sees the moment the answer starts: a connection of its own.
                with prepared.db.engine.connect() as other:
                    seen["domain"] = other.execute(
                        select(t.domains.c.name).where(t.domains.c.name == "committed-first")
                    ).scalar()

        scope = {"type": "http", "path": "/client/api", "method": "GET", "headers": [],
                 "query_string": urlencode(params).encode()}
        await app(scope, receive, send)
        prepared.db.stop_grouping()

    try:
        asyncio.run(request())
    finally:
        prepared.db.dispose()
    assert seen == {"status": 200, "domain": "committed-first"}
