"""What `nicstack-guest apply` would change on a VM's NICs, from the metadata's list and the NICs' own."""

from __future__ import annotations

from ipaddress import ip_interface

import pytest

from nicstack.guest.plan import Interface, Link, Wanted, plan

pytestmark = pytest.mark.unit

MAC = "02:00:00:00:00:0a"


def addresses(*texts: str) -> tuple[Interface, ...]:
    return tuple(ip_interface(t) for t in texts)


def steps(wanted: tuple[Interface, ...], held: tuple[Interface, ...], mac: str = MAC) -> list[str]:
    return [str(s) for s in plan({MAC: Wanted(MAC, wanted)}, [Link("eth0", mac, held)])]


def test_listed_secondary_addresses_are_added_with_the_subnets_prefix() -> None:
    assert steps(addresses("10.1.1.5/24", "10.1.1.50/24", "10.1.1.51/24"), addresses("10.1.1.5/24")) == [
        "add 10.1.1.50/24 dev eth0", "add 10.1.1.51/24 dev eth0"]


def test_an_address_the_cloud_released_is_removed_but_others_outside_its_subnets_stay() -> None:
    held = addresses("10.1.1.5/24", "10.1.1.50/24", "192.168.7.1/24", "fd00:9::1/64")
    assert steps(addresses("10.1.1.5/24"), held) == ["del 10.1.1.50/24 dev eth0"]


def test_a_nic_that_holds_what_is_listed_needs_nothing() -> None:
    listed = addresses("10.1.1.5/24", "10.1.1.50/24", "fd00:1::5/64")
    assert steps(listed, listed) == []


def test_an_address_with_the_wrong_prefix_is_replaced() -> None:
    assert steps(addresses("10.1.1.5/24", "10.1.1.50/24"), addresses("10.1.1.5/24", "10.1.1.50/32")) == [
        "del 10.1.1.50/32 dev eth0", "add 10.1.1.50/24 dev eth0"]


def test_interfaces_are_found_by_mac_whatever_its_case_and_others_are_left_alone() -> None:
    assert steps(addresses("10.1.1.5/24", "10.1.1.50/24"), addresses("10.1.1.5/24"), mac=MAC.upper()) == [
        "add 10.1.1.50/24 dev eth0"]
    assert steps(addresses("10.1.1.5/24", "10.1.1.50/24"), addresses("10.1.1.99/24"), mac="02:00:00:00:00:ff") == []
