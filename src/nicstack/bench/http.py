"""addIpToNic and listCapabilities: requests/s and latency of one server subprocess on SQLite."""

from __future__ import annotations

import http.client
import json
import math
import multiprocessing as mp
import os
import random
import sqlite3
import threading
import time
import traceback
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nicstack.api.signature import signed_query
from nicstack.bench.client import BenchError, Client, Keys, ServerProcess
from nicstack.bench.progress import Progress
from nicstack.bench.stats import percentile
from nicstack.bench.world import deploy_many, make_network, make_world, nic_ids

PROCESSES = 4
THREADS = 4
CLIENTS = PROCESSES * THREADS
NETWORKS = 4
# Stay under the default per-NIC limit (256) so the limit never refuses a measured request.
PER_NIC = 250
# Sizes the NIC pool: more NICs than this rate can fill over warm-up plus measurement.
ASSUMED_MAX_RPS = 3000
TARGET_RPS = 1000.0
TARGET_P99_MS = 50.0
LIMIT_TEXT = "Maximum number of secondary IPs"


@dataclass(frozen=True)
class Plan:
    """What one load process does; its threads start together at a wall-clock time."""

    keys: Keys
    command: str
    nics: tuple[tuple[str, ...], ...]  # per thread; empty: the command takes no parameter
    warmup: float
    duration: float


@dataclass
class ThreadOut:
    latencies_ms: list[float] = field(default_factory=list)
    accepted: int = 0  # 200 answers, warm-up included
    window_errors: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    jobids: list[str] = field(default_factory=list)  # a sample, and the last one
    dropped_nics: int = 0


@dataclass(frozen=True)
class Phase:
    command: str
    clients: int
    seconds: float
    answered: int  # 200 answers inside the measured window
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # error answers inside the window
    server_cpu: float  # cores used by the server process during the window
    client_cpu: float  # cores used by all load processes together
    server_cpu_ms: float  # server CPU time per answered request (job worker included)


@dataclass(frozen=True)
class HttpResult:
    phases: list[Phase]
    trivial_rps: float
    ratio: float  # addIpToNic rps / listCapabilities rps (mean of the runs before and after)
    target_rps: float
    target_p99_ms: float
    rps_met: bool
    p99_met: bool
    vms: int
    nics: int
    accepted: int
    backlog_at_end: int
    drain_seconds: float | None
    jobs: dict[str, int]
    secondary_rows: int
    sample_checked: int
    sample_succeeded: int
    error_kinds: dict[str, int]
    notes: list[str]


def _error_key(status: int, body: bytes) -> str:
    try:
        inner = next(iter(json.loads(body).values()))
        text = str(inner.get("errortext", ""))
    except (ValueError, AttributeError, StopIteration):
        text = body[:80].decode(errors="replace")
    return f"HTTP {status}: {text[:120]}"


def _client_thread(plan: Plan, nics: list[str], uow: http.client.HTTPConnection, path: str, t0: float,
                   out: ThreadOut) -> None:
    window_start = t0 + plan.warmup
    window_end = window_start + plan.duration
    sample_every = 64
    turn = 0
    while time.time() < t0:
        time.sleep(0.001)
    while True:
        began_wall = time.time()
        if began_wall >= window_end:
            break
        if plan.command == "addIpToNic":
            if not nics:
                break
            nic = nics[turn % len(nics)]
            params = {"nicid": nic}
        else:
            nic, params = "", {}
        turn += 1
        query = signed_query(plan.keys.api_key, plan.keys.secret_key, plan.command, params)
        began = time.perf_counter()
        try:
            uow.request("GET", f"{path}?{query}")
            reply = uow.getresponse()
            body = reply.read()
        except (OSError, http.client.HTTPException) as exc:
            key = f"connection: {type(exc).__name__}"
            out.errors[key] = out.errors.get(key, 0) + 1
            uow.close()
            # A dead server refuses at once: do not spin on the CPU the server would need.
            time.sleep(0.01)
            continue
        elapsed = time.perf_counter() - began
        inside = began_wall >= window_start and began_wall + elapsed <= window_end
        if reply.status == 200:
            out.accepted += 1
            if inside:
                out.latencies_ms.append(elapsed * 1000)
            if nic and (out.accepted % sample_every == 1 or time.time() + 0.05 >= window_end):
                out.jobids.append(str(next(iter(json.loads(body).values()))["jobid"]))
        else:
            key = _error_key(reply.status, body)
            out.errors[key] = out.errors.get(key, 0) + 1
            if inside:
                out.window_errors += 1
            if nic and LIMIT_TEXT in key:
                # This NIC is full: the rest of its thread's NICs carry on.
                nics.remove(nic)
                out.dropped_nics += 1


def load_process(plan: Plan, index: int, start: Any, go: Any, results: Any) -> None:
    """One load-generator process: its threads, each on its own keep-alive connection."""
    try:
        client = Client(plan.keys)
        conns = [http.client.HTTPConnection(client.host, client.port, timeout=60) for _ in plan.nics]
        for uow in conns:
            uow.connect()
        results.put(("ready", index, None))
        if not go.wait(120):
            raise BenchError("the start signal never came")
        t0 = float(start.value)
        cpu_before = sum(os.times()[:2])
        outs = [ThreadOut() for _ in plan.nics]
        threads = [
            threading.Thread(target=_client_thread, args=(plan, list(nics), uow, client.path, t0, out))
            for nics, uow, out in zip(plan.nics, conns, outs, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        cpu = sum(os.times()[:2]) - cpu_before
        for uow in conns:
            uow.close()
        results.put(("done", index, (outs, cpu)))
    except BaseException:
        results.put(("failed", index, traceback.format_exc()))


def _pending_jobs(database: Path) -> int:
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)) as db:
        return int(db.execute("SELECT count(*) FROM async_jobs WHERE status = 0").fetchone()[0])


def run_phase(server: ServerProcess, database: Path, command: str, per_thread: list[tuple[str, ...]],
              warmup: float, duration: float, drain: bool = False) -> tuple[Phase, list[ThreadOut], int, float | None]:
    """Run one timed phase; with `drain`, also time how long the job worker takes to catch up."""
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    go = ctx.Event()
    start = ctx.Value("d", 0.0)
    plans = [Plan(server.keys, command, tuple(per_thread[p * THREADS:(p + 1) * THREADS]), warmup, duration)
             for p in range(PROCESSES)]
    procs = [ctx.Process(target=load_process, args=(plan, i, start, go, results), daemon=True)
             for i, plan in enumerate(plans)]
    for proc in procs:
        proc.start()
    try:
        return _drive(server, database, command, results, go, start, len(procs), warmup, duration, drain)
    finally:
        go.set()
        for proc in procs:
            proc.join(30)
            if proc.is_alive():
                proc.kill()


def _drive(server: ServerProcess, database: Path, command: str, results: Any, go: Any, start: Any,
           count: int, warmup: float, duration: float, drain: bool) -> tuple[Phase, list[ThreadOut], int, float | None]:
    ready = 0
    while ready < count:
        kind, index, payload = results.get(timeout=120)
        if kind == "failed":
            raise BenchError(f"load process {index} failed: {payload}")
        ready += 1
    t0 = time.time() + 0.2
    start.value = t0
    go.set()
    window_start, window_end = t0 + warmup, t0 + warmup + duration
    cpu_start: tuple[float, float] | None = None
    backlog, drained_at = 0, None
    with Progress(f"{command}, {CLIENTS} clients", warmup + duration) as bar:
        while (now := time.time()) < window_end:
            if cpu_start is None and now >= window_start:
                cpu_start = (server.cpu_seconds(), now)
            bar.update(now - t0)
            time.sleep(max(0.0, min(0.05, (window_start if cpu_start is None else window_end) - now)))
        cpu_end = (server.cpu_seconds(), time.time())
    if cpu_start is None:
        cpu_start = cpu_end
    if drain:
        backlog = _pending_jobs(database)
        deadline = window_end + 300
        pending = backlog
        while pending and time.time() < deadline:
            time.sleep(0.02)
            pending = _pending_jobs(database)
        drained_at = time.time() - window_end if pending == 0 else None
    outs: list[ThreadOut] = []
    client_cpu = 0.0
    for _ in range(count):
        kind, index, payload = results.get(timeout=120)
        if kind != "done":
            raise BenchError(f"load process {index} failed: {payload}")
        outs.extend(payload[0])
        client_cpu += payload[1]
    latencies = [x for o in outs for x in o.latencies_ms]
    wall = max(cpu_end[1] - cpu_start[1], 1e-9)
    phase = Phase(
        command=command, clients=CLIENTS, seconds=duration, answered=len(latencies),
        rps=len(latencies) / duration, p50_ms=percentile(latencies, 0.5), p99_ms=percentile(latencies, 0.99),
        max_ms=max(latencies, default=math.nan), errors=sum(o.window_errors for o in outs),
        server_cpu=(cpu_end[0] - cpu_start[0]) / wall, client_cpu=client_cpu / (warmup + duration),
        server_cpu_ms=(cpu_end[0] - cpu_start[0]) * 1000 / len(latencies) if latencies else math.nan,
    )
    return phase, outs, backlog, drained_at


def _split(nics: list[str]) -> list[tuple[str, ...]]:
    # Interleaved, so each client's NICs span every network.
    return [tuple(nics[i::CLIENTS]) for i in range(CLIENTS)]


def run(workdir: Path, quick: bool) -> HttpResult:
    warmup, duration = (1.0, 3.0) if quick else (2.0, 10.0)
    database = workdir / "bench.db"
    nics_needed = max(CLIENTS, math.ceil(ASSUMED_MAX_RPS * (warmup + duration) / PER_NIC))
    vm_count = math.ceil(nics_needed / NETWORKS)
    notes: list[str] = []
    with ServerProcess(workdir, database) as server:
        admin = Client(server.keys)
        with Progress(f"world: {vm_count} VMs x {NETWORKS} NICs", vm_count + NETWORKS + 1) as bar:
            world = make_world(admin)
            bar.advance()
            networks = []
            for i in range(NETWORKS):
                networks.append(make_network(admin, world, gateway=f"10.{16 + i}.0.1", netmask="255.255.0.0"))
                bar.advance()
            vms = deploy_many(server.keys, world, [n["id"] for n in networks], vm_count, bar.advance)
        nics = nic_ids(vms)
        if len(nics) < vm_count * NETWORKS:
            raise BenchError(f"deployVirtualMachine returned {len(nics)} NICs for {vm_count} VMs x {NETWORKS}")
        trivial = [tuple[str, ...]() for _ in range(CLIENTS)]
        before, _, _, _ = run_phase(server, database, "listCapabilities", trivial, warmup, duration)
        add, outs, backlog, drained = run_phase(server, database, "addIpToNic", _split(nics), warmup, duration,
                                                drain=True)
        after, _, _, _ = run_phase(server, database, "listCapabilities", trivial, warmup, duration)
        sample = _job_sample(outs)
        checked, succeeded = _check_jobs(admin, sample)
        admin.close()
        jobs, rows = _job_counts(database)
    errors: Counter[str] = Counter()
    for out in outs:
        errors.update(out.errors)
    accepted = sum(o.accepted for o in outs)
    dropped = sum(o.dropped_nics for o in outs)
    if dropped:
        notes.append(f"{dropped} NIC(s) reached the per-NIC limit: the rate exceeded the pool's sizing "
                     f"({ASSUMED_MAX_RPS}/s assumed)")
    if rows != jobs.get("succeeded", 0):
        notes.append(f"{rows} secondary IP rows but {jobs.get('succeeded', 0)} succeeded addIpToNic jobs")
    if accepted != jobs.get("total", 0):
        notes.append(f"{accepted} addIpToNic requests accepted but {jobs.get('total', 0)} jobs recorded")
    if drained is None:
        notes.append("the job worker had not drained 300 s after the load stopped")
    trivial_rps = (before.rps + after.rps) / 2
    return HttpResult(
        phases=[before, add, after], trivial_rps=trivial_rps,
        ratio=add.rps / trivial_rps if trivial_rps else math.nan, target_rps=TARGET_RPS, target_p99_ms=TARGET_P99_MS,
        rps_met=add.rps >= TARGET_RPS, p99_met=add.p99_ms <= TARGET_P99_MS, vms=len(vms), nics=len(nics),
        accepted=accepted, backlog_at_end=backlog, drain_seconds=drained, jobs=jobs, secondary_rows=rows,
        sample_checked=checked, sample_succeeded=succeeded, error_kinds=dict(errors), notes=notes,
    )


def _job_sample(outs: list[ThreadOut], size: int = 64) -> list[str]:
    """Every client's last job (they finish last) and a random few of the others."""
    last = [o.jobids[-1] for o in outs if o.jobids]
    others = [j for o in outs for j in o.jobids[:-1]]
    return last + random.Random(7).sample(others, min(size, len(others)))


def _check_jobs(admin: Client, jobids: list[str]) -> tuple[int, int]:
    succeeded = 0
    for jobid in jobids:
        job = admin.call("queryAsyncJobResult", jobid=jobid)
        succeeded += job.get("jobstatus") == 1 and "nicsecondaryip" in (job.get("jobresult") or {})
    return len(jobids), succeeded


def _job_counts(database: Path) -> tuple[dict[str, int], int]:
    """addIpToNic jobs by status, and the secondary IPs stored, read from the server's database."""
    names = {0: "pending", 1: "succeeded", 2: "failed"}
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)) as db:
        rows = db.execute("SELECT status, count(*) FROM async_jobs WHERE cmd = 'addIpToNic' GROUP BY status")
        jobs = dict.fromkeys(names.values(), 0)
        jobs.update({names.get(int(status), str(status)): int(n) for status, n in rows})
        secondary = int(db.execute("SELECT count(*) FROM nic_secondary_ips").fetchone()[0])
    jobs["total"] = sum(jobs.values())
    return jobs, secondary
