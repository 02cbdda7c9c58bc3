"""The routers' metadata follows VM changes through a queue in the database: the change queues its VM in its own
transaction, a worker's pass publishes it before the job ends, and a pass of any server takes what another left."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import ip_address

import pytest
from sqlalchemy import func, select

from nicstack.api import commands  # noqa: F401 - registers the commands whose jobs answer here
from nicstack.api.runtime import answer_of
from nicstack.db import tables as t
from nicstack.db.database import Database
from nicstack.db.repos.accounts import caller_of
from nicstack.db.uow import SqlUnitOfWork
from nicstack.demo import DemoWorld, build_demo
from nicstack.domain.kinds import JobStatus
from nicstack.jobs.worker import Worker
from nicstack.server import prepare
from nicstack.services.publication import drift
from nicstack.services.routers import router_config
from nicstack.services.secondary_ips import AddIp, add_ip_to_nic

pytestmark = pytest.mark.integration


@dataclass
class Demo:
    db: Database
    world: DemoWorld


@pytest.fixture
def demo(database_url: str) -> Iterator[Demo]:
    prepared = prepare(database_url)
    world = build_demo(SqlUnitOfWork(prepared.db))
    drain(Worker(prepared.db, "setup", answer_of))
    yield Demo(prepared.db, world)
    prepared.db.dispose()


def drain(worker: Worker) -> None:
    while worker.run_due():
        pass


def queued(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(t.metadata_queue)).scalar_one())


def add_address(demo: Demo, address: str) -> str:
    """addIpToNic as the demo user, committed with its job and its queued VM; returns the job's uuid."""
    uow = SqlUnitOfWork(demo.db, "gone-server")
    with uow.reading():
        user = uow.accounts.user_by_api_key(demo.world.api_key)
    assert user is not None
    return add_ip_to_nic(uow, caller_of(user), AddIp(demo.world.nic_uuid, ip_address(address))).job


def served(demo: Demo) -> tuple[int, list[str]]:
    """The demo network's router: its generation, and the addresses its metadata lists for the demo VM."""
    uow = SqlUnitOfWork(demo.db)
    config = router_config(uow, demo.world.network_uuid, None)
    [vm] = [vm for vm in json.loads(config.metadata)["vms"] if vm["uuid"] == demo.world.vm_uuid]
    return config.generation, [a for nic in vm["nics"] for a in nic["ipv4"]]


def test_a_change_queues_its_vm_and_the_job_ends_with_the_metadata_published(demo: Demo) -> None:
    before, listed = served(demo)
    assert queued(demo.db) == 0 and "10.1.1.77" not in listed
    job = add_address(demo, "10.1.1.77")
    # Committed with the change: the VM waits in the queue, the router's metadata is not rewritten yet.
    assert queued(demo.db) == 1 and served(demo) == (before, listed)
    drain(Worker(demo.db, "other-server", answer_of))
    uow = SqlUnitOfWork(demo.db)
    with uow.reading():
        ended = uow.jobs.by_uuid(job)
    assert ended is not None and ended.status is JobStatus.SUCCEEDED
    generation, listed = served(demo)
    assert queued(demo.db) == 0 and generation == before + 1 and "10.1.1.77" in listed
    assert drift(SqlUnitOfWork(demo.db)) == []


def test_one_pass_publishes_many_changes_of_a_vm_as_one_generation(demo: Demo) -> None:
    before, _ = served(demo)
    for last in (81, 82, 83):
        add_address(demo, f"10.1.1.{last}")
    assert queued(demo.db) == 3
    drain(Worker(demo.db, "other-server", answer_of))
    generation, listed = served(demo)
    assert generation == before + 1, "three queued changes of one VM, one pass: one new generation"
    assert {"10.1.1.81", "10.1.1.82", "10.1.1.83"} <= set(listed)
    assert queued(demo.db) == 0 and drift(SqlUnitOfWork(demo.db)) == []
