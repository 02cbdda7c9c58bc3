"""The address-usage view: runs, counts and cells from the used index alone, on any pool size."""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv6Network

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nicstack.ipam.allocator import Pool
from nicstack.ipam.free_ranges import free_ranges
from nicstack.ipam.usage import FREE, RESERVED, Run, usage

pytestmark = pytest.mark.unit


class Used:
    """A sorted in-memory used index that counts how many addresses it was asked for."""

    def __init__(self, held: dict[int, str]) -> None:
        self.held = dict(sorted(held.items()))
        self.read = 0

    def used_between(self, low: int, high: int, limit: int) -> Sequence[tuple[int, str]]:
        found = [(v, k) for v, k in self.held.items() if low <= v <= high][:limit]
        self.read += len(found)
        return found


class Plain:
    """The same index as the allocator sees it (addresses only)."""

    def __init__(self, used: Used) -> None:
        self.used = used

    def used_between(self, low: int, high: int, limit: int) -> Sequence[int]:
        return [v for v, _ in self.used.used_between(low, high, limit)]


def ip(text: str) -> int:
    return int(IPv4Address(text))


def test_a_24_is_runs_of_kinds_with_the_unheld_gateway_reserved() -> None:
    pool = Pool(4, ((ip("10.1.1.1"), ip("10.1.1.254")),), frozenset({ip("10.1.1.1")}))
    used = Used({ip("10.1.1.2"): "primary", ip("10.1.1.3"): "primary", ip("10.1.1.4"): "secondary",
                 ip("10.1.1.100"): "secondary"})
    view = usage(pool, used, 100, 256)
    assert [(IPv4Address(r.start), IPv4Address(r.end), r.kind) for r in view.runs] == [
        (IPv4Address("10.1.1.1"), IPv4Address("10.1.1.1"), RESERVED),
        (IPv4Address("10.1.1.2"), IPv4Address("10.1.1.3"), "primary"),
        (IPv4Address("10.1.1.4"), IPv4Address("10.1.1.4"), "secondary"),
        (IPv4Address("10.1.1.5"), IPv4Address("10.1.1.99"), FREE),
        (IPv4Address("10.1.1.100"), IPv4Address("10.1.1.100"), "secondary"),
        (IPv4Address("10.1.1.101"), IPv4Address("10.1.1.254"), FREE),
    ]
    assert view.counts == {FREE: 249, RESERVED: 1, "primary": 2, "secondary": 2}
    assert view.total == 254 and view.used == 5 and not view.truncated
    # One address per cell: the picture of a /24 is the phpIPAM grid.
    assert len(view.cells) == 254 and all(c.size == 1 for c in view.cells)
    assert view.cells[3].held == {"secondary": 1} and view.cells[4].held == {}


def test_a_held_gateway_shows_its_holder() -> None:
    pool = Pool(4, ((ip("10.1.1.1"), ip("10.1.1.254")),), frozenset({ip("10.1.1.1")}))
    view = usage(pool, Used({ip("10.1.1.1"): "router"}), 10, 8)
    assert view.runs[0] == Run(ip("10.1.1.1"), ip("10.1.1.1"), "router")
    assert RESERVED not in view.counts


def test_a_16_fits_in_256_cells_that_count_each_kind() -> None:
    low, high = ip("10.20.0.1"), ip("10.20.255.254")
    held = {low + 5: "primary", **{low + 300 + i: "secondary" for i in range(40)}}
    view = usage(Pool(4, ((low, high),)), Used(held), 1000, 256)
    assert len(view.cells) == 256
    assert sum(c.size for c in view.cells) == view.total == 65534
    assert max(c.size for c in view.cells) - min(c.size for c in view.cells) <= 1
    assert view.cells[0].held == {"primary": 1}
    assert sum(c.held.get("secondary", 0) for c in view.cells) == 40
    assert view.cells[0].start == low and view.cells[-1].end == high


def test_an_ipv6_64_costs_what_it_holds_and_counts_exactly() -> None:
    net = IPv6Network("fd00:3::/64")
    low, high = int(net.network_address) + 1, int(net.broadcast_address)
    used = Used({low + 0xFF: "primary", low + 0x100: "secondary"})
    view = usage(Pool(6, ((low, high),)), used, 100, 256)
    assert view.total == 2**64 - 1
    assert view.counts[FREE] == 2**64 - 3
    assert [r.kind for r in view.runs] == [FREE, "primary", "secondary", FREE]
    assert used.read == 2
    assert len(view.cells) == 256 and view.cells[0].held == {"primary": 1, "secondary": 1}


def test_runs_stop_at_the_limit_and_the_counts_stay_complete() -> None:
    low = ip("10.0.0.1")
    held = {low + 2 * i: "secondary" for i in range(50)}
    view = usage(Pool(4, ((low, low + 200),)), Used(held), 10, 4)
    assert len(view.runs) == 10 and view.truncated
    assert view.counts["secondary"] == 50


def test_adjacent_ranges_merge_and_cells_span_gaps_between_ranges() -> None:
    pool = Pool(4, ((ip("10.3.0.10"), ip("10.3.0.19")), (ip("10.3.0.20"), ip("10.3.0.29")),
                    (ip("10.3.0.100"), ip("10.3.0.109"))))
    view = usage(pool, Used({ip("10.3.0.105"): "taken"}), 100, 3)
    assert [(r.start, r.end, r.kind) for r in view.runs] == [
        (ip("10.3.0.10"), ip("10.3.0.29"), FREE), (ip("10.3.0.100"), ip("10.3.0.104"), FREE),
        (ip("10.3.0.105"), ip("10.3.0.105"), "taken"), (ip("10.3.0.106"), ip("10.3.0.109"), FREE),
    ]
    assert [c.size for c in view.cells] == [10, 10, 10]
    assert view.cells[2].start == ip("10.3.0.100") and view.cells[2].held == {"taken": 1}


@given(st.sets(st.integers(0, 299), max_size=120), st.sets(st.integers(0, 299), max_size=3),
       st.integers(1, 40))
def test_free_runs_are_the_free_ranges_and_everything_adds_up(held: set[int], excluded: set[int], cells: int) -> None:
    pool = Pool(4, ((1000, 1099), (1100, 1149), (1200, 1349)), frozenset(1000 + x for x in excluded))
    used = Used({1000 + x: "secondary" for x in held if pool.contains(1000 + x) or 1000 + x in pool.excluded})
    view = usage(pool, used, 10_000, cells)
    free, _ = free_ranges(pool, Plain(used), 10_000)
    assert [(r.start, r.end) for r in view.runs if r.kind == FREE] == free
    assert view.total == sum(r.count for r in view.runs) == sum(view.counts.values())
    assert sum(c.size for c in view.cells) == view.total
    assert sum(sum(c.held.values()) for c in view.cells) == view.used
