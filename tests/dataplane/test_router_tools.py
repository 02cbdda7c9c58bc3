"""The rendered router documents pass the real tools: iptables-restore in a throwaway namespace, haproxy -c."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from nicstack.render.router import render_router
from tests.dataplane.tools import addresses, check, in_netns, netns, require_tools, run, veth
from tests.unit.test_router_render import (
    SCENARIOS,
    load_balancer_from_cidrs,
    static_nat_and_port_forwarding_to_secondaries,
)

NAMES = sorted(SCENARIOS)

# Tiny TCP peers run with this interpreter inside the namespaces, so the test needs no nc/socat.
ECHO_SERVER = """
import selectors, socket, sys
selector = selectors.DefaultSelector()
for spec in sys.argv[1:]:
    host, port = spec.rsplit(":", 1)
    selector.register(socket.create_server((host, int(port))), selectors.EVENT_READ)
print("ready", flush=True)
while True:
    for key, _ in selector.select():
        conn, peer = key.fileobj.accept()
        here = conn.getsockname()
        conn.sendall(f"{here[0]}:{here[1]} from {peer[0]}".encode())
        conn.close()
"""
CLIENT = """
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
try:
    with socket.create_connection((host, int(port)), timeout=1.5, source_address=(sys.argv[2], 0)) as conn:
        print(conn.recv(200).decode())
except TimeoutError:
    print("dropped")
except OSError as error:
    print(f"error {error}")
"""
FORWARDING = "open('/proc/sys/net/ipv4/ip_forward', 'w').write('1')"


@pytest.fixture
def namespace() -> Iterator[str]:
    require_tools("iptables-restore", "iptables-save")
    with netns() as name:
        yield name


@pytest.mark.parametrize("name", NAMES)
def test_iptables_restore_accepts_the_router_document(name: str, namespace: str) -> None:
    document = render_router(SCENARIOS[name]()).iptables
    result = in_netns(namespace, ["iptables-restore", "--test"], document)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", NAMES)
def test_haproxy_accepts_the_router_config(name: str, tmp_path: Path) -> None:
    require_tools("haproxy")
    config = tmp_path / "haproxy.cfg"
    config.write_text(render_router(SCENARIOS[name]()).haproxy)
    result = run(["haproxy", "-c", "-f", str(config)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_loaded_document_forwards_the_public_addresses_to_the_secondary_ips(namespace: str) -> None:
    document = render_router(static_nat_and_port_forwarding_to_secondaries()).iptables
    loaded = in_netns(namespace, ["iptables-restore"], document)
    assert loaded.returncode == 0, loaded.stderr

    nat = in_netns(namespace, ["iptables-save", "-t", "nat"])
    assert nat.returncode == 0, nat.stderr
    dnat = [line for line in nat.stdout.splitlines() if line.startswith("-A PREROUTING")]
    assert any("-d 203.0.113.11/32" in r and "--to-destination 10.1.1.101" in r for r in dnat), dnat
    assert any("--dport 2222" in r and "--to-destination 10.1.1.101:22" in r for r in dnat), dnat
    assert any("--to-destination 10.1.1.101:9000-9010/8000" in r for r in dnat), dnat
    assert any("--to-destination 10.1.1.102:53" in r for r in dnat), dnat
    assert "-s 10.1.1.101/32 -o eth2" in nat.stdout and "--to-source 203.0.113.11" in nat.stdout

    filtered = in_netns(namespace, ["iptables-save", "-t", "filter"])
    assert filtered.returncode == 0, filtered.stderr
    assert ":FW_203-0-113-13 - [0:0]" in filtered.stdout
    assert "--ctorigdstport 8000:8010" in filtered.stdout


@contextmanager
def serving(namespace: str, *endpoints: str) -> Iterator[None]:
    """An echo server in `namespace` on each ip:port, answering "<its ip:port> from <peer ip>"."""
    argv = ["ip", "netns", "exec", namespace, sys.executable, "-c", ECHO_SERVER, *endpoints]
    server = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        assert server.stdout.readline().strip() == "ready", server.stderr.read() if server.stderr else ""
        yield
    finally:
        server.terminate()
        server.communicate(timeout=10)


def connect(namespace: str, target: str, source: str) -> str:
    return check(in_netns(namespace, [sys.executable, "-c", CLIENT, target, source])).strip()


def three_namespaces(stack: ExitStack, public: list[str], guest_addresses: list[str]) -> tuple[str, str, str]:
    """router, client and guest: client (pub0) -- eth2 [router] eth0 -- guest (gst0), routed both ways.

    The client also holds 198.51.100.7, a source outside the public subnet, routed back through it.
    """
    router, client, guest = (stack.enter_context(netns()) for _ in range(3))
    veth(client, "pub0", router, "eth2")
    veth(guest, "gst0", router, "eth0")
    addresses(router, "eth2", *public)
    addresses(router, "eth0", "10.1.1.1/24")
    addresses(client, "pub0", "203.0.113.50/24", "198.51.100.7/32")
    addresses(guest, "gst0", *guest_addresses)
    check(run(["ip", "-n", guest, "route", "add", "default", "via", "10.1.1.1"]))
    check(run(["ip", "-n", router, "route", "add", "198.51.100.0/24", "via", "203.0.113.50"]))
    return router, client, guest


def test_traffic_reaches_the_secondary_ips_as_the_rules_and_the_firewall_say() -> None:
    """client (public side) -- eth2 [router] eth0 -- guest with primary 10.1.1.10, secondaries .101 and .102."""
    require_tools("iptables-restore")
    document = render_router(static_nat_and_port_forwarding_to_secondaries()).iptables
    with ExitStack() as stack:
        router, client, guest = three_namespaces(
            stack, [f"203.0.113.{n}/24" for n in (10, 11, 12, 13)], ["10.1.1.10/24", "10.1.1.101/24", "10.1.1.102/24"]
        )
        check(in_netns(router, [sys.executable, "-c", FORWARDING]))
        check(in_netns(router, ["iptables-restore"], document))
        stack.enter_context(serving(guest, *(f"10.1.1.101:{port}" for port in (22, 80, 443, 9005))))
        stack.enter_context(serving(client, "203.0.113.50:7000"))

        # Ingress: PF and static NAT to the secondary IP, within what the firewall opens.
        assert connect(client, "203.0.113.12:2222", "203.0.113.50") == "10.1.1.101:22 from 203.0.113.50"
        assert connect(client, "203.0.113.11:443", "203.0.113.50") == "10.1.1.101:443 from 203.0.113.50"
        assert connect(client, "203.0.113.13:8005", "198.51.100.7") == "10.1.1.101:9005 from 198.51.100.7"
        assert connect(client, "203.0.113.11:80", "203.0.113.50") == "dropped"
        assert connect(client, "203.0.113.13:8005", "203.0.113.50") == "dropped"
        # Egress: the static-NAT secondary leaves as its public IP, the primary as the source-NAT IP.
        assert connect(guest, "203.0.113.50:7000", "10.1.1.101") == "203.0.113.50:7000 from 203.0.113.11"
        assert connect(guest, "203.0.113.50:7000", "10.1.1.10") == "203.0.113.50:7000 from 203.0.113.10"
        # Hairpin: a guest reaches the public address, and the answer comes back through the router.
        assert connect(guest, "203.0.113.12:2222", "10.1.1.10") == "10.1.1.101:22 from 10.1.1.1"


def test_a_load_balancer_port_with_source_cidrs_is_reached_from_those_cidrs_only() -> None:
    """client (public side) -- eth2 [router] eth0 -- guest; a listener on the router stands in for haproxy."""
    require_tools("iptables-restore")
    document = render_router(load_balancer_from_cidrs()).iptables
    with ExitStack() as stack:
        router, client, guest = three_namespaces(stack, ["203.0.113.10/24", "203.0.113.14/24"], ["10.1.1.10/24"])
        check(in_netns(router, ["iptables-restore"], document))
        stack.enter_context(serving(router, "203.0.113.14:80", "203.0.113.14:443"))

        # Port 80 allows 198.51.100.0/24 and 192.0.2.0/25 only.
        assert connect(client, "203.0.113.14:80", "198.51.100.7") == "203.0.113.14:80 from 198.51.100.7"
        assert connect(client, "203.0.113.14:80", "203.0.113.50") == "dropped"
        assert connect(guest, "203.0.113.14:80", "10.1.1.10") == "dropped"
        # Port 443 has no list: everyone.
        assert connect(client, "203.0.113.14:443", "203.0.113.50") == "203.0.113.14:443 from 203.0.113.50"
        assert connect(guest, "203.0.113.14:443", "10.1.1.10") == "203.0.113.14:443 from 10.1.1.10"
