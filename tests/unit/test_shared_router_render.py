"""The routers of shared networks: an elastic one (a Basic zone's EIP/ELB network) and a metadata-only one.

An elastic router is its pods' gateway and renders static NAT and load balancing like an isolated
router, without source NAT or firewall chains; a shared router holds only the metadata address on
its guest interface, with an on-link route to the network, and forwards nothing.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv4Network

import pytest

from nicstack.domain.vocabulary import Algorithm, Protocol
from nicstack.render.iptables_router import render_router_iptables
from nicstack.render.router_addresses import addresses_of, parse, render_addresses
from nicstack.render.router_state import FirewallRule, GuestTier, LoadBalancer, PublicIp, RouterKind, RouterState
from tests.unit.test_router_render import guest, u

pytestmark = pytest.mark.unit

SUBNET = IPv4Network("10.6.0.0/24")
POD = GuestTier(u(101), "pod-a", SUBNET, IPv4Address("10.6.0.1"))
SHARED_TIER = GuestTier(u(102), "demo-shared", IPv4Network("10.3.0.0/24"), IPv4Address("10.3.0.1"),
                        holds_gateway=False)
GUEST = guest(601, "eip-1", "10.6.0.12")
NAT = PublicIp(u(201), IPv4Address("198.51.100.10"), static_nat=GUEST, subnet=IPv4Network("198.51.100.0/24"))
LB_IP = PublicIp(u(202), IPv4Address("198.51.100.11"), subnet=IPv4Network("198.51.100.0/24"))


def elastic() -> RouterState:
    lb = LoadBalancer(u(401), "web", LB_IP.address, 80, 8080, Algorithm.ROUNDROBIN, (GUEST,))
    return RouterState(RouterKind.ELASTIC, u(100), (POD,), (NAT, LB_IP), load_balancers=(lb,),
                       public_gateway=IPv4Address("198.51.100.1"))


def shared() -> RouterState:
    return RouterState(RouterKind.SHARED, u(100), (SHARED_TIER,))


def test_an_elastic_router_maps_its_elastic_ip_as_the_pods_gateway_without_source_nat_or_firewall() -> None:
    document = render_router_iptables(elastic())
    assert f"-d {NAT.address}/32 -m comment --comment \"{NAT.uuid}\" -j DNAT --to-destination {GUEST.address}" \
        in document
    assert f"-s {GUEST.address}/32 -o eth2 -m comment --comment \"{NAT.uuid}\" -j SNAT --to-source {NAT.address}" \
        in document
    assert f"-s {SUBNET} -o eth2" not in document  # no source NAT of the pod
    assert "ns-fw-" not in document
    values = addresses_of(elastic())
    assert IPv4Interface("10.6.0.1/24") in values.of("eth0") and values.routes == ()


def test_a_shared_router_holds_only_the_metadata_address_with_a_route_and_forwards_nothing() -> None:
    values = addresses_of(shared())
    assert values.of("eth0") == [IPv4Interface("169.254.169.254/32")]
    assert values.routes == (("eth0", SHARED_TIER.cidr),)
    assert values.guest_side() == [IPv4Address("169.254.169.254")]
    text = render_addresses(shared())
    assert "route 10.3.0.0/24 dev eth0" in text and "10.3.0.1" not in text
    assert parse(text).routes == values.routes
    document = render_router_iptables(shared())
    assert "SNAT" not in document and "DNAT" not in document
    assert "-A ns-FORWARD -i eth0" not in document
    # It has no public interface: nothing may name the machine's eth2, which is another's.
    assert values.public() is None and "eth2" not in text and "eth2" not in document


@pytest.mark.parametrize("make, reason", [
    (lambda: RouterState(RouterKind.SHARED, u(100), (SHARED_TIER,), (LB_IP,)), "metadata only"),
    (lambda: RouterState(RouterKind.ELASTIC, u(100), (SHARED_TIER,)), "gateway"),
    (lambda: RouterState(RouterKind.ISOLATED, u(100), (SHARED_TIER,)), "gateway"),
    (lambda: RouterState(RouterKind.ELASTIC, u(100), (POD,), (LB_IP,), firewall_rules=(
        FirewallRule(u(501), LB_IP.address, Protocol.TCP),)), "no firewall rules"),
    (lambda: RouterState(RouterKind.ELASTIC, u(100), (POD,), (PublicIp(u(203), IPv4Address("198.51.100.12"),
                                                                      source_nat=True),)), "no source NAT"),
])
def test_states_a_shared_networks_router_cannot_serve_are_refused_naming_why(make: object, reason: str) -> None:
    assert callable(make)
    with pytest.raises(ValueError, match=reason):
        make()
