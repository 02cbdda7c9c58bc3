"""A cloud's machines wired in network namespaces, built per test and torn down whatever happens.

The public side is a client namespace whose bridge `pub` holds 203.0.113.1 (the public range's
gateway) and 203.0.113.50 (a client on the internet); each router namespace plugs its public
device into it and one guest device per tier into that tier's bridge. A host namespace holds the
guest bridges, as a KVM host does; each VM is a namespace plugged into a bridge by a veth pair
named and addressed as a hypervisor would: the guest MAC inside (`eth0`, `eth1`...), libvirt's
`fe:` MAC on the host side. Inside a VM the test configures addresses with `ip addr add`,
exactly as a user of the cloud would. `close` kills every process left in the namespaces (the
tests' servers, the haproxy the router agent started) by pid and deletes the namespaces.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from tests.dataplane.peers import CONNECT, ECHO_SERVER, ECHO_STREAM_SERVER, LOAD, SLOW_SERVER, STREAM
from tests.dataplane.tools import check, require_root, require_tools, run

PUBLIC_GATEWAY = "203.0.113.1"
CLIENT = "203.0.113.50"
OTHER_CLIENT = "203.0.113.60"
PUBLIC_PREFIX = 24

def host_mac(guest_mac: str) -> str:
    """libvirt's MAC for the host side of a VM's tap: the guest MAC with its first octet fe."""
    return "fe" + guest_mac[2:]


@dataclass
class Vm:
    """A VM as a namespace: its NICs are eth0, eth1... in the order plugged."""

    topology: Topology
    ns: str
    name: str
    nics: list[dict[str, Any]] = field(default_factory=list)
    id: str = ""

    def ip(self, *argv: str) -> str:
        return check(run(["ip", "-n", self.ns, *argv]))

    def add_address(self, address: str, prefix: int = 24, nic: int = 0) -> None:
        """What the seed says the user does: `ip addr add` of the acquired address, inside the VM."""
        family = ["-6"] if ":" in address else []
        extra = ["nodad"] if ":" in address else []
        self.ip(*family, "addr", "add", f"{address}/{prefix}", "dev", f"eth{nic}", *extra)

    def del_address(self, address: str, prefix: int = 24, nic: int = 0) -> None:
        self.ip("addr", "del", f"{address}/{prefix}", "dev", f"eth{nic}")

    def connect(self, target: str, source: str | None = None, timeout: float = 1.5) -> str:
        return self.topology.connect(self.ns, target, source, timeout)

    @contextmanager
    def serving(self, *endpoints: str) -> Iterator[None]:
        with self.topology.serving(self.ns, *endpoints):
            yield


@dataclass
class ForeignRules:
    topology: Topology
    ns: str
    COMMANDS = ("-N FOREIGN", "-A FOREIGN -s 192.0.2.99/32 -j DROP", "-A INPUT -j FOREIGN",
                "-A FORWARD -s 192.0.2.0/24 -j ACCEPT", "-t nat -A POSTROUTING -s 192.0.2.0/24 -j MASQUERADE")
    SAVED = ("-A FOREIGN -s 192.0.2.99/32 -j DROP", "-A INPUT -j FOREIGN", "-A FORWARD -s 192.0.2.0/24 -j ACCEPT",
             "-A POSTROUTING -s 192.0.2.0/24 -j MASQUERADE", ":FOREIGN - [0:0]")

    def survived(self) -> bool:
        saved = self.topology.saved(self.ns, "iptables").splitlines()
        return all(rule.removesuffix(" [0:0]") in saved for rule in self.SAVED)


def unanswered(result: str) -> bool:
    """A connect's result that no server produced: dropped, refused, or no route."""
    return result in ("dropped", "refused") or result.startswith("error")


class Topology:
    """Namespaces and links made for one test; see the module docstring."""

    def __init__(self) -> None:
        self.tag = secrets.token_hex(3)
        self.namespaces: list[str] = []
        self._servers: list[subprocess.Popen[str]] = []
        self._links = 0
        self.client = ""

    def namespace(self, role: str) -> str:
        name = f"nst-{role}{len(self.namespaces)}-{self.tag}"
        check(run(["ip", "netns", "add", name]))
        self.namespaces.append(name)
        check(run(["ip", "-n", name, "link", "set", "lo", "up"]))
        return name

    def device(self, prefix: str) -> str:
        """A device name unique in this topology and at most 15 characters."""
        self._links += 1
        return f"{prefix}{self._links}"[:15]

    def bridge(self, ns: str, name: str, *cidrs: str) -> str:
        check(run(["ip", "-n", ns, "link", "add", name, "type", "bridge"]))
        check(run(["ip", "-n", ns, "link", "set", name, "up"]))
        for cidr in cidrs:
            check(run(["ip", "-n", ns, "addr", "add", cidr, "dev", name]))
        return name

    def plug(self, ns: str, dev: str, peer_ns: str, peer_dev: str, *, mac: str | None = None,
             peer_mac: str | None = None, master: str | None = None, own_master: str | None = None) -> None:
        """A veth pair `dev` in `ns` -- `peer_dev` in `peer_ns`, both up; each end optionally in a bridge there."""
        check(run(["ip", "link", "add", dev, "netns", ns, *(["address", mac] if mac else []), "type", "veth",
                   "peer", "name", peer_dev, "netns", peer_ns, *(["address", peer_mac] if peer_mac else [])]))
        for where, name, bridge in ((peer_ns, peer_dev, master), (ns, dev, own_master)):
            if bridge is not None:
                check(run(["ip", "-n", where, "link", "set", name, "master", bridge]))
        for where, name in ((ns, dev), (peer_ns, peer_dev)):
            check(run(["ip", "-n", where, "link", "set", name, "up"]))

    def from_client(self, target: str, timeout: float = 1.5, source: str = CLIENT) -> str:
        """Connect from a client's internet address to ip:port."""
        return self.connect(self.client, target, source, timeout)

    def public_side(self) -> str:
        """The client namespace with the public bridge (gateway and client addresses)."""
        client = self.client = self.namespace("client")
        self.bridge(client, "pub", *(f"{a}/{PUBLIC_PREFIX}" for a in (PUBLIC_GATEWAY, CLIENT, OTHER_CLIENT)))
        return client

    def vm(self, host: str, name: str, nics: list[tuple[dict[str, Any], str]], gateway: str | None = None,
           vm_id: str = "") -> Vm:
        """A VM namespace with one NIC per (API nic, host bridge); the primary address configured as DHCP would."""
        vm = Vm(self, self.namespace(name), name, id=vm_id)
        for index, (nic, bridge) in enumerate(nics):
            dev = self.device("vnet")
            self.plug(vm.ns, f"eth{index}", host, dev, mac=nic["macaddress"], peer_mac=host_mac(nic["macaddress"]),
                      master=bridge)
            vm.nics.append({**nic, "hostdev": dev})
            prefix = bin(int.from_bytes(bytes(int(p) for p in nic["netmask"].split(".")), "big")).count("1")
            vm.add_address(nic["ipaddress"], prefix, index)
        if gateway is not None:
            vm.ip("route", "add", "default", "via", gateway)
        return vm

    def serving(self, ns: str, *endpoints: str) -> AbstractContextManager[None]:
        """An echo server in `ns` on each ip:port, answering "<its ip:port> from <peer ip>"."""
        return self._serve(ns, ECHO_SERVER, *endpoints)

    @contextmanager
    def _serve(self, ns: str, script: str, *args: str) -> Iterator[None]:
        argv = ["ip", "netns", "exec", ns, sys.executable, "-c", script, *args]
        server = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self._servers.append(server)
        try:
            assert server.stdout is not None
            line = server.stdout.readline().strip()
            assert line == "ready", server.stderr.read() if server.stderr else line
            yield
        finally:
            server.kill()
            server.communicate(timeout=10)

    @contextmanager
    def streaming(self, ns: str, target: str, port: int, seconds: float, icmp: bool = True) -> Iterator[dict[str, Any]]:
        """Ping (unless not `icmp`) and a TCP stream from `ns` to target:port (an echo server must listen) for
        `seconds`; the yielded dict holds the counts once the block ends (sent, icmp_answered, tcp_echoed,
        tcp_error)."""
        argv = ["ip", "netns", "exec", ns, sys.executable, "-c", STREAM, target, str(port), str(seconds),
                "icmp" if icmp else "tcp"]
        stream = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self._servers.append(stream)
        result: dict[str, Any] = {}
        yield result
        out, err = stream.communicate(timeout=seconds + 30)
        assert stream.returncode == 0, err
        result.update(json.loads(out))

    def slow_server(self, ns: str, delay: float, *endpoints: str) -> AbstractContextManager[None]:
        return self._serve(ns, SLOW_SERVER, str(delay), *endpoints)

    @contextmanager
    def load(self, target: str, port: int, workers: int = 4, source: str = CLIENT) -> Iterator[dict[str, Any]]:
        """Clients in the client namespace requesting target:port until the block ends; the dict then holds
        answered, failed and the first failures."""
        argv = ["ip", "netns", "exec", self.client, sys.executable, "-c", LOAD, target, str(port), source,
                str(workers)]
        clients = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        self._servers.append(clients)
        result: dict[str, Any] = {}
        try:
            yield result
        finally:
            out, err = clients.communicate("", timeout=60)
        assert clients.returncode == 0, err
        result.update(json.loads(out))

    def echo_stream_server(self, ns: str, address: str, port: int) -> AbstractContextManager[None]:
        return self._serve(ns, ECHO_STREAM_SERVER, address, str(port))

    def connect(self, ns: str, target: str, source: str | None = None, timeout: float = 1.5) -> str:
        """Connect from `ns` (from address `source`) to ip:port; the server's line, "dropped" or "refused"."""
        argv = [sys.executable, "-c", CONNECT, target, *([source, str(timeout)] if source else [])]
        return check(run(["ip", "netns", "exec", ns, *argv])).strip()

    def saved(self, ns: str, tool: str) -> str:
        """What `<tool>-save` (or `ipset save`) shows in `ns`, without counters or comment lines."""
        argv = ["ipset", "save"] if tool == "ipset" else [f"{tool}-save"]
        lines = check(run(["ip", "netns", "exec", ns, *argv])).splitlines()
        return "\n".join(re.sub(r" \[\d+:\d+\]$", "", line) for line in lines if not line.startswith("#"))

    def foreign_rules(self, ns: str) -> ForeignRules:
        """Rules of other software (an operator's, libvirt's) in `ns`, installed before any agent runs."""
        rules = ForeignRules(self, ns)
        for command in rules.COMMANDS:
            check(run(["ip", "netns", "exec", ns, "iptables", *command.split()]))
        return rules

    def replug(self, vm: Vm, host: str, bridge: str) -> None:
        """Move a one-NIC VM to another host's bridge, as a migration does: the same MAC, a new tap there."""
        nic = vm.nics[0]
        addresses = vm.ip("-o", "addr", "show", "dev", "eth0", "scope", "global").split()
        held = [addresses[i + 1] for i, word in enumerate(addresses[:-1]) if word in ("inet", "inet6")]
        vm.ip("link", "del", "eth0")
        dev = self.device("vnet")
        self.plug(vm.ns, "eth0", host, dev, mac=nic["macaddress"], peer_mac=host_mac(nic["macaddress"]),
                  master=bridge)
        nic["hostdev"] = dev
        for cidr in held:
            vm.ip(*(["-6"] if ":" in cidr else []), "addr", "add", cidr, "dev", "eth0",
                  *(["nodad"] if ":" in cidr else []))

    def close(self) -> None:
        for server in self._servers:
            if server.poll() is None:
                server.kill()
                server.communicate(timeout=10)
        for ns in reversed(self.namespaces):
            # Whatever still runs in the namespace was started by this test (its haproxy, say): by pid.
            for pid in run(["ip", "netns", "pids", ns]).stdout.split():
                with suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            run(["ip", "netns", "delete", ns])


@contextmanager
def topology() -> Iterator[Topology]:
    require_root()
    require_tools("ip", "iptables-restore", "ipset", "ebtables-restore", "haproxy", "sysctl")
    made = Topology()
    try:
        yield made
    finally:
        made.close()
