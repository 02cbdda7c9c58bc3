"""The virtual router renderers: golden documents per scenario, determinism, chain-name bounds, state checks.

`NICSTACK_UPDATE_GOLDEN=1` rewrites the golden files from the current renderers; otherwise the
rendered documents must equal them exactly. The scenarios are shared with tests/dataplane.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Callable
from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import TypeVar
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nicstack.domain.vocabulary import Algorithm, Direction, PortRange, Protocol
from nicstack.render.haproxy import server_name
from nicstack.render.iptables_router import CHAIN_MAX, chain_name, render_router_iptables
from nicstack.render.router import RouterDocuments, generation_key, render_router
from nicstack.render.router_state import (
    AclRule,
    AddressRole,
    EgressRule,
    FirewallRule,
    GuestTarget,
    GuestTier,
    IpForward,
    LoadBalancer,
    PortForward,
    PublicIp,
    RouterKind,
    RouterState,
    TierAcl,
)

pytestmark = pytest.mark.unit

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "router"
UPDATE = os.environ.get("NICSTACK_UPDATE_GOLDEN") == "1"
FAST = settings(max_examples=60, deadline=None)
T = TypeVar("T")


def u(n: int) -> UUID:
    """Readable fixed uuids: 1xx tiers, 2xx public IPs, 3xx PF, 4xx LB, 5xx firewall, 6xx VMs, 7xx NICs,
    9xx IP forwarding."""
    return UUID(f"00000000-0000-4000-8000-{n:012d}")


def ip(text: str) -> IPv4Address:
    return IPv4Address(text)


def cidrs(*texts: str) -> tuple[IPv4Network, ...]:
    return tuple(IPv4Network(t) for t in texts)


def guest(vm: int, name: str, address: str, role: AddressRole = AddressRole.SECONDARY) -> GuestTarget:
    return GuestTarget(u(600 + vm), name, u(700 + vm), ip(address), role)


WEB1_PRIMARY = guest(1, "web-1", "10.1.1.10", AddressRole.PRIMARY)
WEB1_SECONDARY = guest(1, "web-1", "10.1.1.101")
WEB2_SECONDARY = guest(2, "web-2", "10.1.1.102")
TIER = GuestTier(u(101), "guest-net", IPv4Network("10.1.1.0/24"), ip("10.1.1.1"))
SOURCE_NAT = PublicIp(u(200), ip("203.0.113.10"), source_nat=True)
PUBLIC_SUBNET = IPv4Network("203.0.113.0/24")
PUBLIC_GATEWAY = ip("203.0.113.1")


def on_public_subnet(*public: PublicIp) -> tuple[PublicIp, ...]:
    """The addresses as the zone's public range hands them out: on 203.0.113.0/24, gateway .1."""
    return tuple(replace(p, subnet=PUBLIC_SUBNET) for p in public)


def isolated(
    *public: PublicIp,
    port_forwards: tuple[PortForward, ...] = (),
    load_balancers: tuple[LoadBalancer, ...] = (),
    firewall_rules: tuple[FirewallRule, ...] = (),
) -> RouterState:
    return RouterState(
        RouterKind.ISOLATED, u(1), (TIER,), on_public_subnet(SOURCE_NAT, *public), port_forwards, load_balancers,
        firewall_rules, public_gateway=PUBLIC_GATEWAY,
    )


def pf(n: int, public: str, proto: Protocol, pub: tuple[int, int], priv: tuple[int, int], target: GuestTarget,
       *sources: str) -> PortForward:
    return PortForward(u(300 + n), ip(public), proto, PortRange(*pub), PortRange(*priv), target, cidrs(*sources))


def fw(n: int, public: str, proto: Protocol, ports: tuple[int, int] | None = None, *sources: str,
       icmp: tuple[int | None, int | None] = (None, None)) -> FirewallRule:
    return FirewallRule(
        u(500 + n), ip(public), proto, PortRange(*ports) if ports else None, icmp[0], icmp[1], cidrs(*sources)
    )


def empty_network() -> RouterState:
    return isolated()


def static_nat_to_secondary() -> RouterState:
    return isolated(
        PublicIp(u(201), ip("203.0.113.11"), static_nat=WEB1_SECONDARY),
        firewall_rules=(fw(1, "203.0.113.11", Protocol.TCP, (22, 22)),),
    )


def static_nat_and_port_forwarding_to_secondaries() -> RouterState:
    """Static NAT to web-1's secondary; PF from two public IPs to that same secondary; one PF to web-2's."""
    return isolated(
        PublicIp(u(201), ip("203.0.113.11"), static_nat=WEB1_SECONDARY),
        PublicIp(u(202), ip("203.0.113.12")),
        PublicIp(u(203), ip("203.0.113.13")),
        port_forwards=(
            pf(1, "203.0.113.12", Protocol.TCP, (2222, 2222), (22, 22), WEB1_SECONDARY),
            pf(2, "203.0.113.13", Protocol.TCP, (8000, 8010), (9000, 9010), WEB1_SECONDARY, "198.51.100.0/24"),
            pf(3, "203.0.113.12", Protocol.UDP, (5353, 5353), (53, 53), WEB2_SECONDARY),
        ),
        firewall_rules=(
            fw(1, "203.0.113.11", Protocol.TCP, (443, 443)),
            fw(2, "203.0.113.12", Protocol.TCP, (2222, 2222)),
            fw(3, "203.0.113.13", Protocol.TCP, (8000, 8010), "198.51.100.0/24"),
            fw(4, "203.0.113.12", Protocol.UDP, (5353, 5353)),
        ),
    )


def load_balancer(algorithm: Algorithm) -> Callable[[], RouterState]:
    def scenario() -> RouterState:
        return isolated(
            PublicIp(u(204), ip("203.0.113.14")),
            load_balancers=(
                LoadBalancer(u(401), "web", ip("203.0.113.14"), 80, 8080, algorithm,
                             (WEB1_PRIMARY, WEB1_SECONDARY, WEB2_SECONDARY)),
                LoadBalancer(u(402), "not yet used", ip("203.0.113.14"), 443, 8443, algorithm),
            ),
            firewall_rules=(
                fw(1, "203.0.113.14", Protocol.TCP, (80, 80)),
                fw(2, "203.0.113.14", Protocol.TCP, (443, 443)),
            ),
        )

    return scenario


def load_balancer_from_cidrs() -> RouterState:
    """web (port 80) only from two CIDRs, open (port 443) from anywhere; the firewall lets both ports in."""
    return isolated(
        PublicIp(u(204), ip("203.0.113.14")),
        load_balancers=(
            LoadBalancer(u(401), "web", ip("203.0.113.14"), 80, 8080, Algorithm.ROUNDROBIN,
                         (WEB1_PRIMARY, WEB1_SECONDARY), cidrs("198.51.100.0/24", "192.0.2.0/25")),
            LoadBalancer(u(402), "open", ip("203.0.113.14"), 443, 8443, Algorithm.ROUNDROBIN, (WEB2_SECONDARY,)),
        ),
        firewall_rules=(
            fw(1, "203.0.113.14", Protocol.TCP, (80, 80)),
            fw(2, "203.0.113.14", Protocol.TCP, (443, 443)),
        ),
    )


def firewall_rules() -> RouterState:
    return isolated(
        PublicIp(u(205), ip("203.0.113.15"), static_nat=WEB1_PRIMARY),
        firewall_rules=(
            fw(1, "203.0.113.15", Protocol.TCP, (22, 22), "198.51.100.0/24", "192.0.2.0/25"),
            fw(2, "203.0.113.15", Protocol.ICMP, None, icmp=(8, 0)),
            fw(3, "203.0.113.15", Protocol.ICMP, None, "192.0.2.0/25", icmp=(3, None)),
            fw(4, "203.0.113.15", Protocol.UDP, (1000, 2000), "0.0.0.0/0"),
            fw(5, "203.0.113.15", Protocol.ALL, None, "192.0.2.128/25"),
            fw(6, "203.0.113.10", Protocol.ICMP),
        ),
    )


def vpc_two_tiers() -> RouterState:
    web = GuestTier(u(102), "web", IPv4Network("10.2.1.0/24"), ip("10.2.1.1"), "eth3")
    db = GuestTier(u(103), "db", IPv4Network("10.2.2.0/24"), ip("10.2.2.1"), "eth4")
    web_primary = guest(3, "vpc-web", "10.2.1.10", AddressRole.PRIMARY)
    web_secondary = guest(3, "vpc-web", "10.2.1.101")
    db_secondary = guest(4, "vpc-db", "10.2.2.101")
    return RouterState(
        RouterKind.VPC, u(2), (web, db),
        on_public_subnet(
            PublicIp(u(210), ip("203.0.113.20"), source_nat=True),
            PublicIp(u(211), ip("203.0.113.21"), static_nat=web_secondary),
            PublicIp(u(212), ip("203.0.113.22")),
            PublicIp(u(213), ip("203.0.113.23")),
        ),
        port_forwards=(pf(4, "203.0.113.22", Protocol.TCP, (2222, 2222), (22, 22), db_secondary, "198.51.100.0/24"),),
        load_balancers=(
            LoadBalancer(
                u(403), "vpc web", ip("203.0.113.23"), 80, 80, Algorithm.LEASTCONN, (web_primary, web_secondary)
            ),
        ),
        public_gateway=PUBLIC_GATEWAY,
    )


def acl(n: int, number: int, direction: Direction, allow: bool, protocol: str, ports: tuple[int, int] | None = None,
        *sources: str, icmp: tuple[int | None, int | None] = (None, None)) -> AclRule:
    return AclRule(u(800 + n), number, direction, allow, protocol, PortRange(*ports) if ports else None, icmp[0],
                   icmp[1], cidrs(*sources))


def vpc_tier_acls() -> RouterState:
    """vpc_two_tiers with an ACL list on each tier: web's own list (ingress and egress items), db's default_deny."""
    web_list = TierAcl(u(102), u(901), (
        acl(1, 1, Direction.INGRESS, True, "tcp", (80, 80)),
        acl(2, 2, Direction.INGRESS, False, "tcp", (22, 22), "198.51.100.0/24"),
        acl(3, 3, Direction.INGRESS, True, "tcp", (22, 22), "198.51.100.0/24", "192.0.2.0/25"),
        acl(4, 4, Direction.INGRESS, True, "icmp", icmp=(8, 0)),
        acl(5, 5, Direction.INGRESS, True, "47"),
        acl(6, 10, Direction.EGRESS, False, "udp", (53, 53), "192.0.2.0/24"),
        acl(7, 20, Direction.EGRESS, True, "all", None, "0.0.0.0/0"),
    ))
    db_list = TierAcl(u(103), u(902), (
        acl(8, 1, Direction.INGRESS, False, "all", None, "0.0.0.0/0"),
        acl(9, 2, Direction.EGRESS, False, "all", None, "0.0.0.0/0"),
    ))
    return replace(vpc_two_tiers(), tier_acls=(web_list, db_list))
def ip_forwarding_on_static_nat() -> RouterState:
    """Static NAT to web-1's secondary with two IP forwarding rules and the firewall rules they opened; a second
    static NAT without any."""
    return replace(
        isolated(
            PublicIp(u(201), ip("203.0.113.11"), static_nat=WEB1_SECONDARY),
            PublicIp(u(202), ip("203.0.113.12"), static_nat=WEB2_SECONDARY),
            firewall_rules=(fw(1, "203.0.113.11", Protocol.TCP, (8000, 8010)), fw(2, "203.0.113.11", Protocol.UDP,
                                                                                   (53, 53))),
        ),
        ip_forwards=(
            IpForward(u(901), ip("203.0.113.11"), Protocol.TCP, PortRange(8000, 8010)),
            IpForward(u(902), ip("203.0.113.11"), Protocol.UDP, PortRange(53, 53)),
        ),
    )


def egress_rules(allow: bool) -> Callable[[], RouterState]:
    """Egress rules of both kinds of match under the default egress policy allow (rules deny) or deny (rules
    allow)."""

    def build() -> RouterState:
        return replace(isolated(), egress_default_allow=allow, egress_rules=(
            EgressRule(u(951), Protocol.TCP, PortRange(25, 25), dest_cidrs=cidrs("0.0.0.0/0")),
            EgressRule(u(952), Protocol.UDP, PortRange(5000, 5100), source_cidrs=cidrs("10.1.1.0/25", "10.1.1.128/25"),
                       dest_cidrs=cidrs("198.51.100.0/24")),
            EgressRule(u(953), Protocol.ICMP, icmp_type=8, icmp_code=0),
            EgressRule(u(954), Protocol.ALL, dest_cidrs=cidrs("192.0.2.0/24")),
        ))

    return build


SCENARIOS: dict[str, Callable[[], RouterState]] = {
    "egress_default_allow": egress_rules(allow=True),
    "egress_default_deny": egress_rules(allow=False),
    "ip_forwarding": ip_forwarding_on_static_nat,
    "empty_network": empty_network,
    "static_nat_secondary": static_nat_to_secondary,
    "static_nat_and_port_forwarding_secondaries": static_nat_and_port_forwarding_to_secondaries,
    "lb_roundrobin": load_balancer(Algorithm.ROUNDROBIN),
    "lb_leastconn": load_balancer(Algorithm.LEASTCONN),
    "lb_source": load_balancer(Algorithm.SOURCE),
    "lb_source_cidrs": load_balancer_from_cidrs,
    "firewall_rules": firewall_rules,
    "vpc_two_tiers": vpc_two_tiers,
    "vpc_tier_acls": vpc_tier_acls,
}


def check_golden(path: Path, text: str) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"{path} is missing: run with NICSTACK_UPDATE_GOLDEN=1 and review the diff"
    assert text == path.read_text(), f"{path.name} differs from the renderer: review, then NICSTACK_UPDATE_GOLDEN=1"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_rendered_documents_equal_the_golden_files(name: str) -> None:
    docs = render_router(SCENARIOS[name]())
    check_golden(GOLDEN / f"{name}.iptables.txt", docs.iptables)
    check_golden(GOLDEN / f"{name}.haproxy.txt", docs.haproxy)
    check_golden(GOLDEN / f"{name}.addresses.txt", docs.addresses)


def shuffled(state: RouterState, rnd: random.Random) -> RouterState:
    def mix(items: tuple[T, ...]) -> tuple[T, ...]:
        return tuple(rnd.sample(items, len(items)))

    return replace(
        state,
        tiers=mix(state.tiers),
        public_ips=mix(state.public_ips),
        port_forwards=mix(tuple(replace(p, source_cidrs=mix(p.source_cidrs)) for p in state.port_forwards)),
        load_balancers=mix(tuple(replace(lb, members=mix(lb.members), source_cidrs=mix(lb.source_cidrs))
                                 for lb in state.load_balancers)),
        firewall_rules=mix(tuple(replace(r, source_cidrs=mix(r.source_cidrs)) for r in state.firewall_rules)),
        tier_acls=mix(tuple(replace(a, rules=mix(tuple(replace(r, cidrs=mix(r.cidrs)) for r in a.rules)))
                            for a in state.tier_acls)),
        ip_forwards=mix(state.ip_forwards),
        egress_rules=mix(tuple(replace(r, source_cidrs=mix(r.source_cidrs), dest_cidrs=mix(r.dest_cidrs))
                               for r in state.egress_rules)),
    )


@FAST
@given(name=st.sampled_from(sorted(SCENARIOS)), rnd=st.randoms(use_true_random=False))
def test_the_documents_do_not_depend_on_the_order_of_the_input(name: str, rnd: random.Random) -> None:
    state = SCENARIOS[name]()
    assert render_router(shuffled(state, rnd)) == render_router(state)


@FAST
@given(prefix=st.sampled_from(["FW_", "ACL_", "X"]), key=st.text(min_size=0, max_size=80))
def test_a_chain_name_is_at_most_28_characters_and_a_function_of_its_key(prefix: str, key: str) -> None:
    name = chain_name(prefix, key)
    assert len(name) <= CHAIN_MAX
    assert name.startswith(prefix)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", name)
    assert name == chain_name(prefix, key)


def test_a_long_or_ipv6_key_gets_a_hashed_chain_name_within_the_bound() -> None:
    v6 = chain_name("FW_", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")
    assert len(v6) == CHAIN_MAX
    assert v6 != chain_name("FW_", "2001:db8:ffff:ffff:ffff:ffff:ffff:fffe")
    assert chain_name("FW_", "255.255.255.255") == "FW_255-255-255-255"


@FAST
@given(addresses=st.sets(st.ip_addresses(v=4), min_size=1, max_size=6))
def test_every_chain_in_a_rendered_document_is_at_most_28_characters(addresses: set[IPv4Address]) -> None:
    public = tuple(PublicIp(u(800 + i), a) for i, a in enumerate(sorted(addresses)))
    document = render_router_iptables(RouterState(RouterKind.ISOLATED, u(1), (TIER,), public))
    chains = re.findall(r"^:(\S+)", document, re.MULTILINE)
    assert len(chains) == 3 + 2 + len(addresses)
    assert all(len(c) <= CHAIN_MAX for c in chains)


def test_every_rule_names_what_it_comes_from() -> None:
    document = render_router(static_nat_and_port_forwarding_to_secondaries()).iptables
    rules = [line for line in document.splitlines() if line.startswith("-A ")]
    # Only the fixed plumbing (jumps into our chains, established, default drop) is anonymous.
    anonymous = [r for r in rules if "--comment" not in r]
    plumbing = ("ESTABLISHED", " -j DROP", " -j ns-")
    assert all(any(p in r for p in plumbing) for r in anonymous), anonymous
    for uuid in (u(201), u(301), u(302), u(303), u(501)):
        assert f'--comment "{uuid}"' in document


def test_port_forwarding_to_a_secondary_ip_maps_ranges_one_to_one() -> None:
    document = render_router(static_nat_and_port_forwarding_to_secondaries()).iptables
    assert "-j DNAT --to-destination 10.1.1.101:9000-9010/8000" in document
    assert "-j DNAT --to-destination 10.1.1.101:22" in document
    assert "-s 10.1.1.101/32 -o eth2" in document


def test_one_vm_with_several_addresses_gets_one_server_per_address() -> None:
    haproxy = render_router(load_balancer(Algorithm.SOURCE)()).haproxy
    servers = re.findall(r"^\s+server (\S+) (\S+) check$", haproxy, re.MULTILINE)
    assert servers == [
        ("web-1-10-1-1-10", "10.1.1.10:8080"),
        ("web-1-10-1-1-101", "10.1.1.101:8080"),
        ("web-2-10-1-1-102", "10.1.1.102:8080"),
    ]
    assert "balance source" in haproxy


def test_a_vm_name_cannot_inject_haproxy_syntax() -> None:
    assert server_name(guest(9, "evil name\n  bind *:1", "10.1.1.9")) == "evil_name___bind___1-10-1-1-9"


def test_a_load_balancer_with_source_cidrs_takes_its_port_from_those_cidrs_only() -> None:
    rules = [line for line in render_router(load_balancer_from_cidrs()).iptables.splitlines()
             if f'--comment "{u(401)}"' in line]
    port = '-d 203.0.113.14/32 -p tcp -m tcp --dport 80 -m comment --comment "00000000-0000-4000-8000-000000000401"'
    # No input interface: a guest reaching the public address is held to the same list.
    assert rules == [
        f"-A ns-INPUT -s 192.0.2.0/25 {port} -j ACCEPT",
        f"-A ns-INPUT -s 198.51.100.0/24 {port} -j ACCEPT",
        f"-A ns-INPUT {port} -j DROP",
    ]
    unrestricted = render_router(load_balancer_from_cidrs()).iptables
    opened = f'-A ns-INPUT -i eth2 -d 203.0.113.14/32 -p tcp -m tcp --dport 443 -m comment --comment "{u(402)}"'
    assert f"{opened} -j ACCEPT" in unrestricted


def test_a_vpc_has_no_firewall_chains_but_accepts_what_its_rules_open() -> None:
    document = render_router(vpc_two_tiers()).iptables
    assert ":ns-fw-" not in document
    assert "-A ns-FORWARD -i eth2 -s 198.51.100.0/24 -d 10.2.2.101/32 -p tcp -m tcp --dport 22" in document
    assert "-A ns-INPUT -i eth2 -d 203.0.113.23/32 -p tcp -m tcp --dport 80" in document


def test_the_generation_key_changes_exactly_when_the_content_changes() -> None:
    one = render_router(static_nat_to_secondary())
    assert generation_key(one) == generation_key(render_router(static_nat_to_secondary()))
    assert generation_key(one) != generation_key(render_router(empty_network()))
    moved = RouterDocuments(one.iptables + one.haproxy[:1], one.haproxy[1:], one.addresses, one.metadata)
    assert generation_key(moved) != generation_key(one)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: RouterState(RouterKind.VPC, u(2), (), firewall_rules=(fw(1, "203.0.113.9", Protocol.ICMP),)),
         "no firewall rules"),
        (lambda: isolated(port_forwards=(pf(1, "203.0.113.99", Protocol.TCP, (1, 1), (1, 1), WEB1_PRIMARY),)),
         "not one of this router's"),
        (lambda: isolated(PublicIp(u(201), ip("203.0.113.11")), port_forwards=(
            pf(1, "203.0.113.11", Protocol.TCP, (80, 90), (80, 90), WEB1_PRIMARY),
            pf(2, "203.0.113.11", Protocol.TCP, (90, 95), (90, 95), WEB1_PRIMARY),
        )), "both use tcp ports"),
        (lambda: isolated(PublicIp(u(201), ip("203.0.113.11"), static_nat=WEB1_PRIMARY),
                          port_forwards=(pf(1, "203.0.113.11", Protocol.TCP, (1, 1), (1, 1), WEB1_PRIMARY),)),
         "has static NAT"),
        (lambda: pf(1, "203.0.113.11", Protocol.TCP, (80, 81), (80, 80), WEB1_PRIMARY), "differ in size"),
        (lambda: isolated(PublicIp(u(201), ip("203.0.113.11"), static_nat=guest(9, "x", "10.9.9.9"))),
         "in none of the router's tiers"),
        (lambda: fw(1, "203.0.113.11", Protocol.ALL, (1, 2)), "ports need tcp or udp"),
        (lambda: replace(isolated(PublicIp(u(201), ip("203.0.113.11"))), ip_forwards=(
            IpForward(u(901), ip("203.0.113.11"), Protocol.TCP, PortRange(80, 80)),)), "with static NAT"),
        (lambda: replace(isolated(PublicIp(u(201), ip("203.0.113.11"), static_nat=WEB1_PRIMARY)), ip_forwards=(
            IpForward(u(901), ip("203.0.113.11"), Protocol.TCP, PortRange(80, 90)),
            IpForward(u(902), ip("203.0.113.11"), Protocol.TCP, PortRange(85, 85)))), "both use tcp ports"),
        (lambda: IpForward(u(901), ip("203.0.113.11"), Protocol.ICMP, PortRange(1, 1)), "not tcp or udp"),
        (lambda: RouterState(RouterKind.VPC, u(2), (), egress_rules=(EgressRule(u(951), Protocol.ALL),)),
         "no egress rules"),
        (lambda: EgressRule(u(951), Protocol.ICMP, PortRange(1, 2)), "ports need tcp or udp"),
    ],
)
def test_an_inconsistent_state_is_refused_with_the_value_named(build: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()
