"""The pure values and checks behind NAT, port forwarding, load balancing and firewall rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nicstack.domain.errors import ParameterError
from nicstack.domain.rules import PortUse, cidr_list, split_cidrs
from nicstack.domain.vocabulary import PF_PROTOCOLS, PortRange, Protocol, algorithm_of, protocol_of

pytestmark = pytest.mark.unit

ports = st.integers(min_value=1, max_value=65535)


def test_a_port_range_defaults_its_end_to_its_start_and_refuses_reversed_or_out_of_range_ports() -> None:
    assert PortRange.of(22, None, "public port") == PortRange(22, 22)
    assert PortRange.of(8000, 8010, "public port").size == 11
    for start, end in ((10, 9), (0, 5), (1, 65536)):
        with pytest.raises(ParameterError, match="public port"):
            PortRange.of(start, end, "public port")
        with pytest.raises(ValueError, match="port"):
            PortRange(start, end)


@given(ports, ports, ports, ports)
def test_port_uses_clash_exactly_when_transport_matches_and_ranges_overlap(a: int, b: int, c: int, d: int) -> None:
    first = PortUse("x", Protocol.TCP, min(a, b), max(a, b))
    second = PortUse("y", Protocol.TCP, min(c, d), max(c, d))
    overlap = bool(set(range(first.start, first.end + 1)) & set(range(second.start, second.end + 1)))
    assert first.clashes(second) == overlap == second.clashes(first)
    assert not first.clashes(PortUse("z", Protocol.UDP, second.start, second.end))


def test_protocols_and_algorithms_are_normalised_or_refused_naming_the_value() -> None:
    assert protocol_of(" TCP ", PF_PROTOCOLS) is Protocol.TCP
    assert algorithm_of("LeastConn") == "leastconn"
    with pytest.raises(ParameterError, match="'gre'"):
        protocol_of("gre", PF_PROTOCOLS)
    with pytest.raises(ParameterError, match="'random'"):
        algorithm_of("random")


def test_cidr_lists_are_ipv4_sorted_without_repeats_and_round_trip_through_storage() -> None:
    cidrs = cidr_list(["10.0.0.0/8", "192.0.2.0/24", "10.0.0.0/8"])
    assert cidrs == ("10.0.0.0/8", "192.0.2.0/24")
    assert split_cidrs(",".join(cidrs)) == cidrs and split_cidrs(None) == ()
    for bad in ("10.0.0.1/8", "fd00::/64", "nonsense"):
        with pytest.raises(ParameterError, match="cidrlist"):
            cidr_list([bad])


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("10.0.0.1/8", "host bits are set; the network is 10.0.0.0/8"),
        ("fd00::/64", "an IPv6 network"),
        ("10.0.0.0/33", "expected an address or address/prefix"),
        ("nonsense", "expected an address or address/prefix"),
    ],
)
def test_a_refused_cidr_is_named_with_the_reason(bad: str, reason: str) -> None:
    with pytest.raises(ParameterError) as refused:
        cidr_list(["192.0.2.0/24", bad], "cidrlist")
    assert f"Invalid value {bad!r} for cidrlist: not an IPv4 CIDR" in str(refused.value)
    assert reason in str(refused.value)
