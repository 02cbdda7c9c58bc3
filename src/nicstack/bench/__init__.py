"""`nicstack bench`: HTTP throughput, allocator cost, server memory and data-plane convergence, as ratios to same-run
baselines."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from nicstack.bench.client import BenchError
from nicstack.bench.progress import note


def _cpu_reference() -> float:
    """CPU seconds of a fixed pure-Python loop: lets readers compare machines, not a target."""
    began = time.process_time()
    sum(range(10_000_000))
    return time.process_time() - began


def _clean(value: Any) -> Any:
    """JSON has no NaN or infinity: report them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def main(args: argparse.Namespace) -> int:
    # Imported here: the sections pull in the server, which `nicstack --help` should not pay for.
    from nicstack.bench import allocator, bulk, convergence, http, logins, memory, metadata, scaleout, table  # noqa: PLC0415

    quick = bool(getattr(args, "quick", False))
    as_json = bool(getattr(args, "json", False))
    started = time.monotonic()
    meta: dict[str, Any] = {
        "quick": quick, "python": platform.python_version(), "cpus": os.cpu_count(),
        "load_average_at_start": list(os.getloadavg()), "cpu_reference_s": _cpu_reference(),
    }
    sections: list[tuple[str, Callable[[Path, bool], Any]]] = [
        ("http", http.run), ("scaleout", scaleout.run), ("logins", logins.run), ("allocator", allocator.run),
        ("bulk", bulk.run), ("metadata", metadata.run), ("memory", memory.run), ("convergence", convergence.run),
    ]
    only = getattr(args, "only", None)
    if only:
        sections = [(name, run) for name, run in sections if name in only]
    results: dict[str, Any] = {}
    failures: dict[str, str] = {}
    walls: dict[str, float] = {}
    note(f"nicstack bench{' --quick' if quick else ''}: progress on stderr, figures on stdout")
    with tempfile.TemporaryDirectory(prefix="nicstack-bench-") as tmp:
        for name, run in sections:
            workdir = Path(tmp) / name
            workdir.mkdir()
            began = time.monotonic()
            try:
                results[name] = run(workdir, quick)
            except BenchError as exc:
                failures[name] = str(exc)
            except Exception as exc:
                failures[name] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
            walls[name] = time.monotonic() - began
            if name in failures:
                note(f"{name}: FAILED: {failures[name].splitlines()[0]}")
    meta["wall_seconds"] = time.monotonic() - started
    meta["section_seconds"] = walls
    if as_json:
        body = {"meta": meta, **{k: asdict(v) for k, v in results.items()}, "failures": failures}
        print(json.dumps(_clean(body), indent=2))
    else:
        print(_text(meta, results, failures, table, 1.0 if quick else 2.0))
    sys.stdout.flush()
    return 1 if failures else 0


def _text(meta: dict[str, Any], results: dict[str, Any], failures: dict[str, str], table: Any,
          warmup: float) -> str:
    walls = meta["section_seconds"]
    parts = [
        f"nicstack bench{' --quick' if meta['quick'] else ''}: python {meta['python']}, {meta['cpus']} CPUs, "
        f"load average at start {meta['load_average_at_start'][0]:.2f}, CPU reference loop "
        f"{meta['cpu_reference_s']:.3f} s, wall {meta['wall_seconds']:.1f} s "
        f"({', '.join(f'{k} {v:.1f} s' for k, v in walls.items())})",
    ]
    from nicstack.bench.bulk import bulk_table  # noqa: PLC0415
    from nicstack.bench.convergence import convergence_table  # noqa: PLC0415
    from nicstack.bench.metadata import metadata_table  # noqa: PLC0415
    from nicstack.bench.scaleout import scale_table  # noqa: PLC0415

    renderers = {"http": lambda r: table.http_table(r, warmup), "scaleout": scale_table, "bulk": bulk_table,
                 "metadata": metadata_table, "logins": table.login_table,
                 "allocator": table.allocator_table, "memory": table.memory_table,
                 "convergence": convergence_table}
    for name, render in renderers.items():
        if name in results:
            parts.append(render(results[name]))
        elif name in failures:
            parts.append(f"{name}: FAILED\n{failures[name]}")
    return "\n\n".join(parts)
