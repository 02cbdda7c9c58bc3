"""Address values: parsing at the edge, usable bounds, order-preserving keys, EUI-64."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nicstack.domain.errors import ParameterError
from nicstack.ipam.addresses import (
    int_to_key,
    is_eui64_of,
    key_to_int,
    looks_like_eui64,
    make_address,
    network_from_gateway,
    parse_address,
    parse_ipv4,
    parse_network,
    usable_bounds,
)

pytestmark = pytest.mark.unit

FAST = settings(max_examples=200, deadline=None)

V4_MAX = 2**32 - 1
V6_MAX = 2**128 - 1


def net(cidr: str) -> IPv4Network | IPv6Network:
    return ip_network(cidr)


def bounds_as_text(cidr: str) -> tuple[str, str]:
    network = net(cidr)
    first, last = usable_bounds(network)
    return str(make_address(network.version, first)), str(make_address(network.version, last))


def refusal(text: str, param: str = "ipaddress") -> ParameterError:
    with pytest.raises(ParameterError) as caught:
        parse_address(text, param)
    return caught.value


# --- parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.1.2.3", IPv4Address("10.1.2.3")),
        ("0.0.0.0", IPv4Address(0)),
        ("255.255.255.255", IPv4Address(V4_MAX)),
        (" 192.168.0.1 ", IPv4Address("192.168.0.1")),
        ("2001:db8::1", IPv6Address("2001:db8::1")),
        ("2001:DB8:0:0:0:0:0:1", IPv6Address("2001:db8::1")),
        ("::", IPv6Address(0)),
        ("::ffff:1.2.3.4", IPv6Address("::ffff:102:304")),
    ],
)
def test_parsing_a_well_formed_address_gives_that_address(text: str, expected: object) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "255.255.255.300",
        "256.1.1.1",
        "1.2.3",
        "1.2.3.4.5",
        "01.2.3.4",
        "1.2.3.-4",
        "abc",
        "",
        "   ",
        "1.2.3.4/32",
        "2001:db8::1::2",
        "2001:db8::g",
        "١٢٣.1.1.1",
        "1.2.3.٤",
        "\uff11.\uff12.\uff13.\uff14",
        "10.0.0.1\u200b",
        "fe80::1%eth0",
        "fe80::1%é",
        "::1%25",
    ],
)
def test_parsing_garbage_raises_a_parameter_error_that_quotes_the_value(text: str) -> None:
    error = refusal(text)
    assert repr(text) in error.text
    assert "ipaddress" in error.text


def test_a_parse_refusal_names_the_parameter_it_was_given_for() -> None:
    assert "startip" in refusal("nope", "startip").text


@given(st.text(alphabet=st.characters(blacklist_characters="0123456789abcdefABCDEF.:%"), min_size=1))
@FAST
def test_parsing_text_without_address_characters_always_raises_a_parameter_error(text: str) -> None:
    assert repr(text) in refusal(text).text


@given(st.integers(0, V4_MAX))
@FAST
def test_any_ipv4_address_round_trips_through_its_text(value: int) -> None:
    assert parse_address(str(IPv4Address(value))) == IPv4Address(value)


@given(st.integers(0, V6_MAX))
@FAST
def test_any_ipv6_address_round_trips_through_its_text(value: int) -> None:
    assert parse_address(str(IPv6Address(value))) == IPv6Address(value)


def test_parse_ipv4_refuses_an_ipv6_address_and_quotes_it() -> None:
    with pytest.raises(ParameterError) as caught:
        parse_ipv4("2001:db8::1", "gateway")
    assert "'2001:db8::1'" in caught.value.text
    assert "gateway" in caught.value.text


def test_parse_ipv4_accepts_an_ipv4_address() -> None:
    assert parse_ipv4("10.0.0.1", "gateway") == IPv4Address("10.0.0.1")


def test_parsing_a_network_cidr_gives_that_network() -> None:
    assert parse_network("10.0.0.0/8", "cidr") == IPv4Network("10.0.0.0/8")
    assert parse_network("2001:db8:1::/64", "ip6cidr") == IPv6Network("2001:db8:1::/64")


@pytest.mark.parametrize("text", ["10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/x", "abc", "fe80::%eth0/64"])
def test_parsing_a_bad_network_raises_a_parameter_error_that_quotes_the_value(text: str) -> None:
    with pytest.raises(ParameterError) as caught:
        parse_network(text, "cidr")
    assert repr(text) in caught.value.text


def test_a_network_is_derived_from_its_gateway_and_netmask() -> None:
    assert network_from_gateway(IPv4Address("10.1.1.1"), "255.255.255.0") == IPv4Network("10.1.1.0/24")


def test_a_bad_netmask_raises_a_parameter_error_that_quotes_it() -> None:
    with pytest.raises(ParameterError) as caught:
        network_from_gateway(IPv4Address("10.1.1.1"), "255.0.255.0")
    assert "'255.0.255.0'" in caught.value.text


# --- usable bounds -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cidr", "first", "last"),
    [
        ("10.1.1.0/24", "10.1.1.1", "10.1.1.254"),
        ("10.0.0.0/8", "10.0.0.1", "10.255.255.254"),
        ("10.1.1.0/30", "10.1.1.1", "10.1.1.2"),
        ("10.1.1.0/31", "10.1.1.0", "10.1.1.1"),
        ("10.1.1.7/32", "10.1.1.7", "10.1.1.7"),
        ("2001:db8::/64", "2001:db8::1", "2001:db8::ffff:ffff:ffff:ffff"),
        ("2001:db8::/126", "2001:db8::1", "2001:db8::3"),
        ("2001:db8::/127", "2001:db8::", "2001:db8::1"),
        ("2001:db8::5/128", "2001:db8::5", "2001:db8::5"),
    ],
)
def test_usable_bounds_drop_only_the_reserved_addresses_of_the_family(
    cidr: str, first: str, last: str
) -> None:
    assert bounds_as_text(cidr) == (first, last)


@given(st.integers(0, V4_MAX), st.integers(0, 30))
@FAST
def test_an_ipv4_network_up_to_slash_30_loses_exactly_network_and_broadcast(value: int, prefix: int) -> None:
    network = IPv4Network((value, prefix), strict=False)
    first, last = usable_bounds(network)
    assert (first, last) == (int(network.network_address) + 1, int(network.broadcast_address) - 1)
    assert last - first + 1 == network.num_addresses - 2


@given(st.integers(0, V6_MAX), st.integers(0, 126))
@FAST
def test_an_ipv6_network_up_to_slash_126_loses_only_the_subnet_router_anycast(
    value: int, prefix: int
) -> None:
    network = IPv6Network((value, prefix), strict=False)
    first, last = usable_bounds(network)
    assert (first, last) == (int(network.network_address) + 1, int(network.broadcast_address))
    assert last - first + 1 == network.num_addresses - 1


# --- keys ----------------------------------------------------------------------------------


@given(st.integers(0, V4_MAX), st.integers(0, V4_MAX))
@FAST
def test_ipv4_keys_sort_like_the_addresses(a: int, b: int) -> None:
    left, right = IPv4Address(a), IPv4Address(b)
    assert (int_to_key(int(left)) < int_to_key(int(right))) == (left < right)
    assert (int_to_key(int(left)) == int_to_key(int(right))) == (left == right)


@given(st.integers(0, V6_MAX), st.integers(0, V6_MAX))
@FAST
def test_ipv6_keys_sort_like_the_addresses(a: int, b: int) -> None:
    left, right = IPv6Address(a), IPv6Address(b)
    assert (int_to_key(int(left)) < int_to_key(int(right))) == (left < right)
    assert (int_to_key(int(left)) == int_to_key(int(right))) == (left == right)


@given(st.lists(st.integers(0, V6_MAX), max_size=30))
@FAST
def test_sorting_by_key_sorts_the_addresses(values: list[int]) -> None:
    addresses = [IPv6Address(value) for value in values]
    assert sorted(addresses, key=lambda a: int_to_key(int(a))) == sorted(addresses)


@given(st.integers(0, V6_MAX))
@FAST
def test_a_key_is_fixed_width_and_round_trips_to_the_integer(value: int) -> None:
    key = int_to_key(int(IPv6Address(value)))
    assert len(key) == 16
    assert key_to_int(key) == value


@given(st.integers(0, V4_MAX))
@FAST
def test_make_address_inverts_int_for_either_family(value: int) -> None:
    assert make_address(4, value) == IPv4Address(value)
    assert make_address(6, value) == IPv6Address(value)


# --- EUI-64 --------------------------------------------------------------------------------

MAC = "02:00:0c:12:34:56"
EUI64_OF_MAC = "2001:db8:1:2:0:cff:fe12:3456"


def test_the_eui64_address_of_a_mac_is_recognised_as_that_mac() -> None:
    assert is_eui64_of(IPv6Address(EUI64_OF_MAC), MAC)


def test_the_universal_local_bit_of_the_mac_is_flipped_in_the_interface_id() -> None:
    assert is_eui64_of(IPv6Address("fe80::211:22ff:fe33:4455"), "00:11:22:33:44:55")
    assert not is_eui64_of(IPv6Address("fe80::11:22ff:fe33:4455"), "00:11:22:33:44:55")


def test_an_upper_case_mac_is_matched_like_a_lower_case_one() -> None:
    assert is_eui64_of(IPv6Address(EUI64_OF_MAC), MAC.upper())


def test_the_eui64_address_of_another_mac_is_not_recognised() -> None:
    assert not is_eui64_of(IPv6Address(EUI64_OF_MAC), "02:00:0c:12:34:57")


def test_an_address_with_a_random_interface_id_is_not_the_eui64_of_the_mac() -> None:
    assert not is_eui64_of(IPv6Address("2001:db8:1:2::1234"), MAC)


@given(st.binary(min_size=6, max_size=6), st.integers(0, 2**64 - 1))
@FAST
def test_any_mac_is_recognised_in_its_eui64_address_under_any_prefix(mac: bytes, prefix: int) -> None:
    text = ":".join(f"{octet:02x}" for octet in mac)
    interface_id = bytes([mac[0] ^ 0x02, mac[1], mac[2], 0xFF, 0xFE, mac[3], mac[4], mac[5]])
    address = IPv6Address(prefix.to_bytes(8, "big") + interface_id)
    assert is_eui64_of(address, text)
    assert looks_like_eui64(address)


def test_an_address_carrying_the_ff_fe_marker_looks_like_eui64() -> None:
    assert looks_like_eui64(IPv6Address(EUI64_OF_MAC))
    assert not looks_like_eui64(IPv6Address("2001:db8::1"))
    assert not looks_like_eui64(IPv6Address("2001:db8::ff:fe00:0:0"))
