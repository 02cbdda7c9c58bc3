"""Async jobs outlive nothing worse than their own server: pending jobs of a dead server end as failed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from nicstack.db.uow import SqlUnitOfWork
from nicstack.api import runtime as runtime_module
from nicstack.api.runtime import Runtime
from nicstack.db import tables as t
from nicstack.db.database import Database
from nicstack.db.rows import now
from nicstack.domain.access import Caller
from nicstack.domain.kinds import JobStatus
from nicstack.server import prepare

pytestmark = pytest.mark.integration

ME = "mgmt-1:8080"


@pytest.fixture
def uow(database_url: str) -> Iterator[Database]:
    prepared = prepare(database_url)
    yield prepared.db
    prepared.db.dispose()


def admin(uow: SqlUnitOfWork) -> Caller:
    with uow.reading():
        [user] = uow.accounts.users_by(username="admin")
    return accounts.caller_of(user)


def pending_job(uow: SqlUnitOfWork, server: str) -> str:
    with uow:
        uow.jobs.heartbeat(server)
        return uow.jobs.create(admin(uow), "addIpToNic", {"result": {}}, server)[1]


def job(uow: SqlUnitOfWork, uuid: str) -> jobs.Job:
    with uow.reading():
        found = uow.jobs.by_uuid(uuid)
    assert found is not None
    return found


def age_heartbeat(uow: SqlUnitOfWork, server: str, by: timedelta) -> None:
    with uow:
        uow.conn.execute(update(t.servers).where(t.servers.c.name == server).values(last_seen=now() - by))


def test_a_job_left_pending_by_this_servers_previous_life_fails_on_start(uow: SqlUnitOfWork) -> None:
    uuid = pending_job(uow, ME)
    runtime = Runtime(uow, ME)
    runtime.start()
    try:
        found = job(uow, uuid)
    finally:
        runtime.stop()
    assert found.status is JobStatus.FAILED and found.result_code == 530
    assert found.result is not None and found.result["errorcode"] == 530
    assert "stopped before the job finished" in found.result["errortext"]
    assert found.completed is not None


def test_a_dead_servers_jobs_fail_and_a_live_servers_jobs_stay_pending(uow: SqlUnitOfWork) -> None:
    dead, alive = pending_job(uow, "mgmt-2:8080"), pending_job(uow, "mgmt-3:8080")
    age_heartbeat(uow, "mgmt-2:8080", timedelta(minutes=5))
    runtime = Runtime(uow, ME)
    runtime.start()
    try:
        assert job(uow, dead).status is JobStatus.FAILED
        assert job(uow, alive).status is JobStatus.PENDING
    finally:
        runtime.stop()


NO_SUCH_JOB = 10**9
BUSY_FOR = 1.6  # seconds: the heartbeat is stored to the second, so it must move by one


def last_seen(uow: SqlUnitOfWork, server: str) -> datetime:
    with uow.reading():
        seen: datetime = uow.conn.execute(select(t.servers.c.last_seen).where(t.servers.c.name == server)).scalar_one()
    return seen


def test_a_worker_thread_that_is_never_idle_still_writes_its_heartbeat(
    uow: SqlUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Were the heartbeat written only when the queue runs dry, other servers would take a busy
    # server for dead and fail its jobs.
    monkeypatch.setattr(runtime_module, "HEARTBEAT", timedelta(seconds=0.2))
    runtime = Runtime(uow, ME)
    runtime.start()
    try:
        before = last_seen(uow, ME)
        end = time.monotonic() + BUSY_FOR
        while time.monotonic() < end:
            runtime.enqueue([NO_SUCH_JOB])
            time.sleep(0.001)
        assert last_seen(uow, ME) > before
    finally:
        runtime.stop()


def test_an_inline_worker_that_is_never_idle_still_writes_its_heartbeat(
    uow: SqlUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime_module, "HEARTBEAT", timedelta(seconds=0.2))
    runtime = Runtime(uow, ME, inline=True)
    runtime.start()

    async def busy() -> tuple[datetime, datetime]:
        worker = asyncio.create_task(runtime.work_on_loop())
        before = last_seen(uow, ME)
        end = time.monotonic() + BUSY_FOR
        while time.monotonic() < end:
            runtime.enqueue([NO_SUCH_JOB])
            await asyncio.sleep(0.001)
        worker.cancel()
        return before, last_seen(uow, ME)

    before, after = asyncio.run(busy())
    assert after > before


def test_an_inline_worker_runs_the_jobs_handed_to_it(uow: SqlUnitOfWork) -> None:
    with uow:
        uow.jobs.heartbeat(ME)
        # removeIpFromNic's job step for an address no VM held: it succeeds without a data-plane change.
        uuid = uow.jobs.create(admin(uow), "removeIpFromNic", {"id": "gone"}, ME)[1]
    runtime = Runtime(uow, ME, inline=True)
    with uow.reading():
        [job_id] = uow.conn.execute(select(t.async_jobs.c.id).where(t.async_jobs.c.uuid == uuid)).scalars()

    async def run_one() -> None:
        worker = asyncio.create_task(runtime.work_on_loop())
        runtime.enqueue([job_id])
        for _ in range(200):
            await asyncio.sleep(0.01)
            if job(uow, uuid).status is not JobStatus.PENDING:
                break
        worker.cancel()

    asyncio.run(run_one())
    done = job(uow, uuid)
    assert done.status is JobStatus.SUCCEEDED, done.result
    assert done.result == {"success": True}
