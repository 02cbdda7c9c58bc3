"""Allocator cost by network size and fill: auto-pick and a given address, in process on SQLite."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import Any

from sqlalchemy import select

from nicstack.bench.client import BenchError, Client, Keys
from nicstack.bench.progress import Progress
from nicstack.bench.stats import median
from nicstack.bench.world import deploy, make_network, make_world
from nicstack.db import tables as t
from nicstack.db.repos.accounts import caller_of
from nicstack.db.rows import now
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.kinds import AllocationKind
from nicstack.domain.model import Network
from nicstack.ipam.addresses import IPAddress, int_to_key, key_to_int, looks_like_eui64
from nicstack.ipam.allocator import Pool
from nicstack.server import prepare, running
from nicstack.services import guest_ips, secondary_ips
from nicstack.services.secondary_ips import AddIp

FILLS = (0, 10_000, 100_000)
# A /24 cannot hold 10,000: it is filled to its capacity less this many free addresses.
FREE_IN_FULL = 16
TARGET_RATIO = 2.0
SEED = 20240601
INSERT_CHUNK = 10_000


@dataclass(frozen=True)
class Size:
    label: str
    family: int
    layout: dict[str, str]


SIZES = (
    Size("/24", 4, {"cidr": "10.24.0.0/24"}),
    Size("/16", 4, {"cidr": "10.16.0.0/16"}),
    Size("/8", 4, {"cidr": "11.0.0.0/8"}),
    # Isolated networks always have IPv4 too: the IPv6 /64 is this network's second family.
    Size("/64", 6, {"cidr": "10.64.0.0/24", "ip6cidr": "fd00:64::/64"}),
)


@dataclass
class Cell:
    network: str
    fill: int  # the fill asked for (0, 10,000, 100,000)
    used: int | None  # addresses of the pool in use while measuring; None: cannot hold the fill
    pool: int
    note: str
    any_us: float | None = None
    given_us: float | None = None
    add_any_us: float | None = None
    add_given_us: float | None = None
    any_ratio: float | None = None
    given_ratio: float | None = None
    add_any_ratio: float | None = None
    add_given_ratio: float | None = None


@dataclass(frozen=True)
class AllocatorResult:
    calls: int  # per cell, for the pick columns
    add_calls: int  # per cell, for the addIpToNic columns (each also removes what it added)
    target_ratio: float
    cells: list[Cell]
    worst_any_ratio: float | None
    worst_given_ratio: float | None
    met: bool


@dataclass
class _Subject:
    """One network under test, the NIC secondary IPs go to, and what the benchmark has used."""

    size: Size
    net: Network
    pool: Pool
    nic_uuid: str
    used: set[int]
    rng: random.Random

    def free_random(self) -> int:
        """A random free address of the pool (not EUI-64 looking, which IPv6 refuses)."""
        low, high = self.pool.ranges[0]
        for _ in range(1_000_000):
            value = self.rng.randint(low, high)
            if value in self.used or not self.pool.contains(value):
                continue
            if self.size.family == 6 and looks_like_eui64(IPv6Address(value)):
                continue
            return value
        raise BenchError(f"no free address found in the {self.size.label} network")

    def address(self, value: int) -> IPAddress:
        return IPv4Address(value) if self.size.family == 4 else IPv6Address(value)


def _used_in(uow: SqlUnitOfWork, network_id: int, family: int) -> set[int]:
    a = t.ip_allocations
    rows = uow.conn.execute(select(a.c.addr).where(a.c.network_id == network_id, a.c.family == family))
    return {key_to_int(r[0]) for r in rows}


def _in_pool(subject: _Subject) -> int:
    return sum(1 for v in subject.used if subject.pool.contains(v))


def _fill(uow: SqlUnitOfWork, subject: _Subject, target_in_pool: int, bar: Progress) -> None:
    """Reserve random free addresses until `target_in_pool` of the pool are in use."""
    missing = target_in_pool - _in_pool(subject)
    low, high = subject.pool.ranges[0]
    if high - low < 1 << 16:
        free = [v for v in range(low, high + 1) if subject.pool.contains(v) and v not in subject.used]
        chosen = subject.rng.sample(free, missing)
    else:
        chosen_set: set[int] = set()
        while len(chosen_set) < missing:
            value = subject.rng.randint(low, high)
            if value not in subject.used and subject.pool.contains(value):
                chosen_set.add(value)
        # Ascending keys append to the unique index's B-tree: the same rows, inserted faster.
        chosen = sorted(chosen_set)
    stamp = now()
    for start in range(0, len(chosen), INSERT_CHUNK):
        part = chosen[start:start + INSERT_CHUNK]
        with uow:
            uow.conn.execute(t.ip_allocations.insert(), [
                {"network_id": subject.net.id, "family": subject.size.family, "addr": int_to_key(v),
                 "kind": str(AllocationKind.RESERVED), "nic_id": None, "secondary_id": None, "created": stamp}
                for v in part
            ])
        subject.used.update(part)
        bar.advance(len(part))


def _reset_cursor(uow: SqlUnitOfWork, subject: _Subject) -> None:
    """Start every measurement at the pool's start, so each fill level sees the same walk."""
    with uow:
        uow.conn.execute(t.networks.update().where(t.networks.c.id == subject.net.id)
                     .values(ip4_cursor=None, ip6_cursor=None))


Timer = Callable[[], float]


def _timers(uow: SqlUnitOfWork, caller: Caller, s: _Subject) -> dict[str, Timer | None]:
    """One timed call per kind of measurement; each gives back what it took."""

    def take_any() -> float:
        with uow:
            cursors = uow.networks.lock(s.net.id)
            began = time.perf_counter()
            address, _ = guest_ips.take(uow, s.net, None, cursors, AllocationKind.RESERVED, None, family=s.size.family)
            elapsed = time.perf_counter() - began
            guest_ips.give_back(uow, s.net, str(address))
        return elapsed

    def take_given() -> float:
        address = IPv4Address(s.free_random()) if s.size.family == 4 else IPv6Address(s.free_random())
        with uow:
            cursors = uow.networks.lock(s.net.id)
            began = time.perf_counter()
            guest_ips.take(uow, s.net, address, cursors, AllocationKind.RESERVED, None)
            elapsed = time.perf_counter() - began
            guest_ips.give_back(uow, s.net, str(address))
        return elapsed

    def add(wanted: IPAddress | None) -> float:
        began = time.perf_counter()
        uuid = secondary_ips.add_ip_to_nic(uow, caller, AddIp(s.nic_uuid, wanted)).value.items[0].uuid
        elapsed = time.perf_counter() - began
        # Removing keeps the fill and the NIC under its secondary IP limit.
        secondary_ips.remove_ip_from_nic(uow, caller, uuid)
        return elapsed

    return {
        "any": take_any,
        "given": take_given,
        # addIpToNic picks from the network's IPv4 range first: its auto-pick never reaches the /64.
        "add_any": (lambda: add(None)) if s.size.family == 4 else None,
        "add_given": lambda: add(s.address(s.free_random())),
    }


def _setup(uow: SqlUnitOfWork, keys: Keys) -> tuple[Caller, list[_Subject]]:
    with running(uow.db) as url:
        admin = Client(Keys(url, keys.api_key, keys.secret_key))
        try:
            world = make_world(admin)
            made = []
            for size in SIZES:
                net = make_network(admin, world, **size.layout)
                vm = deploy(admin, world, [net["id"]])
                made.append((size, net["id"], vm["nic"][0]["id"]))
        finally:
            admin.close()
    rng = random.Random(SEED)
    subjects = []
    with uow.reading():
        user = uow.accounts.user_by_api_key(keys.api_key)
        if user is None:
            raise BenchError("the admin user is missing after setup")
        for size, net_uuid, nic_uuid in made:
            found = uow.networks.network_by(uuid=net_uuid)
            if found is None:
                raise BenchError(f"network {net_uuid} is missing after setup")
            pool = guest_ips.pool_of(found, size.family)
            used = _used_in(uow, found.id, size.family)
            subjects.append(_Subject(size, found, pool, nic_uuid, used, random.Random(rng.random())))
    return caller_of(user), subjects


def run(workdir: Path, quick: bool) -> AllocatorResult:
    calls, add_calls = (30, 10) if quick else (300, 60)
    prepared = prepare(f"sqlite:///{workdir / 'allocator.db'}")
    if prepared.admin is None:
        raise BenchError("a fresh database did not bootstrap the admin's keys")
    db = prepared.db
    uow = SqlUnitOfWork(db)
    try:
        caller, subjects = _setup(uow, Keys("", prepared.admin.api_key, prepared.admin.secret_key))
        cells = _measure(uow, caller, subjects, calls, add_calls)
    finally:
        db.dispose()
    _ratios(cells)
    big = [c for c in cells if c.network in ("/8", "/64") and c.used is not None]
    worst_any = max((c.any_ratio for c in big if c.any_ratio is not None), default=None)
    worst_given = max((c.given_ratio for c in big if c.given_ratio is not None), default=None)
    met = all(r is not None and r <= TARGET_RATIO for r in (worst_any, worst_given))
    return AllocatorResult(calls, add_calls, TARGET_RATIO, cells, worst_any, worst_given, met)


def _measure(uow: SqlUnitOfWork, caller: Caller, subjects: list[_Subject], calls: int, add_calls: int) -> list[Cell]:
    cells: list[Cell] = []
    for fill in FILLS:
        active: list[tuple[_Subject, Cell]] = []
        targets = []
        for s in subjects:
            size = s.pool.size()
            if fill + 1 <= size - FREE_IN_FULL:
                # The fill comes on top of the NIC's primary address.
                target, note = fill + 1, ""
            elif s.size.label == "/24":
                target, note = size - FREE_IN_FULL, f"full: {FREE_IN_FULL} free"
            else:
                cells.append(Cell(s.size.label, fill, None, size, f"n/a: holds {size:,}"))
                continue
            targets.append((s, target))
            cell = Cell(s.size.label, fill, target, size, note)
            cells.append(cell)
            active.append((s, cell))
        total = sum(max(0, target - _in_pool(s)) for s, target in targets)
        if total:
            with Progress(f"allocator: fill to {fill:,}", total) as bar:
                for s, target in targets:
                    _fill(uow, s, target, bar)
        for s, _ in active:
            _reset_cursor(uow, s)
        _time_level(uow, caller, active, {"any": calls, "given": calls, "add_any": add_calls,
                                         "add_given": add_calls}, fill)
    return cells


def _time_level(
    uow: SqlUnitOfWork, caller: Caller, active: list[tuple[_Subject, Cell]], calls: dict[str, int], fill: int
) -> None:
    timers = [(s, cell, _timers(uow, caller, s)) for s, cell in active]
    kinds = tuple(calls)
    samples: dict[tuple[int, str], list[float]] = {}
    steps = sum(calls[k] for _, _, ts in timers for k in kinds if ts[k] is not None)
    with Progress(f"allocator: time at {fill:,} used", steps) as bar:
        for kind in kinds:
            # Round-robin over the networks, so a noisy moment hits every size alike.
            for _ in range(calls[kind]):
                for index, (_, _, ts) in enumerate(timers):
                    timer = ts[kind]
                    if timer is None:
                        continue
                    samples.setdefault((index, kind), []).append(timer())
                    bar.advance()
    for index, (_, cell, _) in enumerate(timers):
        for kind in kinds:
            got = samples.get((index, kind))
            if got:
                setattr(cell, f"{kind}_us", median(got) * 1e6)


def _ratios(cells: list[Cell]) -> None:
    base = {c.fill: c for c in cells if c.network == "/24"}
    for cell in cells:
        ref = base.get(cell.fill)
        if ref is None or cell.used is None:
            continue
        for kind in ("any", "given", "add_any", "add_given"):
            mine: Any = getattr(cell, f"{kind}_us")
            theirs: Any = getattr(ref, f"{kind}_us")
            if mine is not None and theirs:
                setattr(cell, f"{kind}_ratio", mine / theirs)
