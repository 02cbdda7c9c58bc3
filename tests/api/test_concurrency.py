"""No duplicates, ever: concurrent addIpToNic/removeIpFromNic over the signed HTTP API (spec 02, section 2)."""

from __future__ import annotations

import ipaddress
import multiprocessing
import os
import random
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import Cloud
from tests.support.client import Client
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


# --- several server processes on one PostgreSQL database --------------------------------------


class ServerProcess:
    """A `nicstack serve` subprocess on a free port."""

    def __init__(self, database_url: str, log: Path, env: dict[str, str] | None = None) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/client/api"
        self.log = log
        command = [sys.executable, "-m", "nicstack.cli", "serve", "--port", str(port),
                   "--database-url", database_url]
        with log.open("wb") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=out, env=os.environ | (env or {}))

    def wait_ready(self, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"nicstack serve exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                requests.get(self.url, timeout=2).close()
                return self.url
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"nicstack serve silent on {self.url}:\n{self.log.read_text()}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


@contextmanager
def servers(database_url: str, count: int, folder: Path, admin_env: dict[str, str]) -> Iterator[list[str]]:
    """`count` servers on one database; the first creates the schema and the admin, the others find both."""
    started: list[ServerProcess] = []
    try:
        started.append(ServerProcess(database_url, folder / "serve-0.log", admin_env))
        urls = [started[0].wait_ready()]
        started += [ServerProcess(database_url, folder / f"serve-{i}.log") for i in range(1, count)]
        urls += [server.wait_ready() for server in started[1:]]
        yield urls
    finally:
        for server in started:
            server.stop()


def test_four_processes_on_four_servers_sharing_postgresql_never_hand_out_an_address_twice(
    postgres_url: str, tmp_path: Path
) -> None:
    api_key, secret_key = secrets.token_urlsafe(32), secrets.token_urlsafe(48)
    keys = {"NICSTACK_ADMIN_API_KEY": api_key, "NICSTACK_ADMIN_SECRET_KEY": secret_key}
    with servers(postgres_url, 4, tmp_path, keys) as urls:
        admin = Client(urls[0], api_key, secret_key)
        world = make_slash26(admin, make_zone(admin), defaults(admin))
        user = world.tenant
        spawn = multiprocessing.get_context("spawn")
        with spawn.Pool(4) as pool:
            outcomes = pool.starmap(
                exhaust, [(urls[i], user.api_key, user.secret_key, world.nic_ids, i) for i in range(4)]
            )
        assert all(outcome.handed for outcome in outcomes), "every process got addresses"
        check_exhaustion(world, outcomes)


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
    tally = {"added": 0, "refused": 0, "removed": 0}
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
            with lock:
                victim = rng.choice(sorted(live)) if live and rng.random() < 0.35 else None
                if victim is not None:
                    del live[victim]
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
                assert status == 200, body
                with lock:
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
    assert tally["added"] > 0 and tally["removed"] > 0 and tally["refused"] > 0, tally
    assert sum(tally.values()) == 200
