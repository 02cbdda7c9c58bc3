"""The allocation store on real databases: the unique key, cost independent of the CIDR, a state machine."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from ipaddress import IPv4Address, IPv4Network, ip_address
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import event as tally
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Connection, event, func, select
from sqlalchemy.exc import IntegrityError

from nicstack.api import commands  # noqa: F401 - registers addIpToNic, whose parameters the machine parses
from nicstack.api.params import parse
from nicstack.api.registry import COMMANDS
from nicstack.db import tables as t
from nicstack.db.database import Database
from nicstack.db.repos.accounts import caller_of
from nicstack.db.rows import now
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import CloudError, InsufficientCapacity, ParameterError, ResourceInUse, UnknownEntity
from nicstack.domain.kinds import AllocationKind
from nicstack.domain.model import Network
from nicstack.domain.policy import MAX_SECONDARY_IPS_KEY
from nicstack.ipam.addresses import int_to_key, key_to_int
from nicstack.server import prepare, running
from nicstack.services import networks as network_service
from nicstack.services import vms as vm_service
from nicstack.services.networks import NewNetwork
from nicstack.services.secondary_ips import AddIp, add_ip_to_nic, remove_ip_from_nic
from nicstack.services.vms import NewVm, NicRequest
from tests.support.client import Client
from tests.support.world import defaults, make_zone, unique

pytestmark = pytest.mark.integration


@dataclass
class World:
    """A prepared database, the root admin as a service-level caller, and a zone to build in."""

    db: Database
    caller: Caller
    zone_uuid: str
    d: dict[str, str]

    def uow(self) -> SqlUnitOfWork:
        """A unit of work of its own: each use case (and each racing thread) takes one."""
        return SqlUnitOfWork(self.db)

    def network(self, gateway: str, netmask: str) -> Network:
        spec = NewNetwork(unique("net"), "", self.zone_uuid, self.d["isolated"], gateway=gateway, netmask=netmask)
        return network_service.create_network(self.uow(), self.caller, spec)

    def nic(self, network_uuid: str) -> tuple[int, str, str]:
        """A new VM in the network; its NIC's id, uuid and primary address."""
        spec = NewVm(self.zone_uuid, self.d["serviceofferingid"], self.d["templateid"], (NicRequest(network_uuid),))
        [nic] = vm_service.deploy(self.uow(), self.caller, spec).value.nics
        assert nic.ip4_address is not None
        return nic.id, nic.uuid, nic.ip4_address

    def add(self, nic_uuid: str, wanted: str | None = None) -> str:
        address = ip_address(wanted) if wanted is not None else None
        return add_ip_to_nic(self.uow(), self.caller, AddIp(nic_uuid, address)).value.items[0].uuid

    def remove(self, uuid: str) -> str:
        remove_ip_from_nic(self.uow(), self.caller, uuid)
        return uuid


@contextmanager
def world_on(url: str, trace: Callable[[str], None] | None = None) -> Iterator[World]:
    """Build the zone over the API (as a cloud user would), then stop the server: nothing else
    runs against the database while a test counts statements. `trace` (SQLite) hears every
    statement the driver runs on the world's database."""
    prepared = prepare(url)
    assert prepared.admin is not None
    try:
        with running(prepared.db) as api_url:
            admin = Client(api_url, prepared.admin.api_key, prepared.admin.secret_key)
            zone = make_zone(admin)
            d = defaults(admin)
    finally:
        prepared.db.dispose()
    db = Database(url)
    if trace is not None:
        event.listen(db.engine, "connect", lambda dbapi, _record: dbapi.set_trace_callback(trace))
    try:
        uow = SqlUnitOfWork(db)
        with uow.reading():
            user = uow.accounts.user_by_api_key(prepared.admin.api_key)
            assert user is not None
        yield World(db, caller_of(user), zone.id, d)
    finally:
        db.dispose()


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    with world_on(database_url) as w:
        yield w


def allocation(network_id: int, value: int, kind: AllocationKind, nic_id: int | None = None) -> dict[str, Any]:
    return {"network_id": network_id, "family": 4, "addr": int_to_key(value), "kind": str(kind), "nic_id": nic_id,
            "created": now()}


def used_in(conn: Connection, network_id: int) -> list[tuple[int, str, int | None, int | None]]:
    a = t.ip_allocations
    rows = conn.execute(
        select(a.c.addr, a.c.kind, a.c.nic_id, a.c.secondary_id).where(a.c.network_id == network_id).order_by(a.c.id)
    )
    return [(key_to_int(r.addr), r.kind, r.nic_id, r.secondary_id) for r in rows]


# --- the unique key -------------------------------------------------------------------------------


def test_the_unique_key_refuses_a_second_row_for_an_address_already_held_in_the_network(world: World) -> None:
    net, other = world.network("10.70.0.1", "255.255.255.0"), world.network("10.70.0.1", "255.255.255.0")
    net_id, other_id = net.id, other.id
    nic_id, _nic_uuid, primary = world.nic(net.uuid)
    gateway, taken = int(IPv4Address("10.70.0.1")), int(IPv4Address(primary))
    free = int(IPv4Address("10.70.0.77"))
    engine = world.db.engine
    with engine.connect() as conn:
        before = used_in(conn, net_id)
    assert sorted(v for v, *_ in before) == [gateway, taken]
    for value, kind in ((gateway, AllocationKind.RESERVED), (taken, AllocationKind.SECONDARY)):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(t.ip_allocations.insert().values(**allocation(net_id, value, kind)))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(t.ip_allocations.insert().values(**allocation(net_id, free, AllocationKind.SECONDARY, nic_id)))
        conn.execute(t.ip_allocations.insert().values(**allocation(net_id, free, AllocationKind.RESERVED)))
    with engine.begin() as conn:
        assert used_in(conn, net_id) == before
        # The key is per network: the same address in another network is another address.
        conn.execute(t.ip_allocations.insert().values(**allocation(other_id, taken, AllocationKind.RESERVED)))


# --- races the network lock must close (PostgreSQL runs them truly in parallel) --------------------


def race(*calls: Callable[[], str]) -> list[str | CloudError]:
    """Start the calls at the same moment, one thread each; a refusal is returned, not raised."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], str]) -> str | CloudError:
        start.wait()
        try:
            return call()
        except CloudError as refused:
            return refused

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_concurrent_removes_of_one_secondary_ip_succeed_exactly_once(world: World) -> None:
    net = world.network("10.71.0.1", "255.255.255.0")
    nic_id, nic_uuid, _primary = world.nic(net.uuid)
    for _ in range(15):
        uuid = world.add(nic_uuid)
        outcomes = race(*[partial(world.remove, uuid)] * 6)
        assert outcomes.count(uuid) == 1, outcomes
        assert all(isinstance(o, UnknownEntity) for o in outcomes if o != uuid), outcomes
    with world.db.read() as conn:
        assert [kind for _v, kind, _n, _s in used_in(conn, net.id)] == ["router", "nic"]
        assert snapshot(conn, net.id, [nic_id]).secondaries == ()
        released = conn.execute(
            select(func.count()).select_from(t.events).where(t.events.c.type == "NIC.SECONDARY.IP.UNASSIGN")
        ).scalar_one()
    assert released == 15


def test_a_nic_keeps_its_secondary_ip_flag_when_its_last_ip_goes_while_another_comes(world: World) -> None:
    net = world.network("10.72.0.1", "255.255.255.0")
    nic_id, nic_uuid, _primary = world.nic(net.uuid)
    for _ in range(40):
        last = world.add(nic_uuid)
        _removed, new = race(partial(world.remove, last), partial(world.add, nic_uuid))
        assert isinstance(new, str), new
        with world.db.read() as conn:
            flag = conn.execute(select(t.nics.c.secondary_ip).where(t.nics.c.id == nic_id)).scalar_one()
        assert flag == 1, "the NIC holds a secondary IP but its flag says none"
        world.remove(new)


# --- cost independent of the CIDR size ------------------------------------------------------------

PREFILLED = 10_000


class Statements:
    """Every statement SQLite's driver runs while counting is on, whichever path sent it (the
    hot path runs prepared statements on the driver's cursor, which SQLAlchemy's events never
    see), less reads of the settings table: those are cached for a few seconds (repos.config),
    so whether one is sent depends on the clock, not the CIDR."""

    def __init__(self) -> None:
        self.seen: list[str] | None = None

    def __call__(self, statement: str) -> None:
        if self.seen is not None and "FROM configuration" not in statement:
            self.seen.append(statement)

    @contextmanager
    def counting(self) -> Iterator[list[str]]:
        self.seen = []
        try:
            yield self.seen
        finally:
            self.seen = None


def prefill(db: Database, network_id: int, cidr: IPv4Network, count: int, seed: int) -> None:
    """Hold `count` random addresses of the network (fixed seed), as reserved allocations."""
    with db.engine.begin() as conn:
        held = {v for v, *_ in used_in(conn, network_id)}
        first, last = int(cidr.network_address) + 1, int(cidr.broadcast_address) - 1
        picks = [v for v in random.Random(seed).sample(range(first, last + 1), count + len(held)) if v not in held]
        conn.execute(t.ip_allocations.insert(), [allocation(network_id, v, AllocationKind.RESERVED)
                                                 for v in picks[:count]])
        assert len(used_in(conn, network_id)) == count + len(held)


def adds_cost(world: World, trace: Statements, nic_uuid: str, specific: str) -> list[int]:
    """Statements issued by five auto-picks, then by one add of a given free address."""
    costs = []
    for wanted in [None] * 5 + [specific]:
        with trace.counting() as seen:
            world.add(nic_uuid, wanted)
        costs.append(len(seen))
    return costs


def test_an_add_costs_the_same_statements_in_a_slash_8_with_ten_thousand_used_as_in_a_slash_24(
    tmp_path: Path,
) -> None:
    trace = Statements()
    with world_on(f"sqlite:///{tmp_path}/data/nicstack.db", trace) as world:
        costs = cost_by_size(world, trace)
    base = costs["/24"]
    # Counted at the driver, the add runs its real statements (BEGIN to COMMIT, well over ten).
    assert min(base) >= 10, base
    for size in ("/16", "/8"):
        for i, (small, big) in enumerate(zip(base, costs[size], strict=True)):
            assert small <= big <= small + 2, (size, i, costs)


def cost_by_size(world: World, trace: Statements) -> dict[str, list[int]]:
    sizes = {"/24": ("172.24.0.1", "255.255.255.0"), "/16": ("172.16.0.1", "255.255.0.0"),
             "/8": ("10.0.0.1", "255.0.0.0")}
    costs: dict[str, list[int]] = {}
    for seed, (size, (gateway, netmask)) in enumerate(sizes.items()):
        cidr = IPv4Network(f"{gateway}/{netmask}", strict=False)
        net = world.network(gateway, netmask)
        net_id, (_nic_id, nic_uuid, _primary) = net.id, world.nic(net.uuid)
        if size != "/24":
            prefill(world.db, net_id, cidr, PREFILLED, seed)
        with world.db.read() as conn:
            used = {v for v, *_ in used_in(conn, net_id)}
        # A free address far from the allocator's cursor, three quarters into the network.
        specific = next(v for v in range(int(cidr[cidr.num_addresses * 3 // 4]), int(cidr[-2])) if v not in used)
        costs[size] = adds_cost(world, trace, nic_uuid, str(IPv4Address(specific)))
    return costs


# --- a state machine on the real SQLite database --------------------------------------------------

CIDR = IPv4Network("10.60.0.0/27")
GATEWAY = CIDR.network_address + 1
NICS = 3
LIMITS = 30  # above the 26 free addresses, so one NIC can exhaust the network
GARBAGE = ("255.255.255.300", "10.60.0", "fe80::1%eth0", "not-an-ip", "10.60.0.5/32")


@dataclass(frozen=True, slots=True)
class Snapshot:
    allocations: tuple[tuple[int, str, int | None, int | None], ...]
    secondaries: tuple[tuple[int, str, int, str | None, str | None], ...]
    flags: tuple[tuple[int, bool], ...]
    cursors: tuple[Any, ...]


def snapshot(conn: Connection, network_id: int, nic_ids: list[int]) -> Snapshot:
    s, n = t.nic_secondary_ips, t.nics
    secondaries = conn.execute(
        select(s.c.id, s.c.uuid, s.c.nic_id, s.c.ip4_address, s.c.ip6_address)
        .where(s.c.network_id == network_id).order_by(s.c.id)
    ).tuples().all()
    flags = conn.execute(select(n.c.id, n.c.secondary_ip).where(n.c.id.in_(nic_ids)).order_by(n.c.id)).tuples().all()
    cursors = conn.execute(
        select(t.networks.c.ip4_cursor, t.networks.c.ip6_cursor).where(t.networks.c.id == network_id)
    ).one()
    return Snapshot(tuple(sorted(used_in(conn, network_id))), tuple(secondaries),
                    tuple((i, bool(f)) for i, f in flags), tuple(cursors))


class SecondaryIps(RuleBasedStateMachine):
    """A model of one /27 network's secondary IPs, checked against the database after every step."""

    world: World

    @initialize(limit=st.integers(0, LIMITS))
    def build(self, limit: int) -> None:
        net = self.world.network(str(GATEWAY), str(CIDR.netmask))
        self.network_id, self.network_name = net.id, net.name
        self.nics = [self.world.nic(net.uuid) for _ in range(NICS)]
        self.primaries = {IPv4Address(primary) for _id, _uuid, primary in self.nics}
        self.model: dict[str, tuple[int, IPv4Address]] = {}  # secondary uuid -> (NIC index, address)
        self.set_limit(limit)

    # -- the model's predictions --

    def count(self, nic: int) -> int:
        return sum(1 for n, _ in self.model.values() if n == nic)

    def taken(self) -> set[IPv4Address]:
        return {GATEWAY} | self.primaries | {a for _, a in self.model.values()}

    def free(self) -> int:
        return CIDR.num_addresses - 2 - len(self.taken())

    def expected_refusal(self, nic: int, wanted: str | None) -> type[CloudError] | None:
        """The error class the service's order of checks predicts (a given address is parsed first,
        then spec 02 section 2's order: limit, assignable, in use); None if the add succeeds."""
        if wanted is not None:
            try:
                parsed = ip_address(wanted)
            except ValueError:
                return ParameterError
        if self.count(nic) >= self.limit:
            return ParameterError
        if wanted is None:
            return InsufficientCapacity if self.free() == 0 else None
        usable = {IPv4Address(int(h)) for h in CIDR.hosts()} - {GATEWAY}
        if parsed not in usable:
            return ParameterError
        return ResourceInUse if parsed in self.taken() else None

    def state(self) -> Snapshot:
        with self.world.db.read() as conn:
            return snapshot(conn, self.network_id, [nic_id for nic_id, _, _ in self.nics])

    def attempt_add(self, nic: int, wanted: str | None) -> None:
        expected = self.expected_refusal(nic, wanted)
        tally(f"add {'any' if wanted is None else 'given'}: {expected.__name__ if expected else 'stored'}")
        # Only a refusal needs the state before; a surprise refusal fails on `expected` anyway.
        before = self.state() if expected is not None else None
        try:
            # As the API takes it: parsed at the edge, then the use case.
            args = parse(COMMANDS["addIpToNic"].params, {"nicid": self.nics[nic][1]} | (
                {"ipaddress": wanted} if wanted is not None else {}))
            uuid = add_ip_to_nic(self.world.uow(), self.world.caller, AddIp(args["nicid"], args.get("ipaddress"))
                                 ).value.items[0].uuid
        except CloudError as refused:
            assert type(refused) is expected, (wanted, refused.text, expected)
            assert self.state() == before, f"refused add of {wanted} changed the database: {refused.text}"
            if self.count(nic) >= self.limit and expected is ParameterError and wanted is None:
                assert f"({self.limit})" in refused.text, refused.text
            elif expected is InsufficientCapacity:
                assert self.network_name in refused.text, refused.text
            elif wanted is not None and self.count(nic) < self.limit:
                assert wanted in refused.text, refused.text
            return
        assert expected is None, (wanted, expected)
        with self.world.db.read() as conn:
            row = conn.execute(select(t.nic_secondary_ips).where(t.nic_secondary_ips.c.uuid == uuid)).one()
        address = IPv4Address(row.ip4_address)
        assert address not in self.taken() and address in CIDR
        assert wanted is None or address == ip_address(wanted)
        self.model[uuid] = (nic, address)
        assert self.count(nic) <= self.limit

    # -- the rules --

    @rule(nic=st.integers(0, NICS - 1), times=st.integers(1, 4))
    def add_any(self, nic: int, times: int) -> None:
        for _ in range(times):
            self.attempt_add(nic, None)

    @rule(nic=st.integers(0, NICS - 1))
    def add_any_until_refused(self, nic: int) -> None:
        """Reaches the limit or exhausts the network (a /27 has 26 free addresses here)."""
        while self.expected_refusal(nic, None) is None:
            self.attempt_add(nic, None)
        self.attempt_add(nic, None)

    @rule(nic=st.integers(0, NICS - 1), offset=st.integers(-2, CIDR.num_addresses + 1))
    def add_specific(self, nic: int, offset: int) -> None:
        self.attempt_add(nic, str(CIDR.network_address + offset))

    @rule(nic=st.integers(0, NICS - 1), text=st.sampled_from(GARBAGE))
    def add_garbage(self, nic: int, text: str) -> None:
        self.attempt_add(nic, text)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        # Drawn by position in the order of the adds: uuids are random, positions are replayable.
        uuid = list(self.model)[data.draw(st.integers(0, len(self.model) - 1))]
        self.world.remove(uuid)
        del self.model[uuid]
        before = self.state()
        with pytest.raises(UnknownEntity):
            self.world.remove(uuid)
        assert self.state() == before

    @rule(limit=st.integers(0, LIMITS))
    def set_limit(self, limit: int) -> None:
        uow = self.world.uow()
        with uow:
            uow.settings.set_value(MAX_SECONDARY_IPS_KEY, str(limit))
        self.limit = limit
        # Lowering the limit keeps what a NIC already has; it only refuses further adds.
        self.ceiling = [max(limit, self.count(nic)) for nic in range(NICS)]

    # -- the invariants (one snapshot per step, checked three ways) --

    @invariant()
    def the_store_agrees_with_the_model(self) -> None:
        now_ = self.state()
        self.no_address_twice_and_the_store_matches_the_model(now_)
        self.each_secondary_allocation_has_exactly_one_secondary_row_and_back(now_)
        self.no_nic_holds_more_than_the_limit_allowed_and_its_flag_follows(now_)

    def no_address_twice_and_the_store_matches_the_model(self, now_: Snapshot) -> None:
        values = [v for v, *_ in now_.allocations]
        assert len(values) == len(set(values))
        assert {IPv4Address(v) for v in values} == self.taken()
        listed = {uuid: ip for _id, uuid, _nic, ip, _ip6 in now_.secondaries}
        assert listed == {uuid: str(a) for uuid, (_, a) in self.model.items()}
        assert len(set(listed.values())) == len(listed)

    def each_secondary_allocation_has_exactly_one_secondary_row_and_back(self, now_: Snapshot) -> None:
        rows = {sid: (nic_id, ip4) for sid, _uuid, nic_id, ip4, _ip6 in now_.secondaries}
        secondary = [(v, nic_id, sid) for v, kind, nic_id, sid in now_.allocations if kind == AllocationKind.SECONDARY]
        assert sorted(sid for *_, sid in secondary if sid is not None) == sorted(rows)
        for value, nic_id, sid in secondary:
            assert sid in rows and rows[sid] == (nic_id, str(IPv4Address(value)))
        for value, kind, _nic_id, sid in now_.allocations:
            assert (kind == AllocationKind.SECONDARY) == (sid is not None), (IPv4Address(value), kind, sid)

    def no_nic_holds_more_than_the_limit_allowed_and_its_flag_follows(self, now_: Snapshot) -> None:
        counts = {nic_id: 0 for nic_id, _, _ in self.nics}
        for _id, _uuid, nic_id, _ip4, _ip6 in now_.secondaries:
            counts[nic_id] += 1
        for index, (nic_id, _, _) in enumerate(self.nics):
            assert counts[nic_id] == self.count(index) <= self.ceiling[index]
        assert dict(now_.flags) == {nic_id: count > 0 for nic_id, count in counts.items()}

    def teardown(self) -> None:
        uow = self.world.uow()
        with uow:
            uow.settings.set_value(MAX_SECONDARY_IPS_KEY, "256")


def test_random_adds_removes_and_limit_changes_keep_the_sqlite_store_consistent(tmp_path: Path) -> None:
    with world_on(f"sqlite:///{tmp_path}/data/nicstack.db") as w:
        class OnSqlite(SecondaryIps):
            world = w

        run_state_machine_as_test(
            OnSqlite,
            settings=settings(max_examples=25, stateful_step_count=30, deadline=None, database=None,
                              suppress_health_check=[HealthCheck.too_slow]),
        )
