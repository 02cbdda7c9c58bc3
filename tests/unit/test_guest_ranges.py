"""Guest ranges, security-group rule shapes and host snapshots: the pure rules behind shared networks."""

from __future__ import annotations

from datetime import datetime
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

import pytest

from nicstack.domain.errors import ParameterError
from nicstack.domain.ip_ranges import GuestRange, check_span, families, overlapping, pool_from
from nicstack.domain.kinds import Hypervisor
from nicstack.domain.security_groups import RuleShape, cidrs_of, rule_shape
from nicstack.domain.vocabulary import Protocol
from nicstack.services.host_snapshots import digest, from_json, to_json
from tests.unit.test_host_render import SCENARIOS

pytestmark = pytest.mark.unit


def guest_range(start: str | None, end: str | None, start6: str | None = None, end6: str | None = None,
                pod: int | None = None) -> GuestRange:
    return GuestRange(1, "r", 1, "z", "zone", 1, "n", "net", pod, None, None, "untagged", "10.1.0.1",
                      "255.255.0.0", start, end, "fd00::1", "fd00::/64", start6, end6, None, None, datetime(2026, 1, 1))


def test_a_pool_merges_touching_ranges_and_keeps_families_apart() -> None:
    ranges = [guest_range("10.1.0.20", "10.1.0.29"), guest_range("10.1.0.10", "10.1.0.19", "fd00::10", "fd00::1f"),
              guest_range("10.1.1.0", "10.1.1.9")]
    pool = pool_from(ranges, 4)
    assert [(str(IPv4Address(a)), str(IPv4Address(b))) for a, b in pool.ranges] == [
        ("10.1.0.10", "10.1.0.29"), ("10.1.1.0", "10.1.1.9")]
    assert pool.size() == 30
    assert pool_from(ranges, 6).size() == 16 and families(ranges) == [4, 6]
    assert families([guest_range(None, None, "fd00::10", "fd00::1f")]) == [6]


def test_a_range_holding_its_gateway_or_leaving_its_subnet_is_refused_with_the_reason() -> None:
    subnet, gateway = ip_network("10.1.0.0/24"), ip_address("10.1.0.1")
    for start, end, reason in (("10.1.0.0", "10.1.0.9", "usable"), ("10.1.0.1", "10.1.0.9", "gateway"),
                               ("10.1.0.9", "10.1.0.2", "ends before"), ("10.1.0.200", "10.1.1.5", "usable")):
        with pytest.raises(ParameterError) as refused:
            check_span(subnet, gateway, ip_address(start), ip_address(end), "IP")
        assert reason in refused.value.text and start in refused.value.text
    check_span(subnet, gateway, ip_address("10.1.0.2"), ip_address("10.1.0.254"), "IP")


def test_overlapping_ranges_are_found_per_family() -> None:
    existing = [guest_range("10.1.0.10", "10.1.0.20", "fd00::10", "fd00::20")]
    assert overlapping(existing, 4, int(IPv4Address("10.1.0.20")), int(IPv4Address("10.1.0.30"))) is existing[0]
    assert overlapping(existing, 4, int(IPv4Address("10.1.0.21")), int(IPv4Address("10.1.0.30"))) is None
    assert overlapping(existing, 6, int(IPv6Address("fd00::21")), int(IPv6Address("fd00::30"))) is None


def test_a_rule_shape_follows_cloudstacks_protocol_rules() -> None:
    assert rule_shape(None, None, None, None, None) == RuleShape(Protocol.ALL)
    assert rule_shape("TCP", 80, None, None, None) == RuleShape(Protocol.TCP, 80, 80)
    assert rule_shape("icmp", None, None, None, None) == RuleShape(Protocol.ICMP, icmp_type=-1, icmp_code=-1)
    for args, reason in ((("tcp", None, None, None, None), "startport"), (("udp", 90, 80, None, None), "range"),
                         (("icmp", 22, None, None, None), "startport"), (("gre", None, None, None, None), "protocol"),
                         (("icmp", None, None, -1, 3), "any type"), (("all", None, None, 8, None), "icmptype")):
        with pytest.raises(ParameterError) as refused:
            rule_shape(*args)
        assert reason in refused.value.text, (args, refused.value.text)


def test_cidr_lists_are_normalised_sorted_and_refuse_garbage() -> None:
    assert cidrs_of(["::/0", "10.1.2.3/8", "10.0.0.0/8 "]) == ["10.0.0.0/8", "::/0"]
    with pytest.raises(ParameterError):
        cidrs_of(["10.0.0.0/33"])


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_a_host_snapshot_round_trips_and_its_digest_is_stable(scenario: str) -> None:
    state = SCENARIOS[scenario](Hypervisor.KVM)
    data = to_json(state)
    again = from_json(data)
    assert to_json(again) == data and digest(to_json(again)) == digest(data)
    assert again.structure() == state.structure()
