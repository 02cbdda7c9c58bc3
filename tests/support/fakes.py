"""In-memory stand-ins for the allocator's inputs in unit tests: a used index, and pools built by hand.

The used index is a sorted list searched with bisect; it also counts the calls it receives,
which is how the tests show the cost does not grow with the pool.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable
from ipaddress import ip_network

from nicstack.ipam.addresses import usable_bounds
from nicstack.ipam.allocator import Pool


class FakeUsedIndex:
    """Used values in a sorted list; answers `used_between` as the protocol says and counts calls."""

    def __init__(self, values: Iterable[int] = ()) -> None:
        self.values: list[int] = sorted(set(values))
        self.calls = 0

    def used_between(self, low: int, high: int, limit: int) -> list[int]:
        assert limit > 0, "asked for an empty slice"
        assert low <= high, f"asked for an empty span [{low}, {high}]"
        self.calls += 1
        start = bisect_left(self.values, low)
        end = min(bisect_right(self.values, high), start + limit)
        return self.values[start:end]

    def add(self, value: int) -> None:
        position = bisect_left(self.values, value)
        assert position == len(self.values) or self.values[position] != value, f"{value} used twice"
        insort(self.values, value)

    def remove(self, value: int) -> None:
        self.values.remove(value)


def used(*values: int) -> FakeUsedIndex:
    return FakeUsedIndex(values)


def pool(*ranges: tuple[int, int], excluded: Iterable[int] = (), family: int = 4) -> Pool:
    return Pool(family=family, ranges=tuple(ranges), excluded=frozenset(excluded))


def pool_of(cidr: str, excluded: Iterable[int] = ()) -> Pool:
    """The usable addresses of a CIDR (IPv4: without network and broadcast), less `excluded`."""
    network = ip_network(cidr)
    return Pool(network.version, (usable_bounds(network),), frozenset(excluded))
