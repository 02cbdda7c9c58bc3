"""The rendered router documents pass the real tools (iptables-restore, haproxy -c), and loaded by the router
agent's applier they route packets as the rules and the firewall say (hairpin and egress NAT included)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nicstack.agent.appliers import RouterApplier, Update
from nicstack.agent.shell import Shell
from nicstack.render.router import generation_key, render_router
from tests.dataplane.tools import check, in_netns, netns, require_tools, run
from tests.dataplane.topology import CLIENT, Topology
from tests.unit.test_router_render import SCENARIOS, static_nat_and_port_forwarding_to_secondaries

NAMES = sorted(SCENARIOS)

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
    dnat = [line for line in nat.stdout.splitlines() if line.startswith("-A ns-PREROUTING")]
    assert any("-d 203.0.113.11/32" in r and "--to-destination 10.1.1.101" in r for r in dnat), dnat
    assert any("--dport 2222" in r and "--to-destination 10.1.1.101:22" in r for r in dnat), dnat
    assert any("--to-destination 10.1.1.101:9000-9010/8000" in r for r in dnat), dnat
    assert any("--to-destination 10.1.1.102:53" in r for r in dnat), dnat
    assert "-s 10.1.1.101/32 -o eth2" in nat.stdout and "--to-source 203.0.113.11" in nat.stdout

    filtered = in_netns(namespace, ["iptables-save", "-t", "filter"])
    assert filtered.returncode == 0, filtered.stderr
    assert ":ns-fw-203-0-113-13 - [0:0]" in filtered.stdout
    assert "--ctorigdstport 8000:8010" in filtered.stdout


def loaded_router(net: Topology, tmp_path: Path, name: str, guest_addresses: list[str]
                  ) -> tuple[str, str, RouterApplier]:
    """A router namespace whose public side (eth2) sits on the client's bridge and whose guest side (eth0) is
    wired to one guest namespace, with scenario `name` applied by the router agent's applier."""
    router, guest = net.namespace("r"), net.namespace("g")
    net.public_side()
    net.plug(router, "eth2", net.client, net.device("c"), master="pub")
    net.plug(router, "eth0", guest, "gst0")
    for address in guest_addresses:
        check(run(["ip", "-n", guest, "addr", "add", address, "dev", "gst0"]))
    check(run(["ip", "-n", guest, "route", "add", "default", "via", "10.1.1.1"]))
    docs = render_router(SCENARIOS[name]())
    applier = RouterApplier(Shell(router), tmp_path / "run")
    applier.apply(Update(1, generation_key(docs), dict(docs.items())))
    # A source outside the public subnet, routed back through the client.
    check(run(["ip", "-n", net.client, "addr", "add", "198.51.100.7/32", "dev", "pub"]))
    check(run(["ip", "-n", router, "route", "add", "198.51.100.0/24", "via", CLIENT]))
    return router, guest, applier


def test_traffic_reaches_the_secondary_ips_as_the_rules_and_the_firewall_say(net: Topology, tmp_path: Path) -> None:
    """client -- eth2 [router] eth0 -- guest with primary 10.1.1.10, secondaries .101 and .102."""
    _, guest, applier = loaded_router(net, tmp_path, "static_nat_and_port_forwarding_secondaries",
                                      ["10.1.1.10/24", "10.1.1.101/24", "10.1.1.102/24"])
    try:
        with net.serving(guest, *(f"10.1.1.101:{port}" for port in (22, 80, 443, 9005))), \
                net.serving(net.client, f"{CLIENT}:7000"):
            # Ingress: PF and static NAT to the secondary IP, within what the firewall opens.
            assert net.from_client("203.0.113.12:2222") == f"10.1.1.101:22 from {CLIENT}"
            assert net.from_client("203.0.113.11:443") == f"10.1.1.101:443 from {CLIENT}"
            assert net.from_client("203.0.113.13:8005", source="198.51.100.7") == "10.1.1.101:9005 from 198.51.100.7"
            assert net.from_client("203.0.113.11:80") == "dropped"
            assert net.from_client("203.0.113.13:8005") == "dropped"
            # Egress: the static-NAT secondary leaves as its public IP, the primary as the source-NAT IP.
            assert net.connect(guest, f"{CLIENT}:7000", "10.1.1.101") == f"{CLIENT}:7000 from 203.0.113.11"
            assert net.connect(guest, f"{CLIENT}:7000", "10.1.1.10") == f"{CLIENT}:7000 from 203.0.113.10"
            # Hairpin: a guest reaches the public address, and the answer comes back through the router.
            assert net.connect(guest, "203.0.113.12:2222", "10.1.1.10") == "10.1.1.101:22 from 10.1.1.1"
    finally:
        applier.stop()


def test_a_load_balancer_port_with_source_cidrs_is_reached_from_those_cidrs_only(
        net: Topology, tmp_path: Path) -> None:
    """client -- eth2 [router] eth0 -- guest; a listener on the router stands in for haproxy."""
    router, guest, applier = loaded_router(net, tmp_path, "lb_source_cidrs", ["10.1.1.10/24"])
    applier.stop()  # the listener takes haproxy's ports
    with net.serving(router, "203.0.113.14:80", "203.0.113.14:443"):
        # Port 80 allows 198.51.100.0/24 and 192.0.2.0/25 only.
        assert net.from_client("203.0.113.14:80", source="198.51.100.7") == "203.0.113.14:80 from 198.51.100.7"
        assert net.from_client("203.0.113.14:80") == "dropped"
        assert net.connect(guest, "203.0.113.14:80", "10.1.1.10") == "dropped"
        # Port 443 has no list: everyone.
        assert net.from_client("203.0.113.14:443") == f"203.0.113.14:443 from {CLIENT}"
        assert net.connect(guest, "203.0.113.14:443", "10.1.1.10") == "203.0.113.14:443 from 10.1.1.10"
