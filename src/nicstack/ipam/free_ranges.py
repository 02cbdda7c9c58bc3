"""Free addresses of a pool as compact ranges, never enumerating the pool.

The used index is swept in ascending slices and merged with the pool's (small) excluded
set; every gap between two blocked addresses is one free range. The work is proportional
to the used addresses swept and to `limit`, not to the size of the pool, so a /8 or an
IPv6 /64 with a handful of addresses in use costs what a /24 costs.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator

from nicstack.domain.errors import ParameterError
from nicstack.ipam import allocator
from nicstack.ipam.allocator import Pool, UsedIndex


def _used_in(low: int, high: int, used: UsedIndex) -> Iterator[int]:
    """Ascending used values in [low, high], fetched lazily one slice at a time."""
    cursor = low
    while cursor <= high:
        size = allocator.SLICE
        taken = used.used_between(cursor, high, size)
        yield from taken
        if len(taken) < size:
            return
        cursor = taken[-1] + 1


def _blocked_in(low: int, high: int, used: UsedIndex, excluded: frozenset[int]) -> Iterator[int]:
    """Ascending values in [low, high] that are not free (used or excluded), duplicates allowed."""
    skipped = sorted(value for value in excluded if low <= value <= high)
    return heapq.merge(_used_in(low, high, used), skipped)


def _gaps(pool: Pool, used: UsedIndex) -> Iterator[tuple[int, int]]:
    """Free gaps in ascending order, range by range (adjacent gaps not yet merged)."""
    for low, high in pool.ranges:
        start = low
        for blocked in _blocked_in(low, high, used, pool.excluded):
            if blocked > start:
                yield start, blocked - 1
            start = max(start, blocked + 1)
        if start <= high:
            yield start, high


def free_ranges(pool: Pool, used: UsedIndex, limit: int) -> tuple[list[tuple[int, int]], bool]:
    """Up to `limit` free ranges (inclusive start, end), ascending; `truncated` if more exist.

    Free ranges that touch across two adjacent pool ranges are reported as one.
    """
    if limit < 0:
        raise ParameterError(f"Invalid value {limit} for limit: must not be negative")
    ranges: list[tuple[int, int]] = []
    for start, end in _gaps(pool, used):
        if ranges and ranges[-1][1] + 1 == start:
            ranges[-1] = (ranges[-1][0], end)
        elif len(ranges) == limit:
            return ranges, True
        else:
            ranges.append((start, end))
    return ranges, False


def count_free(pool: Pool, used_count: int) -> int:
    """How many addresses of the pool are free, given how many of its members are in use.

    `used_count` must count used addresses that are members of the pool (inside a range
    and not excluded); a used gateway or an address outside the ranges is not one.
    """
    return pool.size() - used_count
