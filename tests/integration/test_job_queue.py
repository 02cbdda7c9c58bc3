"""The job table is the queue: any server runs any job, a dead server's jobs are finished by the others,
a step that keeps failing ends failed after bounded retries, and no job runs to completion twice."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from nicstack.api import commands  # noqa: F401 - registers every command, so jobs answer as the API does
from nicstack.api.runtime import Runtime, answer_of
from nicstack.db import tables as t
from nicstack.db.database import Database
from nicstack.db.repos.accounts import caller_of
from nicstack.db.repos.jobs import Job
from nicstack.db.rows import now
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.kinds import JobStatus
from nicstack.jobs.worker import QueueSettings, Worker
from nicstack.server import prepare

pytestmark = pytest.mark.integration

QUICK = QueueSettings(lease=timedelta(seconds=30), poll=0.05, backoff=0.01, backoff_cap=0.02, max_attempts=3,
                      gather=0.0)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    prepared = prepare(database_url)
    yield prepared.db
    prepared.db.dispose()


def admin(db: Database) -> Caller:
    uow = SqlUnitOfWork(db)
    with uow.reading():
        [user] = uow.accounts.users_by(username="admin")
    return caller_of(user)


def new_job(db: Database, server: str, command: str = "restartNetwork") -> str:
    """A job as a command's transaction writes it: the answer is success, the outbox is empty."""
    uow = SqlUnitOfWork(db, server)
    with uow:
        return uow.start_job(admin(db), command)


def job(db: Database, uuid: str) -> Job:
    uow = SqlUnitOfWork(db)
    with uow.reading():
        found = uow.jobs.by_uuid(uuid)
    assert found is not None
    return found


def row(db: Database, uuid: str) -> dict[str, object]:
    with db.read() as conn:
        found = conn.execute(select(t.async_jobs).where(t.async_jobs.c.uuid == uuid)).one()
    return dict(found._mapping)


def claim_as_dead_server(db: Database, uuid: str, server: str, lease_left: timedelta) -> None:
    """What a server that claimed the job and was then killed leaves behind."""
    with db.write() as conn:
        conn.execute(update(t.async_jobs).where(t.async_jobs.c.uuid == uuid)
                     .values(claimed_by=server, lease_until=now() + lease_left, attempts=1))


def worker(db: Database, name: str) -> Worker:
    return Worker(db, name, answer_of, QUICK)


def run_when_due(runner: Worker, timeout: float = 5.0) -> None:
    """Run the next claim that finds a job (a retried job is due only after its backoff)."""
    deadline = time.monotonic() + timeout
    while runner.run_due() == 0:
        assert time.monotonic() < deadline, "no job became due"
        time.sleep(0.005)


def test_a_job_any_server_made_is_run_by_whichever_server_claims_it(db: Database) -> None:
    uuid = new_job(db, "mgmt-1:8080")
    assert worker(db, "mgmt-2:8080").run_due() == 1
    done = job(db, uuid)
    assert done.status is JobStatus.SUCCEEDED and done.result == {"success": True}
    assert row(db, uuid)["claimed_by"] == "mgmt-2:8080" and row(db, uuid)["created_by"] == "mgmt-1:8080"


def test_a_dead_servers_job_waits_for_its_lease_then_another_server_finishes_it(db: Database) -> None:
    uuid = new_job(db, "mgmt-1:8080")
    claim_as_dead_server(db, uuid, "mgmt-1:8080", timedelta(minutes=5))
    assert worker(db, "mgmt-2:8080").run_due() == 0
    assert job(db, uuid).status is JobStatus.PENDING
    claim_as_dead_server(db, uuid, "mgmt-1:8080", -timedelta(seconds=1))
    assert worker(db, "mgmt-2:8080").run_due() == 1
    done = row(db, uuid)
    assert done["status"] == JobStatus.SUCCEEDED and done["claimed_by"] == "mgmt-2:8080" and done["attempts"] == 2


def test_a_server_whose_lease_was_taken_over_cannot_finish_the_job_again(db: Database) -> None:
    uuid = new_job(db, "mgmt-1:8080")
    uow = SqlUnitOfWork(db)
    with uow:
        [stale] = uow.jobs.claim("mgmt-1:8080", now() - timedelta(seconds=1), 10)
    assert worker(db, "mgmt-2:8080").run_due() == 1
    with uow:
        assert uow.jobs.finish(stale.id, "mgmt-1:8080", JobStatus.FAILED, 530, {"errortext": "late"}) is False
    assert job(db, uuid).status is JobStatus.SUCCEEDED


def test_a_step_that_keeps_failing_is_retried_with_backoff_then_fails_saying_so(db: Database) -> None:
    uuid = new_job(db, "mgmt-1:8080")
    with db.write() as conn:  # a payload no server can read: every attempt fails the same way
        conn.execute(update(t.async_jobs).where(t.async_jobs.c.uuid == uuid).values(params="{not json"))
    runner = worker(db, "mgmt-1:8080")
    for attempt in range(1, QUICK.max_attempts + 1):
        found = row(db, uuid)
        assert found["status"] == JobStatus.PENDING and found["attempts"] == attempt - 1
        run_when_due(runner)
    done = job(db, uuid)
    assert done.status is JobStatus.FAILED and done.result_code == 530 and done.result is not None
    assert done.result["cserrorcode"] == 4250
    text = done.result["errortext"]
    assert f"failed {QUICK.max_attempts} times" in text and "server log" in text
    assert "json" not in text.lower() and "Traceback" not in text


def test_servers_claiming_at_once_run_each_job_exactly_once(db: Database) -> None:
    uuids = [new_job(db, "mgmt-1:8080") for _ in range(60)]
    runners = [worker(db, f"mgmt-{i}:8080") for i in range(3)]
    ran: list[int] = []

    def drain(runner: Worker) -> None:
        total = 0
        while (claimed := runner.run_due()) > 0:
            total += claimed
        ran.append(total)

    threads = [threading.Thread(target=drain, args=(r,)) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(ran) == len(uuids)
    assert all(job(db, u).status is JobStatus.SUCCEEDED for u in uuids)
    attempts = {row(db, u)["attempts"] for u in uuids}
    assert attempts == {1}, "a job was claimed twice"


def test_the_inline_worker_runs_a_committed_job_when_woken(db: Database) -> None:
    runtime = Runtime(db, "mgmt-1:8080", inline=True, queue=QUICK)

    async def run_one() -> Job:
        task = asyncio.create_task(runtime.worker.run_on_loop())
        uow = runtime.unit_of_work()
        with uow:
            uuid = uow.start_job(admin(db), "restartNetwork")
        for _ in range(500):
            await asyncio.sleep(0.01)
            if job(db, uuid).status is not JobStatus.PENDING:
                break
        task.cancel()
        return job(db, uuid)

    done = asyncio.run(run_one())
    assert done.status is JobStatus.SUCCEEDED, done.result
