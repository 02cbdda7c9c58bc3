"""The router's addresses document: what it says for each router, and that it reads back to the same values."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface

import pytest

from nicstack.render.router_addresses import GUEST, PUBLIC, addresses_of, parse, render_addresses
from tests.unit.test_router_render import SCENARIOS, TIER, static_nat_to_secondary, u, vpc_two_tiers

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_document_reads_back_to_the_values_it_was_rendered_from(name: str) -> None:
    state = SCENARIOS[name]()
    parsed = parse(render_addresses(state))
    expected = addresses_of(state)
    assert parsed.gateway == expected.gateway
    assert sorted(parsed.addresses) == sorted(expected.addresses)
    assert sorted(parsed.interfaces, key=str) == sorted(expected.interfaces, key=str)


def test_public_addresses_sit_on_the_public_interface_with_their_ranges_prefix() -> None:
    values = addresses_of(static_nat_to_secondary())
    assert values.of("eth2") == [IPv4Interface("203.0.113.10/24"), IPv4Interface("203.0.113.11/24")]
    assert values.of("eth0") == [IPv4Interface("10.1.1.1/24"), IPv4Interface("169.254.169.254/32")]
    public = values.public()
    assert public is not None and public.name == "eth2"
    assert values.gateway == IPv4Address("203.0.113.1")
    assert [i.network for i in values.interfaces if i.role == GUEST] == [TIER.uuid]


def test_each_vpc_tier_gets_its_gateway_on_its_own_interface() -> None:
    values = addresses_of(vpc_two_tiers())
    assert values.of("eth3") == [IPv4Interface("10.2.1.1/24"), IPv4Interface("169.254.169.254/32")]
    assert values.of("eth4") == [IPv4Interface("10.2.2.1/24"), IPv4Interface("169.254.169.254/32")]
    assert {i.name: i.network for i in values.interfaces} == {"eth2": None, "eth3": u(102), "eth4": u(103)}
    assert [i.role for i in values.interfaces] == [PUBLIC, GUEST, GUEST]


@pytest.mark.parametrize(("document", "why"), [
    ("interface eth2 public\naddress eth2 203.0.113.300/24\n", "line 2"),
    ("interface eth2 public\nflush everything\n", "unknown statement"),
    ("address eth2 203.0.113.3/24\n", "no public interface"),
    ("interface eth2 public\naddress eth9 10.0.0.1/24\n", "undeclared interfaces: eth9"),
])
def test_a_document_it_does_not_understand_is_refused_with_the_line(document: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse(document)
