"""No duplicates, ever: concurrent addIpToNic/removeIpFromNic over the signed HTTP API (spec 02, section 2)."""

from __future__ import annotations

import ipaddress
import multiprocessing
import random
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from nicstack.db import tables as t
from nicstack.db.database import Database
from tests.conftest import Cloud
from tests.support.client import Client
from tests.support.process import new_admin_keys, serving
from tests.support.world import Zone, defaults, deploy, make_network, make_tenant, make_zone

pytestmark = pytest.mark.api

LIMIT_KEY = "vm.network.nic.max.secondary.ipaddresses"
CIDR = ipaddress.ip_network("10.50.0.0/26")
GATEWAY = "10.50.0.1"
NETMASK = "255.255.255.192"
VMS = 4
# Far more attempts than a /26 can satisfy: a worker that never sees 533 is a failure, not a hang.
MAX_ATTEMPTS = 200


@dataclass
class Exhausted:
    """What one worker was handed before the network ran dry: (secondary id, address, nic id)."""

    handed: list[tuple[str, str, str]] = field(default_factory=list)
    refusal: str = ""


def exhaust(url: str, api_key: str, secret_key: str, nic_ids: list[str], offset: int) -> Exhausted:
    """Add auto-picked secondary IPs round-robin over the NICs until the server answers 533.

    Module-level so that 'spawn' worker processes can run it too.
    """
    with requests.Session() as session:
        return _exhaust(Client(url, api_key, secret_key, session), nic_ids, offset)


def _exhaust(client: Client, nic_ids: list[str], offset: int) -> Exhausted:
    out = Exhausted()
    for attempt in range(MAX_ATTEMPTS):
        nic = nic_ids[(offset + attempt) % len(nic_ids)]
        status, body = client.raw("addIpToNic", nicid=nic)
        inner = next(iter(body.values()))
        if status == 533:
            out.refusal = inner["errortext"]
            return out
        assert status == 200, body
        job = client.wait(inner["jobid"])
        assert job["jobstatus"] == 1, job
        secondary = job["jobresult"]["nicsecondaryip"]
        assert secondary["id"] == inner["id"] and secondary["nicid"] == nic
        out.handed.append((secondary["id"], secondary["ipaddress"], nic))
    raise AssertionError(f"no 533 after {MAX_ATTEMPTS} adds to a /26")


@dataclass
class Slash26:
    """A tenant's isolated 10.50.0.0/26 network with VMS one-NIC VMs in it."""

    tenant: Client
    network: dict[str, Any]
    vms: list[dict[str, Any]]

    @property
    def nic_ids(self) -> list[str]:
        return [vm["nic"][0]["id"] for vm in self.vms]

    @property
    def primaries(self) -> set[str]:
        return {vm["nic"][0]["ipaddress"] for vm in self.vms}


def make_slash26(admin: Client, zone: Zone, d: dict[str, str]) -> Slash26:
    tenant = make_tenant(admin)
    network = make_network(tenant.client, zone, d["isolated"], gateway=GATEWAY, netmask=NETMASK)
    vms = [deploy(tenant.client, zone, d, network["id"]) for _ in range(VMS)]
    return Slash26(tenant.client, network, vms)


def check_exhaustion(world: Slash26, outcomes: list[Exhausted]) -> None:
    """Every address handed out once, the whole remaining capacity handed out, then only 533."""
    handed = [entry for outcome in outcomes for entry in outcome.handed]
    addresses = [address for _id, address, _nic in handed]
    assert len(addresses) == len(set(addresses)), sorted(addresses)
    usable = CIDR.num_addresses - 2
    assert len(world.primaries) == VMS
    assert len(addresses) == usable - 1 - VMS
    # Together with the gateway (the router) and the primaries they are exactly the usable hosts.
    assert set(addresses) | world.primaries | {GATEWAY} == {str(h) for h in CIDR.hosts()}
    name = world.network["name"]
    for outcome in outcomes:
        assert name in outcome.refusal, outcome.refusal
    for nic in world.nic_ids:
        refused = world.tenant.error("addIpToNic", nicid=nic)
        assert refused.code == 533 and name in refused.text, refused.text
    listed: dict[str, str] = {}
    for vm in world.vms:
        [nic] = world.tenant.call("listNics", virtualmachineid=vm["id"])["nic"]
        for secondary in nic.get("secondaryip", []):
            assert secondary["id"] not in listed
            listed[secondary["id"]] = secondary["ipaddress"]
    assert listed == {sid: address for sid, address, _nic in handed}
    per_nic = {nic: {sid for sid, _a, n in handed if n == nic} for nic in world.nic_ids}
    for vm in world.vms:
        [nic] = world.tenant.call("listNics", virtualmachineid=vm["id"])["nic"]
        assert {s["id"] for s in nic.get("secondaryip", [])} == per_nic[nic["id"]]


def test_eight_threads_exhausting_a_slash_26_get_every_free_address_exactly_once(
    cloud: Cloud, zone: Zone, d: dict[str, str]
) -> None:
    world = make_slash26(cloud.admin, zone, d)
    start = threading.Barrier(8)
    user = world.tenant

    def worker(offset: int) -> Exhausted:
        start.wait()
        return exhaust(user.url, user.api_key, user.secret_key, world.nic_ids, offset)

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(worker, range(8)))
    check_exhaustion(world, outcomes)


# --- several `nicstack serve` processes on one PostgreSQL database ----------------------------


def test_four_processes_on_four_servers_sharing_postgresql_never_hand_out_an_address_twice(
    postgres_url: str, tmp_path: Path
) -> None:
    keys = new_admin_keys()
    with ExitStack() as stack:
        # tests.support.process serves SQLite by default; a later --database-url wins. The first
        # server creates the schema and the admin (from `keys`), the others find both there.
        served = [stack.enter_context(serving(tmp_path / f"serve-{i}", "--database-url", postgres_url, keys=keys))
                  for i in range(4)]
        urls = [s.url for s in served]
        admin = served[0].admin
        world = make_slash26(admin, make_zone(admin), defaults(admin))
        user = world.tenant
        spawn = multiprocessing.get_context("spawn")
        with spawn.Pool(4) as pool:
            outcomes = pool.starmap(
                exhaust, [(urls[i], user.api_key, user.secret_key, world.nic_ids, i) for i in range(4)]
            )
        assert all(outcome.handed for outcome in outcomes), "every process got addresses"
        check_exhaustion(world, outcomes)
        assert all(s.process.poll() is None for s in served), "every server is still up"
    # The servers shared the PostgreSQL database: it holds every usable address of the /26 once.
    shared = Database(postgres_url, pool=False)
    try:
        with shared.read() as conn:
            a, n = t.ip_allocations, t.networks
            held = conn.execute(
                select(func.count()).select_from(a.join(n, n.c.id == a.c.network_id))
                .where(n.c.uuid == world.network["id"])
            ).scalar_one()
    finally:
        shared.dispose()
    assert held == CIDR.num_addresses - 2


# --- add and remove on one NIC under a limit of 5 ---------------------------------------------


@contextmanager
def nic_limit(admin: Client, value: int) -> Iterator[None]:
    [setting] = admin.items("listConfigurations", "configuration", name=LIMIT_KEY)
    admin.call("updateConfiguration", name=LIMIT_KEY, value=str(value))
    try:
        yield
    finally:
        admin.call("updateConfiguration", name=LIMIT_KEY, value=setting["value"])


def test_concurrent_adds_and_removes_on_one_nic_never_exceed_a_limit_of_five(
    cloud: Cloud, zone: Zone, d: dict[str, str]
) -> None:
    tenant = make_tenant(cloud.admin)
    network = make_network(tenant.client, zone, d["isolated"], gateway="10.51.0.1", netmask="255.255.255.0")
    vm = deploy(tenant.client, zone, d, network["id"])
    nic_id = vm["nic"][0]["id"]
    live: dict[str, str] = {}
    lock = threading.Lock()
    tally = {"added": 0, "refused": 0, "removed": 0, "lost race": 0}
    start = threading.Barrier(8)

    def listed(client: Client) -> list[dict[str, Any]]:
        [nic] = client.call("listNics", virtualmachineid=vm["id"], nicid=nic_id)["nic"]
        secondaries: list[dict[str, Any]] = nic.get("secondaryip", [])
        return secondaries

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        with requests.Session() as session:
            client = Client(tenant.client.url, tenant.client.api_key, tenant.client.secret_key, session)
            start.wait()
            steps(client, rng)

    def steps(client: Client, rng: random.Random) -> None:
        for _ in range(25):
            # Victims are not claimed: two threads may remove the same IP, and only one may succeed.
            with lock:
                victim = rng.choice(sorted(live)) if live and rng.random() < 0.35 else None
            if victim is None:
                status, body = client.raw("addIpToNic", nicid=nic_id)
                inner = next(iter(body.values()))
                if status == 431:
                    assert "(5)" in inner["errortext"], inner
                    with lock:
                        tally["refused"] += 1
                    continue
                assert status == 200, body
                job = client.wait(inner["jobid"])
                assert job["jobstatus"] == 1, job
                with lock:
                    live[inner["id"]] = job["jobresult"]["nicsecondaryip"]["ipaddress"]
                    tally["added"] += 1
            else:
                status, body = client.raw("removeIpFromNic", id=victim)
                inner = next(iter(body.values()))
                if status == 431:
                    assert victim in inner["errortext"] and "does not exist" in inner["errortext"], inner
                    with lock:
                        tally["lost race"] += 1
                    continue
                assert status == 200, body
                with lock:
                    assert victim in live, f"{victim} was removed twice"
                    del live[victim]
                    tally["removed"] += 1
            assert len(listed(client)) <= 5

    with nic_limit(cloud.admin, 5), ThreadPoolExecutor(8) as pool:
        for future in [pool.submit(worker, seed) for seed in range(8)]:
            future.result()
    final = listed(tenant.client)
    assert len(final) <= 5
    addresses = [s["ipaddress"] for s in final]
    assert len(addresses) == len(set(addresses))
    assert {s["id"]: s["ipaddress"] for s in final} == live
    with cloud.db.read() as conn:
        flag = conn.execute(select(t.nics.c.secondary_ip).where(t.nics.c.uuid == nic_id)).scalar_one()
    assert bool(flag) == bool(final)
    assert tally["added"] > 0 and tally["removed"] > 0 and tally["refused"] > 0, tally
    assert sum(tally.values()) == 200


def test_concurrent_deploys_into_one_network_all_get_their_address(cloud: Cloud, zone: Zone, d: dict[str, str]) -> None:
    # Each deploy inserts its NIC (which references the network row) and then locks the network row
    # to allocate: on PostgreSQL a lock that waited for the other inserts deadlocked them.
    tenant = make_tenant(cloud.admin)
    network = make_network(tenant.client, zone, d["isolated"], gateway="10.52.0.1", netmask="255.255.255.0")
    start = threading.Barrier(8)

    def one(_: int) -> str:
        client = Client(tenant.client.url, tenant.client.api_key, tenant.client.secret_key)
        start.wait()
        vm = deploy(client, zone, d, network["id"])
        return str(vm["nic"][0]["ipaddress"])

    with ThreadPoolExecutor(8) as pool:
        addresses = list(pool.map(one, range(8)))
    assert len(set(addresses)) == 8
