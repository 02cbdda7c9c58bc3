"""kill -9, ten times, under load: nothing a client saw succeed is lost, and the dead server's jobs are finished
by the others.

Three `nicstack serve` processes share one PostgreSQL database (one server on SQLite), with a
two-second job lease. Clients add and remove secondary IPs on NICs of a security-group network
(so every job publishes host generations) while servers are killed with SIGKILL at moments when
they hold jobs, and restarted. Afterwards: every job ended well within the lease plus a margin,
none failed, jobs left by killed servers were finished by other ones, no address is held twice,
no NIC holds more than the limit, what clients saw succeed is stored, and every host's and
router's published documents match the committed state.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from nicstack.db import tables as t
from nicstack.db.database import Database
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.kinds import JobStatus
from nicstack.services.publication import drift
from tests.support.client import ApiError, Client
from tests.support.process import free_port, new_admin_keys
from tests.support.scenarios import make_advanced_zone, make_shared_network
from tests.support.world import defaults, make_tenant

pytestmark = pytest.mark.api

LEASE = 2.0
KILLS = 10
LIMIT = 4
CLIENTS = 6
# How long a client waits for its job: the lease of a killed server, and the restarts that may follow.
WAIT = 90.0
SG_OFFERING = "DefaultSharedNetworkOfferingWithSGService"


@dataclass
class Server:
    """One `nicstack serve` process slot: killed and started again on the same port."""

    directory: Path
    database_url: str
    keys: tuple[str, str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    killed: list[str] = field(default_factory=list)  # queue names of the instances killed here

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/client/api"

    @property
    def name(self) -> str:
        """The name this instance claims jobs under (see nicstack.server.make_server)."""
        assert self.process is not None
        return f"{socket.gethostname()}:{self.port}/{self.process.pid}"

    def start(self) -> None:
        api_key, secret_key, password = self.keys
        env = {**os.environ, "NICSTACK_ADMIN_API_KEY": api_key, "NICSTACK_ADMIN_SECRET_KEY": secret_key,
               "NICSTACK_ADMIN_PASSWORD": password, "NICSTACK_JOB_LEASE_SECONDS": str(LEASE),
               "NICSTACK_JOB_POLL_SECONDS": "0.2"}
        env.pop("NICSTACK_DATABASE_URL", None)
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / "server.log").open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "nicstack.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--database-url", self.database_url],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not self.answers():
            assert self.process.poll() is None, (self.directory / "server.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the server did not answer within 60 s"
            time.sleep(0.05)

    def answers(self) -> bool:
        try:
            requests.get(self.url, params={"command": "listCapabilities"}, timeout=1)
        except requests.RequestException:
            return False
        return True

    def kill(self) -> None:
        assert self.process is not None
        self.killed.append(self.name)
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@dataclass
class Tally:
    """What one client saw: the addresses it knows it holds, and what it cannot know."""

    held: dict[str, str] = field(default_factory=dict)  # secondary uuid -> address, confirmed by a job
    released: set[str] = field(default_factory=set)  # confirmed removed
    unsure_adds: int = 0  # an add whose answer was lost with its server
    unsure_removes: set[str] = field(default_factory=set)
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


class Gone(Exception):
    """The server went away before it answered."""


def call(url: str, client: Client, command: str, **params: Any) -> dict[str, Any]:
    try:
        return Client(url, client.api_key, client.secret_key).call(command, **params)
    except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
        raise Gone(str(exc)) from None


def wait_job(servers: list[Server], client: Client, jobid: str) -> dict[str, Any]:
    """The job's end as any live server reports it; jobs of a dead server must end within its lease."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            job = call(random.choice(servers).url, client, "queryAsyncJobResult", jobid=jobid)
        except Gone:
            time.sleep(0.05)
            continue
        if job["jobstatus"] != 0:
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {jobid} still pending {WAIT} s later")


def drive(servers: list[Server], client: Client, nic: tuple[str, str], tally: Tally, stop: threading.Event,
          seed: int) -> None:
    vm_id, nic_id = nic
    rng = random.Random(seed)
    while not stop.is_set():
        url = rng.choice(servers).url
        adding = not tally.held or (len(tally.held) < LIMIT and rng.random() < 0.6)
        target = None if adding else rng.choice(sorted(tally.held))
        try:
            if adding:
                reply = call(url, client, "addIpToNic", nicid=nic_id)
            else:
                reply = call(url, client, "removeIpFromNic", id=target)
        except Gone:
            tally.outcomes["lost answer"] += 1
            time.sleep(0.05)  # the server is down: it comes back soon
            if adding:
                tally.unsure_adds += 1
            else:
                assert target is not None
                tally.unsure_removes.add(target)
                del tally.held[target]
            continue
        except ApiError as refused:
            tally.outcomes[f"refused {refused.code}"] += 1
            if refused.code == 431:  # at the limit: an add whose answer was lost did happen
                adopt(url, client, vm_id, nic_id, tally)
            continue
        job = wait_job(servers, client, reply["jobid"])
        if job["jobstatus"] != 1:
            tally.failures.append(f"{job['cmd']} job {job['jobid']}: {job['jobresult']}")
            continue
        tally.outcomes["done"] += 1
        if adding:
            secondary = job["jobresult"]["nicsecondaryip"]
            tally.held[secondary["id"]] = secondary["ipaddress"]
        else:
            assert target is not None
            tally.released.add(target)
            del tally.held[target]


def adopt(url: str, client: Client, vm_id: str, nic_id: str, tally: Tally) -> None:
    """Take up the NIC's addresses that an add with a lost answer made (the listing says they are there)."""
    try:
        [nic] = call(url, client, "listNics", virtualmachineid=vm_id, nicid=nic_id)["nic"]
    except Gone:
        return
    found = {s["id"]: s["ipaddress"] for s in nic.get("secondaryip", [])}
    for uuid, address in found.items():
        if uuid not in tally.held and uuid not in tally.unsure_removes and tally.unsure_adds > 0:
            tally.held[uuid] = address
            tally.unsure_adds -= 1


def holding_jobs(db: Database, name: str) -> bool:
    with db.read() as conn:
        count = conn.execute(select(func.count()).select_from(t.async_jobs).where(
            t.async_jobs.c.status == int(JobStatus.PENDING),
            (t.async_jobs.c.claimed_by == name) | (t.async_jobs.c.created_by == name))).scalar_one()
    return int(count) > 0


def chaos(servers: list[Server], db: Database, seed: int) -> None:
    """Kill a random server with SIGKILL while it holds a job (when one shows up soon), then restart it."""
    rng = random.Random(seed)
    for _ in range(KILLS):
        # Some uptime first: a server killed each time right after it started would never run a job.
        time.sleep(rng.uniform(0.8, 1.6))
        victim = rng.choice(servers)
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and not holding_jobs(db, victim.name):
            time.sleep(0.001)
        victim.kill()
        time.sleep(rng.uniform(0.0, 0.3))
        victim.start()


def build(admin: Client, count: int) -> tuple[Client, list[tuple[str, str]]]:
    """A tenant with `count` VMs, one NIC each, in a security-group network on two KVM hosts."""
    zone = make_advanced_zone(admin, ("KVM", "KVM"), sg=True)
    network = make_shared_network(admin, zone, SG_OFFERING, gateway="10.90.0.1", netmask="255.255.0.0",
                                  startip="10.90.1.1", endip="10.90.8.254", vlan="90")
    tenant = make_tenant(admin)
    d = defaults(admin)
    nics = []
    for i in range(count):
        vm = admin.run("deployVirtualMachine", zoneid=zone.id, serviceofferingid=d["serviceofferingid"],
                       templateid=d["templateid"], networkids=network["id"], hostid=zone.host_ids[i % 2],
                       account=tenant.account, domainid=tenant.domain_id)["virtualmachine"]
        nics.append((vm["id"], vm["nic"][0]["id"]))
    admin.call("updateConfiguration", name="vm.network.nic.max.secondary.ipaddresses", value=str(LIMIT))
    return tenant.client, nics


def check(db: Database, servers: list[Server], tallies: list[Tally], nics: list[tuple[str, str]],
          client: Client) -> None:
    deadline = time.monotonic() + LEASE + 15
    while True:
        with db.read() as conn:
            pending = conn.execute(select(func.count()).select_from(t.async_jobs)
                                   .where(t.async_jobs.c.status == int(JobStatus.PENDING))).scalar_one()
            # The routers' metadata of the jobs' VMs, queued by the jobs and published by any server's next pass.
            queued = conn.execute(select(func.count()).select_from(t.metadata_queue)).scalar_one()
        if pending == queued == 0:
            break
        assert time.monotonic() < deadline, \
            f"{pending} job(s) still pending, {queued} VM(s) queued {LEASE + 15} s after the load stopped"
        time.sleep(0.1)
    with db.read() as conn:
        jobs = conn.execute(select(t.async_jobs.c.status, t.async_jobs.c.created_by, t.async_jobs.c.claimed_by,
                                   t.async_jobs.c.result)).all()
        doubles = conn.execute(
            select(t.ip_allocations.c.network_id, t.ip_allocations.c.addr).group_by(
                t.ip_allocations.c.network_id, t.ip_allocations.c.family, t.ip_allocations.c.addr)
            .having(func.count() > 1)).all()
        per_nic = dict(conn.execute(select(t.nic_secondary_ips.c.nic_id, func.count())
                                    .group_by(t.nic_secondary_ips.c.nic_id)).tuples().all())
    failed = [j.result for j in jobs if j.status != JobStatus.SUCCEEDED]
    assert failed == [], f"{len(failed)} job(s) did not succeed: {failed[:3]}"
    killed = {name for s in servers for name in s.killed}
    assert len(killed) == KILLS
    # A job a killed instance made (or had claimed) and another instance finished: every server restarted
    # is another instance, with another name in the queue.
    rescued = [j for j in jobs if j.created_by in killed and j.claimed_by != j.created_by]
    assert rescued, "no job of a killed server was left for the others to finish: the kills missed every job"
    print(f"{len(rescued)} of {len(jobs)} jobs were made by a killed server and finished by another")
    assert doubles == [], f"addresses held twice: {doubles}"
    assert max(per_nic.values(), default=0) <= LIMIT
    for tally, (vm_id, nic_id) in zip(tallies, nics, strict=True):
        assert tally.failures == [], tally.failures
        [nic] = client.items("listNics", "nic", virtualmachineid=vm_id, nicid=nic_id)
        present = {s["id"]: s["ipaddress"] for s in nic.get("secondaryip", [])}
        assert tally.held.items() <= present.items(), "an add a client saw succeed is not stored"
        assert not tally.released & present.keys(), "a remove a client saw succeed did not stick"
        extra = present.keys() - tally.held.keys() - tally.unsure_removes
        assert len(extra) <= tally.unsure_adds, (extra, tally)
    assert drift(SqlUnitOfWork(db)) == [], "published documents do not match the committed state"


def crash_test(tmp_path: Path, database_url: str, count: int) -> None:
    keys = new_admin_keys()
    servers = [Server(tmp_path / f"server-{i}", database_url, keys) for i in range(count)]
    db = Database(database_url, pool=False)
    try:
        for server in servers:
            server.start()
        admin = Client(servers[0].url, keys[0], keys[1])
        client, nics = build(admin, CLIENTS)
        tallies = [Tally() for _ in nics]
        stop = threading.Event()
        drivers = [threading.Thread(target=drive, args=(servers, client, nic, tally, stop, i))
                   for i, (nic, tally) in enumerate(zip(nics, tallies, strict=True))]
        for thread in drivers:
            thread.start()
        try:
            chaos(servers, db, seed=len(servers))
        finally:
            stop.set()
            for thread in drivers:
                thread.join(120)
        seen = sum((t_.outcomes for t_ in tallies), Counter())
        print(f"crash test on {count} server(s): {dict(seen)}")
        assert seen["done"] >= 30, seen
        check(db, servers, tallies, nics, client)
    finally:
        for server in servers:
            server.stop()
        db.dispose()


def test_three_servers_on_postgresql_survive_ten_kills_under_load(tmp_path: Path, postgres_url: str) -> None:
    crash_test(tmp_path, postgres_url, 3)


def test_one_server_on_sqlite_survives_ten_kills_under_load(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    crash_test(tmp_path, f"sqlite:///{tmp_path}/data/nicstack.db", 1)
