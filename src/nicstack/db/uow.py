"""The SQL unit of work: one transaction, the repositories bound to it, and what it hands on after commit.

A use case runs `with uow:` once: everything it writes (the change, its job row, the events it
emits, the audit record) is one transaction, committed when the block ends without an
exception and rolled back otherwise. Entering it again while it is open joins the open
transaction, so use cases compose (a bulk add, a move) without a second commit. Reads run
`with uow.reading():`, a snapshot that is always rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from sqlalchemy import Connection

from nicstack.db.database import Database
from nicstack.db.repos.accounts import AccountRepository
from nicstack.db.repos.allocations import AllocationRepository
from nicstack.db.repos.config import SettingsRepository
from nicstack.db.repos.events import EventRepository
from nicstack.db.repos.guest_ranges import GuestRangeRepository
from nicstack.db.repos.infra import InfraRepository
from nicstack.db.repos.jobs import JobRepository
from nicstack.db.repos.load_balancers import LoadBalancerRepository
from nicstack.db.repos.networks import NetworkRepository
from nicstack.db.repos.public_ips import PublicIpRepository
from nicstack.db.repos.rules import RuleRepository
from nicstack.db.repos.security_groups import SecurityGroupRepository
from nicstack.db.repos.vms import VmRepository
from nicstack.db.repos.vpcs import VpcRepository

R = TypeVar("R")


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
    allocations = _Repository(AllocationRepository)
    settings = _Repository(SettingsRepository)
    events = _Repository(EventRepository)
    guest_ranges = _Repository(GuestRangeRepository)
    infra = _Repository(InfraRepository)
    jobs = _Repository(JobRepository)
    load_balancers = _Repository(LoadBalancerRepository)
    networks = _Repository(NetworkRepository)
    public_ips = _Repository(PublicIpRepository)
    rules = _Repository(RuleRepository)
    security_groups = _Repository(SecurityGroupRepository)
    vms = _Repository(VmRepository)
    vpcs = _Repository(VpcRepository)

    def __init__(self, db: Database) -> None:
        self.db = db
        self.made: dict[str, Any] = {}
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
        close, self._exit = self._exit, None
        self._conn = None
        self.made = {}
        assert close is not None
        close(kind, exc, tb)

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
