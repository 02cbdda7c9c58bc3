"""The allocator: pick a free address, never enumerating the pool.

A pool is a few inclusive integer ranges plus a small set of excluded addresses (gateway,
and what the caller wants skipped). Which addresses are in use is asked of a `UsedIndex`
in ascending slices, so the cost depends on how many used addresses sit next to the
cursor, not on the size of the network: a /8 or an IPv6 /64 costs what a /24 costs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Protocol

from nicstack.domain.errors import InsufficientCapacity

SLICE = 64


class UsedIndex(Protocol):
    """Ascending used addresses of one family within [low, high], at most `limit` of them."""

    def used_between(self, low: int, high: int, limit: int) -> Sequence[int]: ...


@dataclass(frozen=True, slots=True)
class Pool:
    """Where addresses may come from: sorted, non-overlapping inclusive ranges."""

    family: int
    ranges: tuple[tuple[int, int], ...]
    excluded: frozenset[int] = frozenset()

    def contains(self, value: int) -> bool:
        return any(low <= value <= high for low, high in self.ranges) and value not in self.excluded

    def size(self) -> int:
        inside = sum(1 for value in self.excluded if any(lo <= value <= hi for lo, hi in self.ranges))
        return sum(high - low + 1 for low, high in self.ranges) - inside


@dataclass(frozen=True, slots=True)
class AnyAddress:
    """Ask for any free address; `cursor` says where to start looking (the last pick + 1)."""

    cursor: int | None = None


def _segments_from(pool: Pool, cursor: int | None) -> Iterator[tuple[int, int]]:
    """The pool's ranges in search order: from the cursor to the end, then wrapping round."""
    ranges = pool.ranges
    if cursor is None or not ranges:
        yield from ranges
        return
    start = next((i for i, (_, high) in enumerate(ranges) if cursor <= high), 0)
    low, high = ranges[start]
    if low < cursor <= high:
        yield cursor, high
        yield from ranges[start + 1 :]
        yield from ranges[:start]
        yield low, cursor - 1
    else:
        yield from ranges[start:]
        yield from ranges[:start]


def _free_in(low: int, high: int, used: UsedIndex, excluded: frozenset[int]) -> Iterator[int]:
    """Free addresses of [low, high], ascending and lazily: only the used slices next to them are read."""
    candidate = low
    while candidate <= high:
        taken = used.used_between(candidate, high, SLICE)
        for value in taken:
            while candidate < value:
                if candidate not in excluded:
                    yield candidate
                candidate += 1
            candidate = value + 1
        if len(taken) < SLICE:
            break
    while candidate <= high:
        if candidate not in excluded:
            yield candidate
        candidate += 1


def _free_values(pool: Pool, request: AnyAddress, used: UsedIndex) -> Iterator[int]:
    """Every free address of the pool in search order: from the cursor to the end, then wrapping round."""
    for low, high in _segments_from(pool, request.cursor):
        yield from _free_in(low, high, used, pool.excluded)


def pick_free(pool: Pool, request: AnyAddress, used: UsedIndex, where: str) -> int:
    """The first free address at or after the cursor, wrapping; InsufficientCapacity if none."""
    found = next(_free_values(pool, request, used), None)
    if found is None:
        raise InsufficientCapacity(f"No free IP address left in {where}")
    return found


def first_free(pool: Pool, request: AnyAddress, used: UsedIndex, count: int) -> list[int]:
    """The first `count` free addresses at or after the cursor, wrapping: fewer when the pool has fewer."""
    return list(islice(_free_values(pool, request, used), count))
