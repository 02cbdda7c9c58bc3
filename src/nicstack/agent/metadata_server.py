"""The router's metadata service: answers each VM from its own entry of the published metadata document.

It runs inside the router's network namespace (the router agent starts it there) and listens on the
guest-side addresses only: 169.254.169.254 and the guest gateways. A request is matched to a VM by
its source address and by the MAC the kernel's neighbour table holds for that address on this
router, so a VM cannot ask as another one by sending anything; a source no NIC of the document
holds gets 404 with no data. The document is re-read when its file changes (the agent replaces it
by a rename, so a reader sees the old one or the new one, never half of one).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socketserver
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path
from typing import Any

from nicstack.render.metadata import NicMetadata, VmMetadata, entries, keys_of, parse_vm
from nicstack.render.metadata_paths import NOT_FOUND, Answer, answer

log = logging.getLogger("nicstack.agent.metadata")
ARP_TABLE = Path("/proc/net/arp")
_COMPLETE = 0x2
# How often a replaced document is looked for: part of the time a change takes to reach the guests.
WATCH_INTERVAL = 0.1

Neighbours = Callable[[IPv4Address | IPv6Address], str | None]


def kernel_neighbour(address: IPv4Address | IPv6Address) -> str | None:
    """The MAC this namespace's ARP table holds for `address` (complete entries only), lower case."""
    if address.version != 4:
        return None
    try:
        lines = ARP_TABLE.read_text().splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) >= 4 and fields[0] == str(address) and int(fields[2], 16) & _COMPLETE:
            return fields[3].lower()
    return None


class Document:
    """The metadata document on disk, indexed again whenever its file is replaced.

    The index maps (MAC, address text) to a VM's unparsed entry; an entry is parsed when its VM
    first asks. `watch` re-reads a replaced file off the request path: a request never waits for
    a large document to be indexed, it is answered from the previous one until then.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._index: dict[tuple[str, str], Mapping[str, Any]] = {}
        self._parsed: dict[int, VmMetadata] = {}

    def find(self, mac: str, address: IPv4Address | IPv6Address) -> VmMetadata | None:
        if self._stamp is None:
            self.refresh()
        with self._lock:
            entry = self._index.get((mac, str(address)))
            if entry is None:
                return None
            found = self._parsed.get(id(entry))
            if found is None:
                try:
                    found = self._parsed[id(entry)] = parse_vm(entry)
                except ValueError as exc:
                    log.error("metadata document %s: an entry is unreadable: %s", self.path, exc)
                    return None
            return found

    def refresh(self) -> None:
        """Index the file again if it was replaced since it was last read."""
        try:
            stat = os.stat(self.path)
        except OSError:
            with self._lock:
                self._stamp, self._index, self._parsed = None, {}, {}
            return
        stamp = (stat.st_ino, stat.st_mtime_ns)
        if stamp == self._stamp:
            return
        try:
            index = {key: entry for entry in entries(self.path.read_text()) for key in keys_of(entry)}
        except (OSError, ValueError) as exc:
            # Keep answering from the last good document: the agent reports the failed apply.
            log.error("metadata document %s unreadable, keeping the previous one: %s", self.path, exc)
            self._stamp = stamp
            return
        with self._lock:
            self._stamp, self._index, self._parsed = stamp, index, {}

    def watch(self, stop: threading.Event, interval: float) -> None:
        while not stop.wait(interval):
            self.refresh()


@dataclass(frozen=True, slots=True)
class Asker:
    vm: VmMetadata
    nic: NicMetadata


def identify(document: Document, neighbours: Neighbours, source: str) -> Asker | None:
    """The VM and NIC a request from `source` comes from, by the kernel's MAC for it; None for strangers."""
    try:
        address = ip_address(source.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    mac = neighbours(address)
    vm = document.find(mac, address) if mac is not None else None
    nic = vm.nic(mac) if vm is not None and mac is not None else None
    return Asker(vm, nic) if vm is not None and nic is not None else None


def _handler(document: Document, neighbours: Neighbours) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "nicstack-metadata"
        sys_version = ""
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: with Nagle on, a kept-alive client's delayed ACK
        # holds the body back 40 ms (measured: 44 ms per answer instead of well under one).
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            asker = identify(document, neighbours, self.client_address[0])
            self._send(answer(asker.vm, asker.nic, self.path) if asker is not None else NOT_FOUND)

        def do_PUT(self) -> None:
            # IMDSv2's session token, which cloud-init asks for first: any token is good here, since
            # the answer depends on who asks (the source and its MAC), never on what it sends.
            if self.path.rstrip("/") == "/latest/api/token" and identify(document, neighbours,
                                                                          self.client_address[0]):
                ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "21600")
                self._send(Answer(200, os.urandom(16).hex().encode()), {"X-aws-ec2-metadata-token-ttl-seconds": ttl})
            else:
                self._send(NOT_FOUND)

        def _send(self, reply: Answer, headers: dict[str, str] | None = None) -> None:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: object) -> None:
            log.debug("%s %s", self.client_address[0], format % args)

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        # HTTPServer asks the resolver for the address's name here: in a router namespace with no DNS
        # server answering, that hangs for the resolver's whole timeout before the first request.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])


class MetadataService:
    """One HTTP server per listening address, all answering from one document."""

    def __init__(self, document: Path, listen: Sequence[tuple[str, int]],
                 neighbours: Neighbours = kernel_neighbour, watch_interval: float = WATCH_INTERVAL) -> None:
        self.document = Document(document)
        self.watch_interval = watch_interval
        handler = _handler(self.document, neighbours)
        self.servers = [_Server(address, handler) for address in listen]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def addresses(self) -> list[tuple[str, int]]:
        return [(str(s.server_address[0]), int(s.server_address[1])) for s in self.servers]

    def start(self) -> None:
        self.document.refresh()
        jobs: list[tuple[str, Callable[[], None]]] = [
            (f"metadata {s.server_address}", s.serve_forever) for s in self.servers]
        jobs.append(("metadata document", lambda: self.document.watch(self._stop, self.watch_interval)))
        for name, target in jobs:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for server in self.servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join()


def _listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"{value!r} is not ADDRESS:PORT")
    return host.strip("[]"), int(port)


def main(argv: list[str] | None = None) -> int:
    """The process the router agent starts inside the router's namespace."""
    parser = argparse.ArgumentParser(prog="python -m nicstack.agent.metadata_server",
                                     description="Serve a router's metadata document to the VMs of its networks.")
    parser.add_argument("--document", type=Path, required=True, help="the metadata document the agent writes")
    parser.add_argument("--listen", type=_listen, action="append", required=True, metavar="ADDRESS:PORT")
    parser.add_argument("--ready-file", type=Path, help="created once every address is bound")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        service = MetadataService(args.document, args.listen)
    except OSError as exc:
        print(f"metadata service: cannot listen on {args.listen}: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    service.start()
    if args.ready_file is not None:
        args.ready_file.touch()
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    service.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
