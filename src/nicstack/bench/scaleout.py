"""addIpToNic with 1, 2 and 3 `nicstack serve` processes on one PostgreSQL: across many networks and within one.

The same clients (six load processes of three threads) spread over the servers; each phase
reports the rate, the latency, the servers' CPU per reservation and the time spent taking
network row locks per reservation (from each server's /metrics). Within one network every
allocation waits for the network's lock, so more servers add waiting, not rate: the rows
side by side say where the ceiling is.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import re
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import requests
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from nicstack.bench.client import BenchError, Client, ServerProcess
from nicstack.bench.http import Plan, ThreadOut, load_process
from nicstack.bench.progress import Progress
from nicstack.bench.stats import percentile
from nicstack.bench.table import num, render
from nicstack.bench.world import deploy_many, make_network, make_world, nic_ids

ADMIN_URL = os.environ.get("NICSTACK_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SERVERS = (1, 2, 3)
PROCESSES, THREADS = 6, 3
NETWORKS = 16
VMS = 96  # per layout: NICs enough that the per-NIC limit (256) never refuses a measured add
_METRIC = re.compile(r"^(nicstack_network_lock(?:s|_wait_seconds)_total) ([0-9.e+-]+)$", re.M)


@dataclass(frozen=True)
class ScalePhase:
    layout: str
    servers: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    server_cpu_ms: float  # all servers' CPU time per answered add (their job workers included)
    lock_wait_ms: float  # time taking network row locks, per lock
    per_core: float  # answered adds per second of server CPU: what one core would give


@dataclass(frozen=True)
class ScaleResult:
    phases: list[ScalePhase]
    cores: int | None
    notes: list[str]


def _throwaway_database() -> tuple[sa.Engine, str]:
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"nicstack_bench_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    except sa.exc.OperationalError as exc:
        admin.dispose()
        raise BenchError(f"PostgreSQL is unreachable at {ADMIN_URL} (set NICSTACK_BENCH_PG_ADMIN_URL): "
                         f"{str(exc).splitlines()[0]}") from None
    return admin, f"{ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def _locks(server: ServerProcess) -> tuple[float, float]:
    """(locks taken, seconds spent taking them) so far, as the server's /metrics tells."""
    text = requests.get(server.keys.url.replace("/client/api", "/metrics"), timeout=10).text
    found = dict(_METRIC.findall(text))
    return (float(found.get("nicstack_network_locks_total", 0)),
            float(found.get("nicstack_network_lock_wait_seconds_total", 0)))


def _forget_secondaries(url: str) -> None:
    """Between phases: every NIC back to no secondary IP, so each phase starts from the same state."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM ip_allocations WHERE kind = 'secondary'")
            conn.exec_driver_sql("DELETE FROM nic_secondary_ips")
            conn.exec_driver_sql("UPDATE nics SET secondary_ip = 0")
            conn.exec_driver_sql("UPDATE networks SET ip4_cursor = NULL")
    finally:
        engine.dispose()


def _phase(layout: str, servers: list[ServerProcess], nics: list[str], warmup: float,
           duration: float) -> ScalePhase:
    ctx = mp.get_context("spawn")
    results, go, start = ctx.Queue(), ctx.Event(), ctx.Value("d", 0.0)
    per_thread = [tuple(nics[i::PROCESSES * THREADS]) for i in range(PROCESSES * THREADS)]
    plans = [Plan(servers[p % len(servers)].keys, "addIpToNic", tuple(per_thread[p * THREADS:(p + 1) * THREADS]),
                  warmup, duration) for p in range(PROCESSES)]
    procs = [ctx.Process(target=load_process, args=(plan, i, start, go, results), daemon=True)
             for i, plan in enumerate(plans)]
    for proc in procs:
        proc.start()
    try:
        for _ in procs:
            kind, index, payload = results.get(timeout=120)
            if kind == "failed":
                raise BenchError(f"load process {index} failed: {payload}")
        t0 = time.time() + 0.2
        start.value = t0
        go.set()
        with Progress(f"{layout}, {len(servers)} server(s)", warmup + duration) as bar:
            while time.time() < t0 + warmup:
                bar.update(time.time() - t0)
                time.sleep(0.05)
            cpu0, locks0 = sum(s.cpu_seconds() for s in servers), [_locks(s) for s in servers]
            while time.time() < t0 + warmup + duration:
                bar.update(time.time() - t0)
                time.sleep(0.05)
            cpu1, locks1 = sum(s.cpu_seconds() for s in servers), [_locks(s) for s in servers]
        outs: list[ThreadOut] = []
        for _ in procs:
            kind, index, payload = results.get(timeout=120)
            if kind != "done":
                raise BenchError(f"load process {index} failed: {payload}")
            outs.extend(payload[0])
    finally:
        go.set()
        for proc in procs:
            proc.join(30)
    latencies = [x for o in outs for x in o.latencies_ms]
    taken = sum(b[0] - a[0] for a, b in zip(locks0, locks1, strict=True))
    waited = sum(b[1] - a[1] for a, b in zip(locks0, locks1, strict=True))
    cpu = cpu1 - cpu0
    return ScalePhase(
        layout=layout, servers=len(servers), rps=len(latencies) / duration, p50_ms=percentile(latencies, 0.5),
        p99_ms=percentile(latencies, 0.99), errors=sum(o.window_errors for o in outs),
        server_cpu_ms=cpu * 1000 / len(latencies) if latencies else math.nan,
        lock_wait_ms=waited * 1000 / taken if taken else math.nan,
        per_core=len(latencies) / cpu if cpu else math.nan,
    )


def run(workdir: Path, quick: bool) -> ScaleResult:
    warmup, duration = (1.0, 3.0) if quick else (2.0, 8.0)
    admin_engine, url = _throwaway_database()
    name = url.rsplit("/", 1)[1]
    phases: list[ScalePhase] = []
    for i in range(max(SERVERS)):
        (workdir / f"s{i}").mkdir()
    try:
        with ExitStack() as stack:
            first = stack.enter_context(ServerProcess(workdir / "s0", url))
            servers = [first] + [stack.enter_context(ServerProcess(workdir / f"s{i}", url,
                                                                   (first.keys.api_key, first.keys.secret_key)))
                                 for i in (1, 2)]
            admin = Client(first.keys)
            world = make_world(admin)
            layouts: dict[str, list[str]] = {}
            with Progress(f"world: {NETWORKS + 1} networks, {2 * VMS} VMs", 2 * VMS) as bar:
                many = [make_network(admin, world, gateway=f"10.{40 + i}.0.1", netmask="255.255.0.0")["id"]
                        for i in range(NETWORKS)]
                one = make_network(admin, world, gateway="10.99.0.1", netmask="255.255.0.0")["id"]
                layouts["many networks"] = nic_ids(
                    [vm for i in range(NETWORKS)
                     for vm in deploy_many(first.keys, world, [many[i]], VMS // NETWORKS, bar.advance)])
                layouts["one network"] = nic_ids(deploy_many(first.keys, world, [one], VMS, bar.advance))
            admin.close()
            for layout, nics in layouts.items():
                for count in SERVERS:
                    _forget_secondaries(url)
                    phases.append(_phase(layout, servers[:count], nics, warmup, duration))
    finally:
        with admin_engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin_engine.dispose()
    notes = []
    if any(p.errors for p in phases):
        notes.append("some adds were refused during a measured window (see errors)")
    return ScaleResult(phases, os.cpu_count(), notes)


def scale_table(r: ScaleResult) -> str:
    base = {p.layout: p.rps for p in r.phases if p.servers == 1}
    rows = [[p.layout, str(p.servers), num(p.rps, 0), f"{p.rps / base[p.layout]:.2f}x" if base.get(p.layout) else "-",
             num(p.p50_ms), num(p.p99_ms), num(p.server_cpu_ms, 2), num(p.lock_wait_ms, 2), num(p.per_core, 0),
             str(p.errors)] for p in r.phases]
    head = (f"Scale-out: addIpToNic on one PostgreSQL, {PROCESSES * THREADS} clients spread over the servers "
            f"({r.cores} CPUs here: the servers, PostgreSQL and the clients share them, so per-core figures say "
            "what more cores would give)")
    table = render(["layout", "servers", "adds/s", "vs 1", "p50 ms", "p99 ms", "CPU ms/add", "lock ms",
                    "adds/CPU s", "errors"], rows)
    return "\n".join([head, table, *r.notes])
