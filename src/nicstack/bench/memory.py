"""Peak memory of a fresh server process that lists 100,000 stored secondary IPs."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from ipaddress import IPv4Address, ip_network
from pathlib import Path
from typing import Any

from sqlalchemy import select

from nicstack.bench.client import BenchError, Client, ServerProcess
from nicstack.bench.progress import Progress
from nicstack.bench.world import deploy_many, make_network, make_world
from nicstack.db import tables as t
from nicstack.db.database import Database
from nicstack.db.rows import new_uuid, now
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.kinds import AllocationKind
from nicstack.ipam.addresses import int_to_key, key_to_int, usable_bounds

NETWORKS = 4
# Under the default per-NIC limit (256), as addIpToNic would have kept it.
PER_NIC = 250
PAGE_SIZE = 500  # CloudStack's default.page.size
TARGET_MB = 300.0
CHUNK = 5_000


@dataclass(frozen=True)
class MemoryResult:
    secondary_ips: int
    vms: int
    nics: int
    baseline_mb: float  # VmHWM of the fresh server after one trivial request
    peak_mb: float  # VmHWM after listing every VM and NIC
    rss_after_mb: float
    ratio: float  # peak / baseline
    listed_by_vms: int  # secondary IPs seen in listVirtualMachines
    listed_by_nics: int  # secondary IPs seen in listNics
    list_vms_seconds: float
    list_nics_seconds: float
    target_mb: float
    met: bool


def _store(database: Path, count: int, bar: Progress) -> None:
    """Insert `count` secondary IPs spread over every user NIC, as addIpToNic stores them."""
    db = Database(f"sqlite:///{database}")
    uow = SqlUnitOfWork(db)
    try:
        with uow:
            nics = uow.conn.execute(
                select(t.nics.c.id, t.nics.c.vm_id, t.nics.c.network_id, t.vms.c.account_id, t.vms.c.domain_id)
                .select_from(t.nics.join(t.vms, t.vms.c.id == t.nics.c.vm_id))
                .where(t.nics.c.removed.is_(None), t.vms.c.vm_type == "User")
                .order_by(t.nics.c.id)
            ).all()
            nets = {r.id: r.cidr for r in uow.conn.execute(select(t.networks.c.id, t.networks.c.cidr))}
            used: dict[int, set[int]] = {}
            for network_id, addr in uow.conn.execute(
                select(t.ip_allocations.c.network_id, t.ip_allocations.c.addr).where(t.ip_allocations.c.family == 4)
            ):
                used.setdefault(network_id, set()).add(key_to_int(addr))
            next_id = int(uow.conn.execute(select(t.nic_secondary_ips.c.id).order_by(t.nic_secondary_ips.c.id.desc())
                                       .limit(1)).scalar() or 0) + 1
        if len(nics) * PER_NIC < count:
            raise BenchError(f"{len(nics)} NICs cannot hold {count} secondary IPs at {PER_NIC} each")
        cursor: dict[int, int] = {}
        secondaries: list[dict[str, Any]] = []
        allocations: list[dict[str, Any]] = []
        stamp = now()
        for index, nic in enumerate(nics):
            share = count // len(nics) + (1 if index < count % len(nics) else 0)
            low, high = usable_bounds(ip_network(nets[nic.network_id]))
            taken = used.setdefault(nic.network_id, set())
            value = cursor.get(nic.network_id, low)
            for _ in range(share):
                while value in taken:
                    value += 1
                if value > high:
                    raise BenchError(f"network {nic.network_id} ran out of addresses")
                taken.add(value)
                secondaries.append({
                    "id": next_id, "uuid": new_uuid(), "nic_id": nic.id, "vm_id": nic.vm_id,
                    "network_id": nic.network_id, "ip4_address": str(IPv4Address(value)),
                    "ip6_address": None, "account_id": nic.account_id, "domain_id": nic.domain_id, "created": stamp,
                })
                allocations.append({
                    "network_id": nic.network_id, "family": 4, "addr": int_to_key(value),
                    "kind": str(AllocationKind.SECONDARY), "nic_id": nic.id, "secondary_id": next_id,
                    "created": stamp,
                })
                next_id += 1
            cursor[nic.network_id] = value
        for start in range(0, count, CHUNK):
            with uow:
                uow.conn.execute(t.nic_secondary_ips.insert(), secondaries[start:start + CHUNK])
                uow.conn.execute(t.ip_allocations.insert(), allocations[start:start + CHUNK])
            bar.advance(min(CHUNK, count - start))
        with uow:
            holders = sorted({row["nic_id"] for row in secondaries})
            uow.conn.execute(t.nics.update().where(t.nics.c.id.in_(holders)).values(secondary_ip=1))
            for network_id, value in cursor.items():
                uow.conn.execute(t.networks.update().where(t.networks.c.id == network_id).values(ip4_cursor=value))
    finally:
        db.dispose()


def _count(vms: list[dict[str, Any]]) -> int:
    return sum(len(nic.get("secondaryip", [])) for vm in vms for nic in vm.get("nic", []))


def run(workdir: Path, quick: bool) -> MemoryResult:
    count = 10_000 if quick else 100_000
    vm_count = math.ceil(math.ceil(count / PER_NIC) / NETWORKS)
    database = workdir / "memory.db"
    builder = ServerProcess(workdir, database)
    with builder:
        admin = Client(builder.keys)
        with Progress(f"memory: world of {vm_count} VMs x {NETWORKS} NICs", vm_count + NETWORKS + 1) as bar:
            world = make_world(admin)
            bar.advance()
            networks = []
            for i in range(NETWORKS):
                networks.append(make_network(admin, world, gateway=f"10.{32 + i}.0.1", netmask="255.255.0.0"))
                bar.advance()
            vms = deploy_many(builder.keys, world, [n["id"] for n in networks], vm_count, bar.advance)
        admin.close()
    # Stored while no server runs: the fresh server below finds them all on disk.
    with Progress(f"memory: store {count:,} secondary IPs", count) as bar:
        _store(database, count, bar)
    server = ServerProcess(workdir, database, (builder.keys.api_key, builder.keys.secret_key))
    with server:
        client = Client(server.keys)
        client.call("listCapabilities")
        baseline = server.peak_rss_kb()
        with Progress("memory: list every VM and NIC", 2 * len(vms)) as bar:
            began = time.perf_counter()
            by_vms, page = 0, 1
            ids: list[str] = []
            while True:
                found = client.items("listVirtualMachines", "virtualmachine", listall=True, page=page,
                                     pagesize=PAGE_SIZE)
                by_vms += _count(found)
                ids.extend(vm["id"] for vm in found)
                bar.advance(len(found))
                if len(found) < PAGE_SIZE:
                    break
                page += 1
            vms_seconds = time.perf_counter() - began
            began = time.perf_counter()
            by_nics = 0
            for vm_id in ids:
                nics = client.items("listNics", "nic", virtualmachineid=vm_id)
                by_nics += sum(len(nic.get("secondaryip", [])) for nic in nics)
                bar.advance()
            nics_seconds = time.perf_counter() - began
        peak, rss = server.peak_rss_kb(), server.rss_kb()
        client.close()
    peak_mb = peak / 1024
    return MemoryResult(
        secondary_ips=count, vms=len(vms), nics=len(vms) * NETWORKS, baseline_mb=baseline / 1024, peak_mb=peak_mb,
        rss_after_mb=rss / 1024, ratio=peak / baseline, listed_by_vms=by_vms, listed_by_nics=by_nics,
        list_vms_seconds=vms_seconds, list_nics_seconds=nics_seconds, target_mb=TARGET_MB,
        met=peak_mb < TARGET_MB,
    )
