"""Async jobs outlive nothing worse than their own server: pending jobs of a dead server end as failed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from nicstack.api import runtime as runtime_module
from nicstack.api.runtime import Runtime
from nicstack.db import tables as t
from nicstack.db.database import Database
from nicstack.db.repos import accounts, jobs
from nicstack.db.rows import now
from nicstack.domain.access import Caller
from nicstack.domain.kinds import JobStatus
from nicstack.server import prepare

pytestmark = pytest.mark.integration

ME = "mgmt-1:8080"


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    prepared = prepare(database_url)
    yield prepared.db
    prepared.db.dispose()


def admin(db: Database) -> Caller:
    with db.read() as conn:
        [user] = accounts.users_by(conn, username="admin")
    return accounts.caller_of(user)


def pending_job(db: Database, server: str) -> str:
    with db.write() as conn:
        jobs.heartbeat(conn, server)
        return jobs.create(conn, admin(db), "addIpToNic", {"result": {}}, server)[1]


def job(db: Database, uuid: str) -> jobs.Job:
    with db.read() as conn:
        found = jobs.by_uuid(conn, uuid)
    assert found is not None
    return found


def age_heartbeat(db: Database, server: str, by: timedelta) -> None:
    with db.write() as conn:
        conn.execute(update(t.servers).where(t.servers.c.name == server).values(last_seen=now() - by))


def test_a_job_left_pending_by_this_servers_previous_life_fails_on_start(db: Database) -> None:
    uuid = pending_job(db, ME)
    runtime = Runtime(db, ME)
    runtime.start()
    try:
        found = job(db, uuid)
    finally:
        runtime.stop()
    assert found.status is JobStatus.FAILED and found.result_code == 530
    assert found.result is not None and found.result["errorcode"] == 530
    assert "stopped before the job finished" in found.result["errortext"]
    assert found.completed is not None


def test_a_dead_servers_jobs_fail_and_a_live_servers_jobs_stay_pending(db: Database) -> None:
    dead, alive = pending_job(db, "mgmt-2:8080"), pending_job(db, "mgmt-3:8080")
    age_heartbeat(db, "mgmt-2:8080", timedelta(minutes=5))
    runtime = Runtime(db, ME)
    runtime.start()
    try:
        assert job(db, dead).status is JobStatus.FAILED
        assert job(db, alive).status is JobStatus.PENDING
    finally:
        runtime.stop()


NO_SUCH_JOB = 10**9
BUSY_FOR = 1.6  # seconds: the heartbeat is stored to the second, so it must move by one


def last_seen(db: Database, server: str) -> datetime:
    with db.read() as conn:
        seen: datetime = conn.execute(select(t.servers.c.last_seen).where(t.servers.c.name == server)).scalar_one()
    return seen


def test_a_worker_thread_that_is_never_idle_still_writes_its_heartbeat(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Were the heartbeat written only when the queue runs dry, other servers would take a busy
    # server for dead and fail its jobs.
    monkeypatch.setattr(runtime_module, "HEARTBEAT", timedelta(seconds=0.2))
    runtime = Runtime(db, ME)
    runtime.start()
    try:
        before = last_seen(db, ME)
        end = time.monotonic() + BUSY_FOR
        while time.monotonic() < end:
            runtime.enqueue([NO_SUCH_JOB])
            time.sleep(0.001)
        assert last_seen(db, ME) > before
    finally:
        runtime.stop()


def test_an_inline_worker_that_is_never_idle_still_writes_its_heartbeat(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime_module, "HEARTBEAT", timedelta(seconds=0.2))
    runtime = Runtime(db, ME, inline=True)
    runtime.start()

    async def busy() -> tuple[datetime, datetime]:
        worker = asyncio.create_task(runtime.work_on_loop())
        before = last_seen(db, ME)
        end = time.monotonic() + BUSY_FOR
        while time.monotonic() < end:
            runtime.enqueue([NO_SUCH_JOB])
            await asyncio.sleep(0.001)
        worker.cancel()
        return before, last_seen(db, ME)

    before, after = asyncio.run(busy())
    assert after > before


def test_an_inline_worker_runs_the_jobs_handed_to_it(db: Database) -> None:
    with db.write() as conn:
        jobs.heartbeat(conn, ME)
        # removeIpFromNic's job step for an address no VM held: it succeeds without a data-plane change.
        uuid = jobs.create(conn, admin(db), "removeIpFromNic", {"id": "gone"}, ME)[1]
    runtime = Runtime(db, ME, inline=True)
    with db.read() as conn:
        [job_id] = conn.execute(select(t.async_jobs.c.id).where(t.async_jobs.c.uuid == uuid)).scalars()

    async def run_one() -> None:
        worker = asyncio.create_task(runtime.work_on_loop())
        runtime.enqueue([job_id])
        for _ in range(200):
            await asyncio.sleep(0.01)
            if job(db, uuid).status is not JobStatus.PENDING:
                break
        worker.cancel()

    asyncio.run(run_one())
    done = job(db, uuid)
    assert done.status is JobStatus.SUCCEEDED, done.result
    assert done.result == {"success": True}
