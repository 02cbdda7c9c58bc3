"""One addIpToNic of 64 addresses, and a move of an address with its rules, against one single add.

All three are the use cases themselves, in process on SQLite, each one transaction. A bulk add
takes one lock, one commit and one job, and writes its rows in one statement per table: it should
cost a few single adds, not 64. A move touches two NICs and the rules: about one add.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path
from statistics import median

from nicstack.bench.client import BenchError, Client, Keys
from nicstack.bench.progress import Progress
from nicstack.bench.table import num, render
from nicstack.bench.world import deploy, make_network, make_world
from nicstack.db.repos.accounts import caller_of
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.server import prepare, running
from nicstack.services.secondary_ips import AddIp, add_ip_to_nic, remove_ip_from_nic

BULK = 64


@dataclass(frozen=True)
class BulkRow:
    what: str
    addresses: int
    median_us: float
    ratio: float  # to the single add


@dataclass(frozen=True)
class BulkResult:
    calls: int
    rows: list[BulkRow]


def _timed(call: Callable[[], object]) -> float:
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


def run(workdir: Path, quick: bool) -> BulkResult:
    calls = 10 if quick else 60
    prepared = prepare(f"sqlite:///{workdir / 'bulk.db'}")
    if prepared.admin is None:
        raise BenchError("a fresh database did not bootstrap the admin's keys")
    uow = SqlUnitOfWork(prepared.db)
    try:
        with running(prepared.db) as url:
            admin = Client(Keys(url, prepared.admin.api_key, prepared.admin.secret_key))
            world = make_world(admin)
            net = make_network(admin, world, gateway="10.30.0.1", netmask="255.255.0.0")
            a, b = (deploy(admin, world, [net["id"]])["nic"][0]["id"] for _ in range(2))
            admin.close()
        with uow.reading():
            user = uow.accounts.user_by_api_key(prepared.admin.api_key)
        if user is None:
            raise BenchError("the admin user is missing after setup")
        samples = _measure(uow, caller_of(user), a, b, calls)
    finally:
        prepared.db.dispose()
    single = median(samples["single"])
    rows = [BulkRow(what, count, median(samples[what]) * 1e6, median(samples[what]) / single)
            for what, count in (("single", 1), ("bulk", BULK), ("move", 1))]
    return BulkResult(calls, rows)


def _measure(uow: SqlUnitOfWork, caller: Caller, nic_a: str, nic_b: str, calls: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {"single": [], "bulk": [], "move": []}
    moving = IPv4Address(add_ip_to_nic(uow, caller, AddIp(nic_a)).value.items[0].address)
    with Progress("bulk: single, 64 at once, move", calls * 3) as bar:
        for turn in range(calls):
            _turn(uow, caller, nic_a, (nic_a, nic_b)[(turn + 1) % 2], moving, samples)
            bar.advance(3)
    return samples


def _turn(uow: SqlUnitOfWork, caller: Caller, nic: str, move_to: str, moving: IPv4Address,
          samples: dict[str, list[float]]) -> None:
    """One of each, then back to where the turn began, so that every turn costs the same."""
    made: list[str] = []

    def add(request: AddIp) -> None:
        made.extend(s.uuid for s in add_ip_to_nic(uow, caller, request).value.items)

    samples["single"].append(_timed(lambda: add(AddIp(nic))))
    samples["bulk"].append(_timed(lambda: add(AddIp(nic, count=BULK))))
    for uuid in made:
        remove_ip_from_nic(uow, caller, uuid)
    samples["move"].append(_timed(lambda: add_ip_to_nic(uow, caller, AddIp(move_to, moving, reassign=True))))


def bulk_table(r: BulkResult) -> str:
    rows = [[row.what, str(row.addresses), num(row.median_us, 0), f"{row.ratio:.2f}x",
             num(row.median_us / row.addresses, 0)] for row in r.rows]
    head = (f"Bulk and move: the use case in process on SQLite, median of {r.calls} calls each; ratio to one "
            f"single add (target: {BULK} addresses at once cost a few adds, not {BULK}; a move about one add)")
    return "\n".join([head, render(["call", "addresses", "median us", "x single", "us per address"], rows)])
