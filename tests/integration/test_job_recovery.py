"""Async jobs outlive nothing worse than their own server: pending jobs of a dead server end as failed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import update

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
