"""Reading a router's or a host's documents writes nothing: the database itself refuses every write here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, select

from nicstack.api import commands  # noqa: F401 - registers the commands whose jobs answer here
from nicstack.api.runtime import answer_of
from nicstack.db import tables as t
from nicstack.db.database import Database
from nicstack.db.uow import SqlUnitOfWork
from nicstack.demo import build_demo
from nicstack.jobs.worker import Worker
from nicstack.server import prepare
from nicstack.services.host_publish import get_host_config
from nicstack.services.publication import drift
from nicstack.services.routers import router_config

pytestmark = pytest.mark.integration


def read_only(url: str) -> Database:
    """A database handle on which every transaction is read-only, enforced by the database."""
    db = Database(url)

    @event.listens_for(db.engine, "connect")
    def _refuse_writes(dbapi: Any, _record: Any) -> None:
        cursor = dbapi.cursor()
        if db.is_sqlite:
            cursor.execute("PRAGMA query_only = ON")
        else:
            cursor.execute("SET default_transaction_read_only = on")
            dbapi.commit()
        cursor.close()

    return db


@pytest.fixture
def published(database_url: str) -> Iterator[str]:
    """The demo world (isolated network, VPC, security-group hosts), its jobs run: every target published."""
    prepared = prepare(database_url)
    build_demo(SqlUnitOfWork(prepared.db))
    worker = Worker(prepared.db, "test", answer_of)
    while worker.run_due():
        pass
    prepared.db.dispose()
    yield database_url


def test_the_read_only_handle_does_refuse_a_write(published: str) -> None:
    db = read_only(published)
    try:
        uow = SqlUnitOfWork(db)
        with pytest.raises(Exception, match=r"(?i)read.only|readonly"), uow:
            uow.conn.execute(t.configuration.update().values(value="1"))
    finally:
        db.dispose()


def test_router_and_host_configurations_are_read_without_writing(published: str) -> None:
    db = read_only(published)
    try:
        uow = SqlUnitOfWork(db)
        with uow.reading():
            networks = uow.conn.execute(select(t.networks.c.uuid).where(
                t.networks.c.guest_type == "Isolated", t.networks.c.vpc_id.is_(None))).scalars().all()
            vpcs = uow.conn.execute(select(t.vpcs.c.uuid)).scalars().all()
            hosts = uow.conn.execute(select(t.hosts.c.uuid).where(t.hosts.c.hypervisor != "VMware")).scalars().all()
        assert networks and vpcs and hosts
        for uuid in networks:
            config = router_config(uow, uuid, None)
            assert config.generation >= 1 and "*nat" in config.iptables
        for uuid in vpcs:
            assert router_config(uow, None, uuid).generation >= 1
        generations = []
        for uuid in hosts:
            whole = get_host_config(uow, uuid, None)
            assert whole.documents is not None
            if whole.generation:  # a host with no VM in a security-group network was never published
                assert get_host_config(uow, uuid, whole.generation).changes is not None
            generations.append(whole.generation)
        assert max(generations) >= 1
        # Every change of the demo's build emitted what it touched: nothing is left unpublished.
        assert drift(uow) == []
    finally:
        db.dispose()
