"""The metadata service's answer time at the router, against a constant answer of the same HTTP server.

The service is the agent's own (`agent.metadata_server`), on loopback, answering a document of
500 VMs with 8 secondary addresses each; the kernel's neighbour table is the one part replaced
(loopback has none). The baseline is the same threaded HTTP server answering a fixed body: the
ratio is what the metadata adds, the absolute time is what a guest waits (target: under 5 ms).
Last, how long a replaced document takes to be answered from: the metadata's part of convergence.
"""

from __future__ import annotations

import http.client
import os
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address, IPv4Network, IPv6Address
from pathlib import Path
from statistics import median
from threading import Thread
from uuid import UUID

from nicstack.agent.metadata_server import MetadataService
from nicstack.bench.client import BenchError
from nicstack.bench.progress import Progress
from nicstack.bench.table import num, render
from nicstack.render.metadata import Metadata, NicMetadata, VmMetadata, render_metadata

VMS = 500
SECONDARIES = 8
ASKING = 250  # the VM whose NIC holds 127.0.0.1


def _mac(number: int) -> str:
    return ":".join(f"{b:02x}" for b in (2, 0, 0, (number >> 16) & 255, (number >> 8) & 255, number & 255))


def _document(extra: IPv4Address | None = None) -> Metadata:
    """The bench's VMs; `extra`, one more secondary address of the VM that asks (a change to look for)."""
    vms = []
    for number in range(VMS):
        base = int(IPv4Address("10.8.0.0")) + number * 16
        primary = IPv4Address("127.0.0.1") if number == ASKING else IPv4Address(base + 1)
        nic = NicMetadata(
            mac=_mac(number), device=0, uuid=UUID(int=10_000 + number), network=UUID(int=1), default=True,
            ipv4=(primary, *(IPv4Address(base + 2 + i) for i in range(SECONDARIES)),
                  *((extra,) if extra is not None and number == ASKING else ())),
            ipv4_subnet=IPv4Network("10.8.0.0/16"), ipv4_gateway=IPv4Address("10.8.0.1"))
        vms.append(VmMetadata(UUID(int=number + 1), f"vm-{number}", "bench-zone", "Small", (nic,)))
    return Metadata(tuple(vms))


def _neighbour(address: IPv4Address | IPv6Address) -> str | None:
    return _mac(ASKING) if address == IPv4Address("127.0.0.1") else None


class _Constant(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # as the metadata server: the same HTTP path, without the metadata

    def do_GET(self) -> None:
        body = b"10.8.0.1"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass(frozen=True)
class MetadataRow:
    what: str
    median_ms: float
    ratio: float


@dataclass(frozen=True)
class MetadataResult:
    requests: int
    rows: list[MetadataRow]
    follow_ms: float  # a replaced document to the first answer from it
    changes: int


def _timed(port: int, path: str, count: int, bar: Progress) -> list[float]:
    """Samples of GET `path` on one kept-alive connection, as cloud-init makes them."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    samples = []
    try:
        for _ in range(count):
            began = time.perf_counter()
            conn.request("GET", path)
            reply = conn.getresponse()
            reply.read()
            samples.append(time.perf_counter() - began)
            if reply.status != 200:
                raise BenchError(f"GET {path} answered {reply.status}")
            bar.advance()
    finally:
        conn.close()
    return samples


def _followed(port: int, path: str, document: Path, changes: int, bar: Progress) -> list[float]:
    """Seconds from a new document renamed into place (as the agent publishes) to the first answer from it."""
    samples = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for turn in range(changes):
            extra = IPv4Address("10.9.0.0") + turn
            candidate = document.with_suffix(".new")
            candidate.write_text(render_metadata(_document(extra)))
            os.replace(candidate, document)
            began = time.perf_counter()
            while time.perf_counter() - began < 10:
                conn.request("GET", path)
                if str(extra) in conn.getresponse().read().decode():
                    break
            else:
                raise BenchError(f"the metadata server did not answer from a new document within 10 s ({extra})")
            samples.append(time.perf_counter() - began)
            bar.advance()
    finally:
        conn.close()
    return samples


def run(workdir: Path, quick: bool) -> MetadataResult:
    count, changes = (200, 10) if quick else (2000, 40)
    document = workdir / "metadata.json"
    document.write_text(render_metadata(_document()))
    service = MetadataService(document, [("127.0.0.1", 0)], _neighbour)
    constant = ThreadingHTTPServer(("127.0.0.1", 0), _Constant)
    Thread(target=constant.serve_forever, daemon=True).start()
    service.start()
    port = service.addresses[0][1]
    addresses = f"/latest/meta-data/network/interfaces/macs/{_mac(ASKING)}/local-ipv4s"
    try:
        with Progress("metadata: constant, addresses, a new document", count * 2 + changes) as bar:
            base = _timed(constant.server_address[1], "/", count, bar)
            served = _timed(port, addresses, count, bar)
            followed = _followed(port, addresses, document, changes, bar)
    finally:
        service.stop()
        constant.shutdown()
        constant.server_close()
    baseline = median(base)
    rows = [MetadataRow(what, median(samples) * 1e3, median(samples) / baseline) for what, samples in (
        ("constant answer (baseline)", base), ("local-ipv4s of one NIC", served))]
    return MetadataResult(count, rows, median(followed) * 1e3, changes)


def metadata_table(r: MetadataResult) -> str:
    head = (f"Metadata at the router: median of {r.requests} GETs on one kept-alive connection, {VMS} VMs with "
            f"{SECONDARIES} secondary addresses each; ratio to the same server's constant answer (target: under 5 ms)")
    rows = [[row.what, num(row.median_ms, 3), f"{row.ratio:.2f}x"] for row in r.rows]
    rows.append([f"a new document answered (rename to first answer, median of {r.changes})", num(r.follow_ms, 1),
                 "-"])
    return "\n".join([head, render(["answer", "median ms", "x constant"], rows)])
