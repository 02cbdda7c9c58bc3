"""A pool's address space by use: runs of one kind, counts per kind, and a fixed number of cells.

The used index is swept once, in ascending slices, and merged with the pool's excluded
addresses (the gateway: "reserved" unless someone holds it), so the work grows with the used
addresses, never with the size of the pool: an IPv6 /64 with three addresses in use costs what a
/24 with three does. Runs are exact (consecutive addresses of one kind, free ones included);
cells cut the pool into at most `cells` equal stretches and count each stretch by kind, which is
what a picture of a /16 or a /64 can honestly show.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from nicstack.domain.errors import ParameterError
from nicstack.ipam.allocator import Pool

FREE = "free"
RESERVED = "reserved"
# Slices of the used index: bigger than the allocator's, since a usage sweep reads them all.
SLICE = 1024


class UsedKinds(Protocol):
    """Ascending (address, kind) pairs of one family within [low, high], at most `limit` of them."""

    def used_between(self, low: int, high: int, limit: int) -> Sequence[tuple[int, str]]: ...


@dataclass(frozen=True, slots=True)
class Run:
    """Consecutive addresses start..end (inclusive) of one kind."""

    start: int
    end: int
    kind: str

    @property
    def count(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True, slots=True)
class Cell:
    """One stretch of the pool (start..end, `size` members) and how many of them each kind holds."""

    start: int
    end: int
    size: int
    held: dict[str, int] = field(default_factory=dict)

    @property
    def free(self) -> int:
        return self.size - sum(self.held.values())


@dataclass(frozen=True, slots=True)
class Usage:
    total: int
    counts: dict[str, int]
    runs: list[Run]
    truncated: bool
    cells: list[Cell]

    @property
    def used(self) -> int:
        return self.total - self.counts.get(FREE, 0)


def _used_in(low: int, high: int, used: UsedKinds) -> Iterator[tuple[int, str]]:
    cursor = low
    while cursor <= high:
        taken = used.used_between(cursor, high, SLICE)
        yield from taken
        if len(taken) < SLICE:
            return
        cursor = taken[-1][0] + 1


def _held_in(low: int, high: int, used: UsedKinds, excluded: frozenset[int],
             excluded_kind: str) -> Iterator[tuple[int, str]]:
    """Ascending addresses of [low, high] that are not free: held ones with their kind, and the
    excluded ones nobody holds as `excluded_kind`."""
    skipped = iter(sorted(x for x in excluded if low <= x <= high))
    pending = next(skipped, None)
    for value, kind in _used_in(low, high, used):
        while pending is not None and pending < value:
            yield pending, excluded_kind
            pending = next(skipped, None)
        if pending == value:
            pending = next(skipped, None)
        yield value, kind
    while pending is not None:
        yield pending, excluded_kind
        pending = next(skipped, None)


def _segments(pool: Pool, used: UsedKinds, excluded_kind: str) -> Iterator[Run]:
    """The pool as ascending runs, range by range (a run never spans two ranges here)."""
    for low, high in pool.ranges:
        start = low
        for value, kind in _held_in(low, high, used, pool.excluded, excluded_kind):
            if value > start:
                yield Run(start, value - 1, FREE)
            yield Run(value, value, kind)
            start = value + 1
        if start <= high:
            yield Run(start, high, FREE)


class _Cells:
    """Positions 0..size-1 of the pool's concatenated ranges cut into `count` near-equal cells."""

    def __init__(self, pool: Pool, count: int) -> None:
        self.ranges = pool.ranges
        self.offsets = []
        offset = 0
        for low, high in self.ranges:
            self.offsets.append(offset)
            offset += high - low + 1
        self.size = offset
        self.count = min(count, self.size)
        self.held: list[dict[str, int]] = [{} for _ in range(self.count)]

    def _position(self, value: int) -> int:
        for (low, high), offset in zip(self.ranges, self.offsets, strict=True):
            if low <= value <= high:
                return offset + value - low
        raise ValueError(f"{value} is outside the pool")

    def _value(self, position: int) -> int:
        for (low, high), offset in zip(self.ranges, self.offsets, strict=True):
            if position < offset + high - low + 1:
                return low + position - offset
        raise ValueError(f"position {position} is outside the pool")

    def add(self, run: Run) -> None:
        first, last = self._position(run.start), self._position(run.end)
        while first <= last:
            index = first * self.count // self.size
            # The first position of the next cell: ceil((index + 1) * size / count).
            boundary = -(-(index + 1) * self.size // self.count)
            taken = min(last, boundary - 1) - first + 1
            cell = self.held[index]
            cell[run.kind] = cell.get(run.kind, 0) + taken
            first += taken

    def cells(self) -> list[Cell]:
        found = []
        for index, held in enumerate(self.held):
            first = -(-index * self.size // self.count)
            last = -(-(index + 1) * self.size // self.count) - 1
            found.append(Cell(self._value(first), self._value(last), last - first + 1, held))
        return found


def usage(pool: Pool, used: UsedKinds, run_limit: int, cells: int, excluded_kind: str = RESERVED) -> Usage:
    """Counts per kind (free included), up to `run_limit` runs (`truncated` if more exist) and
    at most `cells` cells. Runs that touch across two adjacent ranges are reported as one; the
    pool's excluded addresses that nobody holds count as `excluded_kind`."""
    if run_limit < 0 or cells < 1:
        raise ParameterError(f"Invalid usage view: {run_limit} runs and {cells} cells")
    counts: dict[str, int] = {FREE: 0}
    runs: list[Run] = []
    truncated = False
    grid = _Cells(pool, cells)
    for run in _segments(pool, used, excluded_kind):
        counts[run.kind] = counts.get(run.kind, 0) + run.count
        if run.kind != FREE:
            grid.add(run)
        if runs and runs[-1].kind == run.kind and runs[-1].end + 1 == run.start:
            runs[-1] = Run(runs[-1].start, run.end, run.kind)
        elif len(runs) < run_limit:
            runs.append(run)
        else:
            truncated = True
    return Usage(grid.size, counts, runs, truncated, grid.cells() if grid.size else [])
