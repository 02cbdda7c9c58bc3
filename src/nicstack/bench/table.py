"""Plain-text tables of the benchmark's figures."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nicstack.bench.allocator import AllocatorResult
    from nicstack.bench.http import HttpResult
    from nicstack.bench.logins import LoginResult
    from nicstack.bench.memory import MemoryResult


def render(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; the first column left-aligned, the rest right-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        out = [str(cells[0]).ljust(widths[0])]
        out += [str(cell).rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def num(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def http_table(r: HttpResult, warmup: float) -> str:
    first = r.phases[0]
    head = (f"HTTP: one server process on SQLite, {first.clients} signed clients (keep-alive), "
            f"{num(first.seconds, 0)} s per phase after {num(warmup, 0)} s warm-up")
    rows = [[p.command, num(p.rps), num(p.p50_ms, 2), num(p.p99_ms, 2), num(p.max_ms, 1), str(p.errors),
             num(p.server_cpu, 2), num(p.server_cpu_ms, 2), num(p.client_cpu, 2)] for p in r.phases]
    table = render(["command", "req/s", "p50 ms", "p99 ms", "max ms", "errors", "server CPU", "CPU ms/req",
                    "clients CPU"], rows)
    add = r.phases[1]
    jobs = r.jobs
    drain = f"drained in {num(r.drain_seconds, 2)} s" if r.drain_seconds is not None else "NOT drained"
    lines = [
        head,
        table,
        f"addIpToNic / listCapabilities req/s: {num(r.ratio, 3)}x "
        f"(baseline: mean of the two listCapabilities runs, {num(r.trivial_rps)} req/s)",
        f"target addIpToNic >= {num(r.target_rps, 0)} req/s: measured {num(add.rps)} -> {verdict(r.rps_met)}; "
        f"p99 <= {num(r.target_p99_ms, 0)} ms: measured {num(add.p99_ms, 2)} -> {verdict(r.p99_met)}",
        f"jobs: {r.accepted:,} addIpToNic accepted (warm-up included) on {r.nics} NICs of {r.vms} VMs; "
        f"{jobs.get('succeeded', 0):,} succeeded, {jobs.get('failed', 0):,} failed, "
        f"{jobs.get('pending', 0):,} pending; {r.backlog_at_end:,} pending when the load stopped, {drain}; "
        f"{r.secondary_rows:,} secondary IPs stored; queryAsyncJobResult on {r.sample_checked}: "
        f"{r.sample_succeeded} succeeded",
        f"server/clients CPU: cores used during the measured window ({os.cpu_count()} cores shared by the server, "
        "the clients and whatever else runs); CPU ms/req: server CPU time per answered request, job worker "
        "included",
    ]
    lines += [f"error: {count} x {kind}" for kind, count in sorted(r.error_kinds.items())]
    lines += [f"note: {n}" for n in r.notes]
    return "\n".join(lines)


def _used(cell_used: int | None, note: str) -> str:
    if cell_used is None:
        return note
    return f"{cell_used:,}" + (f" ({note})" if note else "")


def allocator_table(r: AllocatorResult) -> str:
    rows = []
    for c in r.cells:
        rows.append([
            c.network, f"{c.fill:,}", _used(c.used, c.note),
            num(c.any_us, 0), num(c.any_ratio, 2), num(c.given_us, 0), num(c.given_ratio, 2),
            num(c.add_any_us, 0), num(c.add_any_ratio, 2), num(c.add_given_us, 0), num(c.add_given_ratio, 2),
        ])
    table = render(["network", "fill", "used in pool", "pick any us", "x/24", "pick given us", "x/24",
                    "addIpToNic any us", "x/24", "addIpToNic given us", "x/24"], rows)
    return "\n".join([
        f"Allocator: median of {r.calls} calls per cell in process on SQLite (addIpToNic columns: {r.add_calls}); "
        "used addresses placed at random (fixed seed), cursor reset to the pool's start",
        table,
        "pick = guest_ips.take (any / given) under the network lock; addIpToNic = the whole service call "
        "(its auto-pick takes IPv4 first, so it never reaches the /64); x/24 = ratio to the /24 at the same fill",
        f"target /8 and /64 within {num(r.target_ratio, 0)}x of /24: worst pick any {num(r.worst_any_ratio, 2)}x, "
        f"worst pick given {num(r.worst_given_ratio, 2)}x -> {verdict(r.met)}",
    ])


def memory_table(r: MemoryResult) -> str:
    rows = [
        ["VmHWM after start (baseline)", num(r.baseline_mb), "1.00x"],
        ["VmHWM after listing (peak)", num(r.peak_mb), f"{num(r.ratio, 2)}x"],
        ["VmRSS after listing", num(r.rss_after_mb), f"{num(r.rss_after_mb / r.baseline_mb, 2)}x"],
    ]
    return "\n".join([
        f"Memory: a fresh server process listing {r.secondary_ips:,} stored secondary IPs "
        f"({r.vms} VMs x {r.nics // max(r.vms, 1)} NICs)",
        render(["server process", "MB", "x baseline"], rows),
        f"listed: {r.listed_by_vms:,} by listVirtualMachines (pagesize 500, {num(r.list_vms_seconds, 2)} s), "
        f"{r.listed_by_nics:,} by listNics per VM ({num(r.list_nics_seconds, 2)} s)",
        f"target peak < {num(r.target_mb, 0)} MB: measured {num(r.peak_mb)} MB -> {verdict(r.met)}",
    ])


def login_table(r: LoginResult) -> str:
    rows = [[p.name, num(p.attempts_per_s), f"{p.checked:,}", f"{p.throttled:,}", num(p.login_p50_ms, 1),
             num(p.others_rps, 0), num(p.others_p50_ms, 2), num(p.others_p99_ms, 2), f"{num(p.p50_ratio, 2)}x",
             f"{num(p.p99_ratio, 2)}x"] for p in r.phases]
    steady = r.phases[1]
    lines = [
        f"Logins: one server process on SQLite; 4 other clients send listCapabilities every 10 ms while wrong "
        f"passwords are tried, {num(r.seconds, 0)} s per phase (lockout off, so every guess is checked)",
        render(["phase", "logins/s", "checked (401)", "throttled (429)", "login p50 ms", "others req/s",
                "others p50 ms", "others p99 ms", "p50 x base", "p99 x base"], rows),
        "checked = the password was hashed (PBKDF2, 100,000 rounds) in a worker thread, off the request loop; "
        "throttled = answered 429 before any hashing (what a flood costs then is its request volume)",
        f"target others' p50 <= {num(r.target_ratio, 0)}x baseline at the issue's rate "
        f"(before: 5-6 ms -> 27-30 ms, 5x): measured {num(steady.p50_ratio, 2)}x -> {verdict(r.met)}",
    ]
    lines += [f"note: {n}" for n in r.notes]
    return "\n".join(lines)
