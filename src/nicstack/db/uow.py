"""The SQL unit of work: one transaction, the repositories bound to it, its job and its outbox.

A use case runs `with uow:` once: everything it writes (the change, its job row, the events it
emits, the audit record) is one transaction, committed when the block ends without an
exception and rolled back otherwise. Entering it again while it is open joins the open
transaction, so use cases compose (a bulk add, a move) without a second commit. Reads run
`with uow.reading():`, a snapshot that is always rolled back.

The outbox: a use case names what its change touched (`uow.outbox.vm(id)`, `.network(id)`...)
and may start its command's job (`uow.start_job(...)`). Just before the commit the unit of
work writes one job row carrying both, and queues the changed VMs' router metadata; a change
that touched the data plane without a job of its own (a synchronous command) gets a publication
job. After the commit `on_commit` hears of every job written, so the server can run them at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from sqlalchemy import Connection

from nicstack.db.database import Database
from nicstack.db.repos.accounts import AccountRepository
from nicstack.db.repos.agents import AgentRepository
from nicstack.db.repos.allocations import AllocationRepository
from nicstack.db.repos.client_tokens import ClientTokenRepository
from nicstack.db.repos.config import SettingsRepository
from nicstack.db.repos.events import EventRepository
from nicstack.db.repos.generations import GenerationRepository
from nicstack.db.repos.guest_ranges import GuestRangeRepository
from nicstack.db.repos.infra import InfraRepository
from nicstack.db.repos.jobs import JobRepository
from nicstack.db.repos.load_balancers import LoadBalancerRepository
from nicstack.db.repos.network_acls import NetworkAclRepository
from nicstack.db.repos.networks import NetworkRepository
from nicstack.db.repos.public_ips import PublicIpRepository
from nicstack.db.repos.router_metadata import RouterMetadataRepository
from nicstack.db.repos.rules import RuleRepository
from nicstack.db.repos.security_groups import SecurityGroupRepository
from nicstack.db.repos.ssh_keypairs import SshKeyPairRepository
from nicstack.db.repos.tags import TagRepository
from nicstack.db.repos.vms import VmRepository
from nicstack.db.repos.vpcs import VpcRepository
from nicstack.db.rows import new_uuid
from nicstack.domain.access import Caller
from nicstack.domain.codec import encode
from nicstack.domain.jobs import PUBLISH, Configured, DataplaneChange, JobPlan, Success

R = TypeVar("R")


class Outbox:
    """The data-plane subjects a transaction changed, by kind."""

    def __init__(self) -> None:
        self.change = DataplaneChange()
        self._whole: set[int] = set()  # VMs changed beyond their NICs' addresses
        self._addresses: dict[int, set[tuple[int, str]]] = {}  # VM -> (NIC, address) added or taken, alone

    def vm(self, *ids: int) -> None:
        self.change |= DataplaneChange(vms=frozenset(ids))
        self._whole.update(ids)

    def addresses(self, vm_id: int, nic_id: int, addresses: Iterable[str]) -> None:
        """Only these secondary addresses of one NIC of the VM were added or taken: its routers' metadata
        pass writes those addresses alone."""
        self.change |= DataplaneChange(vms=frozenset((vm_id,)))
        self._addresses.setdefault(vm_id, set()).update((nic_id, address) for address in addresses)

    def metadata_due(self) -> list[tuple[int, int | None, str | None]]:
        """The metadata queue's rows for this change: (VM, NIC, address added or taken), or (VM, None, None)."""
        due: list[tuple[int, int | None, str | None]] = []
        for vm_id in sorted(self.change.vms):
            held = self._addresses.get(vm_id)
            if vm_id in self._whole or not held:
                due.append((vm_id, None, None))
            else:
                due.extend((vm_id, nic_id, address) for nic_id, address in sorted(held))
        return due

    def group(self, *ids: int) -> None:
        self.change |= DataplaneChange(groups=frozenset(ids))

    def host(self, *ids: int) -> None:
        self.change |= DataplaneChange(hosts=frozenset(i for i in ids if i is not None))

    def network(self, *ids: int) -> None:
        self.change |= DataplaneChange(networks=frozenset(ids))

    def vpc(self, *ids: int) -> None:
        self.change |= DataplaneChange(vpcs=frozenset(ids))


@dataclass(frozen=True, slots=True)
class _JobRequest:
    uuid: str
    caller: Caller | None
    cmd: str
    instance: tuple[str, str] | None
    result: object
    configured: Configured | None


class _Repository(Generic[R]):
    """A repository of the unit of work's open transaction, made on first use in that transaction."""

    def __init__(self, factory: Callable[[Connection], R]) -> None:
        self.factory = factory
        self.slot = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = name

    def __get__(self, uow: SqlUnitOfWork, owner: type | None = None) -> R:
        made: dict[str, Any] = uow.made
        found = made.get(self.slot)
        if found is None:
            found = made[self.slot] = self.factory(uow.conn)
        return found


class SqlUnitOfWork:
    """One use case's transaction on `db`; see the module docstring for the contract."""

    accounts = _Repository(AccountRepository)
    agents = _Repository(AgentRepository)
    allocations = _Repository(AllocationRepository)
    settings = _Repository(SettingsRepository)
    client_tokens = _Repository(ClientTokenRepository)
    events = _Repository(EventRepository)
    generations = _Repository(GenerationRepository)
    router_metadata = _Repository(RouterMetadataRepository)
    guest_ranges = _Repository(GuestRangeRepository)
    infra = _Repository(InfraRepository)
    jobs = _Repository(JobRepository)
    load_balancers = _Repository(LoadBalancerRepository)
    network_acls = _Repository(NetworkAclRepository)
    networks = _Repository(NetworkRepository)
    public_ips = _Repository(PublicIpRepository)
    rules = _Repository(RuleRepository)
    security_groups = _Repository(SecurityGroupRepository)
    ssh_keypairs = _Repository(SshKeyPairRepository)
    tags = _Repository(TagRepository)
    vms = _Repository(VmRepository)
    vpcs = _Repository(VpcRepository)

    def __init__(self, db: Database, server: str = "", on_commit: Callable[[list[int]], None] | None = None) -> None:
        self.db = db
        self.server = server
        self.on_commit = on_commit
        self.made: dict[str, Any] = {}
        self.outbox = Outbox()
        self._job: _JobRequest | None = None
        self._conn: Connection | None = None
        self._depth = 0
        self._exit: Callable[[type[BaseException] | None, BaseException | None, TracebackType | None], Any] | None
        self._exit = None

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("the unit of work is not open: use `with uow:` or `with uow.reading():`")
        return self._conn

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    def __enter__(self) -> Self:
        if self._depth == 0:
            transaction = self.db.write()
            self._conn = transaction.__enter__()
            self._exit = transaction.__exit__
        self._depth += 1
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._depth -= 1
        if self._depth > 0:
            return
        written: list[int] = []
        failed: BaseException | None = None
        if kind is None:
            try:
                written = self._write_jobs()
            except BaseException as failure:
                failed, kind, exc, tb = failure, type(failure), failure, failure.__traceback__
        close, self._exit = self._exit, None
        self._conn, self.made, self._job, self.outbox = None, {}, None, Outbox()
        assert close is not None
        close(kind, exc, tb)  # commits, or rolls back and lets the block's exception go on
        if failed is not None:
            raise failed
        if written and self.on_commit is not None:
            self.on_commit(written)

    def start_job(
        self, caller: Caller, cmd: str, *, result: object = None, instance: tuple[str, str] | None = None,
        configured: Configured | None = None,
    ) -> str:
        """The job of the use case's command, written with the transaction; returns its uuid.

        `result` is the typed value the job answers (`Success()` when omitted); the job also
        publishes whatever the outbox holds when the transaction commits.
        """
        if self._job is not None:
            raise RuntimeError(f"a unit of work starts one job; {self._job.cmd} already started one")
        self._job = _JobRequest(new_uuid(), caller, cmd, instance, Success() if result is None else result,
                                configured)
        return self._job.uuid

    def _write_jobs(self) -> list[int]:
        job, change = self._job, self.outbox.change
        if job is None:
            if not change:
                return []
            job = _JobRequest(new_uuid(), None, PUBLISH, None, Success(), None)
        plan = encode(JobPlan(change, job.configured, job.result))
        # The routers' metadata of the changed VMs: queued with the change, published by a worker's pass
        # before it runs the job, so a job that has ended has its VMs' metadata published.
        self.router_metadata.queue(self.outbox.metadata_due())
        caller = job.caller
        job_id = self.jobs.create(
            job.uuid, caller.user_id if caller else None, caller.account_id if caller else None, job.cmd,
            json.dumps(plan, separators=(",", ":")), self.server, job.instance,
        )
        return [job_id]

    @contextmanager
    def reading(self) -> Iterator[Self]:
        """A read-only snapshot; inside an open transaction it reads that transaction."""
        if self._conn is not None:
            yield self
            return
        with self.db.read() as conn:
            self._conn = conn
            try:
                yield self
            finally:
                self._conn = None
                self.made = {}
