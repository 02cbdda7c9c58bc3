"""The allocator: picking and checking addresses against a pool and an index of used ones.

The used index is faked in memory (tests/support/fakes.py); the fake also counts the calls it
receives, which is how the tests show the cost does not grow with the pool.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from ipaddress import ip_network

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from nicstack.domain.errors import InsufficientCapacity
from nicstack.ipam.allocator import SLICE, AnyAddress, Pool, first_free, pick_free
from tests.support.fakes import FakeUsedIndex, pool, pool_of, used

pytestmark = pytest.mark.unit

FAST = settings(max_examples=150, deadline=None)
WHERE = "network test-net"


# --- builders ------------------------------------------------------------------------------


def pick(where_from: Pool, index: FakeUsedIndex, cursor: int | None = None) -> int:
    return pick_free(where_from, AnyAddress(cursor), index, WHERE)


def members(where_from: Pool) -> list[int]:
    """Every member of a small pool, ascending (the reference the allocator must agree with)."""
    return [
        value
        for low, high in where_from.ranges
        for value in range(low, high + 1)
        if where_from.contains(value)
    ]


def expected_pick(where_from: Pool, taken: Iterable[int], cursor: int | None) -> int | None:
    """The reference answer: first free at or after the cursor, else the first free overall."""
    taken_set = set(taken)
    free = [value for value in members(where_from) if value not in taken_set]
    if not free:
        return None
    after = [value for value in free if cursor is None or value >= cursor]
    return after[0] if after else free[0]


# --- strategies ----------------------------------------------------------------------------

BASES = st.sampled_from([0, 10 << 24, 2**32 - 1000, (0x20010DB8 << 96) + 1, 2**128 - 2000])


@st.composite
def pools(draw: st.DrawFn, max_ranges: int = 4, max_length: int = 150) -> Pool:
    """Sorted, non-overlapping ranges (possibly adjacent, possibly one address) and a few exclusions."""
    base = draw(BASES)
    ranges: list[tuple[int, int]] = []
    high = base - 1
    for _ in range(draw(st.integers(1, max_ranges))):
        low = high + 1 + draw(st.integers(0, 20))
        high = low + draw(st.integers(0, max_length - 1))
        ranges.append((low, high))
    span = st.integers(base - 3, high + 3)
    excluded = draw(st.lists(span, max_size=6))
    return pool(*ranges, excluded=excluded, family=6 if base > 2**32 else 4)


def span_of(where_from: Pool) -> tuple[int, int]:
    return where_from.ranges[0][0] - 3, where_from.ranges[-1][1] + 3


@st.composite
def used_values(draw: st.DrawFn, where_from: Pool) -> list[int]:
    """Runs of used values (long ones cross slice boundaries) plus scattered ones, some outside."""
    first, last = span_of(where_from)
    values: list[int] = draw(st.lists(st.integers(first, last), max_size=20))
    for _ in range(draw(st.integers(0, 3))):
        start = draw(st.integers(first, last))
        length = draw(st.integers(1, 2 * SLICE + 10))
        values.extend(range(start, min(start + length, last + 1)))
    return values


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Pool, list[int], int | None]:
    where_from = draw(pools())
    first, last = span_of(where_from)
    cursor = draw(st.none() | st.integers(first - 10, last + 10))
    return where_from, draw(used_values(where_from)), cursor


# --- examples ------------------------------------------------------------------------------


def test_picking_from_an_empty_index_gives_the_first_usable_address() -> None:
    assert pick(pool_of("10.1.1.0/24"), used()) == int(ip_network("10.1.1.0/24").network_address) + 1


def test_picking_skips_used_and_excluded_addresses() -> None:
    assert pick(pool((1, 10), excluded=[1, 3]), used(2, 4, 5)) == 6


def test_picking_starts_at_the_cursor() -> None:
    assert pick(pool((1, 10)), used(), cursor=7) == 7


def test_picking_past_a_used_cursor_gives_the_next_free_address() -> None:
    assert pick(pool((1, 10)), used(7, 8), cursor=7) == 9


def test_picking_wraps_round_to_the_free_addresses_before_the_cursor() -> None:
    assert pick(pool((1, 10)), used(1, 2, 8, 9, 10), cursor=8) == 3


def test_picking_with_a_cursor_past_the_pool_starts_again_at_the_beginning() -> None:
    assert pick(pool((1, 10), (20, 30)), used(1), cursor=99) == 2


def test_picking_with_a_cursor_before_the_pool_gives_the_first_free_address() -> None:
    assert pick(pool((10, 20)), used(10), cursor=0) == 11


def test_picking_with_a_cursor_in_a_gap_continues_in_the_next_range() -> None:
    assert pick(pool((1, 10), (20, 30), (40, 50)), used(20), cursor=15) == 21


def test_picking_moves_on_to_the_next_range_when_one_is_full() -> None:
    assert pick(pool((1, 3), (20, 30)), used(1, 2, 3, 20), cursor=2) == 21


def test_picking_wraps_into_an_earlier_range() -> None:
    assert pick(pool((1, 3), (20, 22)), used(3, 20, 21, 22), cursor=21) == 1


def test_wrapping_round_prefers_an_earlier_range_to_the_start_of_the_cursor_range() -> None:
    assert pick(pool((1, 3), (20, 30)), used(*range(25, 31)), cursor=25) == 1


def test_picking_ignores_used_addresses_outside_the_pool() -> None:
    assert pick(pool((10, 12)), used(9, 13, 10)) == 11


def test_picking_through_more_used_addresses_than_one_slice_reads_several_slices() -> None:
    index = FakeUsedIndex(range(1, 3 * SLICE + 6))
    assert pick(pool((1, 1000)), index) == 3 * SLICE + 6
    assert index.calls == 4


def test_picking_when_a_full_slice_ends_just_before_an_excluded_address_skips_it() -> None:
    where_from = pool((1, 1000), excluded=[SLICE + 1, SLICE + 2])
    assert pick(where_from, FakeUsedIndex(range(1, SLICE + 1))) == SLICE + 3


def test_picking_from_an_exhausted_pool_raises_insufficient_capacity() -> None:
    with pytest.raises(InsufficientCapacity) as caught:
        pick(pool((1, 4), excluded=[4]), used(1, 2, 3), cursor=2)
    assert WHERE in caught.value.text


def test_picking_from_a_pool_with_no_ranges_raises_insufficient_capacity() -> None:
    for cursor in (None, 0, 5):
        with pytest.raises(InsufficientCapacity):
            pick(pool(), used(), cursor=cursor)


def test_picking_from_a_single_address_network_gives_that_address() -> None:
    assert pick(pool_of("10.1.1.7/32"), used()) == int(ip_network("10.1.1.7/32").network_address)


def test_picking_in_an_ipv6_slash_64_gives_the_address_after_the_anycast() -> None:
    network = ip_network("2001:db8::/64")
    assert pick(pool_of("2001:db8::/64"), used()) == int(network.network_address) + 1


def test_the_pool_size_counts_only_exclusions_that_fall_inside_a_range() -> None:
    assert pool((1, 10), (20, 29), excluded=[0, 5, 15, 20]).size() == 18


def test_the_pool_of_a_slash_24_holds_254_addresses() -> None:
    assert pool_of("10.1.1.0/24").size() == 254


# --- properties ----------------------------------------------------------------------------


@given(scenarios())
@FAST
def test_a_pick_is_always_a_free_member_of_the_pool(scenario: tuple[Pool, list[int], int | None]) -> None:
    where_from, taken, cursor = scenario
    try:
        value = pick(where_from, FakeUsedIndex(taken), cursor)
    except InsufficientCapacity:
        assert expected_pick(where_from, taken, cursor) is None
        return
    assert where_from.contains(value)
    assert value not in where_from.excluded
    assert value not in set(taken)


@given(scenarios())
@FAST
def test_a_pick_is_the_first_free_address_at_or_after_the_cursor_else_the_first_overall(
    scenario: tuple[Pool, list[int], int | None],
) -> None:
    where_from, taken, cursor = scenario
    expected = expected_pick(where_from, taken, cursor)
    if expected is None:
        with pytest.raises(InsufficientCapacity):
            pick(where_from, FakeUsedIndex(taken), cursor)
    else:
        assert pick(where_from, FakeUsedIndex(taken), cursor) == expected


@given(pools(max_ranges=3, max_length=80), st.data())
@settings(max_examples=60, deadline=None)
def test_allocating_until_exhaustion_yields_every_member_exactly_once(
    where_from: Pool, data: st.DataObject
) -> None:
    first, last = span_of(where_from)
    index = FakeUsedIndex()
    cursor: int | None = data.draw(st.none() | st.integers(first, last))
    picked: list[int] = []
    for _ in range(where_from.size()):
        value = pick(where_from, index, cursor)
        index.add(value)
        picked.append(value)
        cursor = value + 1
    assert sorted(picked) == members(where_from)
    with pytest.raises(InsufficientCapacity):
        pick(where_from, index, cursor)


def expected_many(where_from: Pool, taken: Iterable[int], cursor: int | None) -> list[int]:
    """The reference order of free addresses: those at or after the cursor, then those before it."""
    taken_set = set(taken)
    free = [value for value in members(where_from) if value not in taken_set]
    after = [value for value in free if cursor is None or value >= cursor]
    return after + [value for value in free if value not in after]


@given(scenarios(), st.integers(1, 200))
@FAST
def test_the_first_free_addresses_come_in_search_order_and_no_more_than_the_pool_has(
    scenario: tuple[Pool, list[int], int | None], count: int,
) -> None:
    where_from, taken, cursor = scenario
    expected = expected_many(where_from, taken, cursor)[:count]
    assert first_free(where_from, AnyAddress(cursor), FakeUsedIndex(taken), count) == expected


def test_the_first_free_addresses_of_an_ipv6_slash_64_cost_one_slice_not_the_network() -> None:
    where_from = pool_of("2001:db8::/64")
    low = where_from.ranges[0][0]
    index = FakeUsedIndex([low + 1, low + 5])
    assert first_free(where_from, AnyAddress(), index, 256)[:4] == [low, low + 2, low + 3, low + 4]
    assert index.calls == 1


@given(pools())
@FAST
def test_the_pool_size_is_the_number_of_members(where_from: Pool) -> None:
    assert where_from.size() == len(members(where_from))


# --- one network as a state machine --------------------------------------------------------


class OneNetwork(RuleBasedStateMachine):
    """Allocate any, allocate a given address, release; the model is the set of allocated values."""

    def __init__(self) -> None:
        super().__init__()
        self.pool = pool((0, 0))
        self.index = FakeUsedIndex()
        self.allocated: set[int] = set()
        self.cursor: int | None = None

    @initialize(where_from=pools(max_ranges=3, max_length=24))
    def make_network(self, where_from: Pool) -> None:
        self.pool = where_from

    def free(self) -> list[int]:
        return [value for value in members(self.pool) if value not in self.allocated]

    def take(self, value: int) -> None:
        assert value not in self.allocated, f"{value} handed out twice"
        self.index.add(value)
        self.allocated.add(value)

    @rule(jump=st.none() | st.integers(-5, 120))
    def allocate_any(self, jump: int | None) -> None:
        cursor = self.cursor if jump is None else self.pool.ranges[0][0] + jump
        expected = expected_pick(self.pool, self.allocated, cursor)
        if expected is None:
            with pytest.raises(InsufficientCapacity):
                pick(self.pool, self.index, cursor)
            return
        value = pick(self.pool, self.index, cursor)
        assert value == expected
        assert value not in self.allocated
        self.take(value)
        self.cursor = value + 1

    @precondition(lambda self: bool(self.free()))
    @rule(data=st.data())
    def allocate_given(self, data: st.DataObject) -> None:
        """A given address taken outside the allocator (addIpToNic with ipaddress): later picks skip it."""
        self.take(data.draw(st.sampled_from(self.free())))

    @precondition(lambda self: bool(self.allocated))
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        value = data.draw(st.sampled_from(sorted(self.allocated)))
        self.index.remove(value)
        self.allocated.remove(value)

    @invariant()
    def no_value_is_allocated_twice(self) -> None:
        assert len(self.index.values) == len(set(self.index.values)) == len(self.allocated)

    @invariant()
    def allocated_addresses_are_members_and_fit_in_the_pool(self) -> None:
        assert len(self.allocated) <= self.pool.size()
        assert all(self.pool.contains(value) for value in self.allocated)

    @invariant()
    def the_free_set_is_exactly_what_the_allocator_can_produce(self) -> None:
        free = self.free()
        if not free:
            with pytest.raises(InsufficientCapacity):
                pick(self.pool, self.index)
            return
        assert pick(self.pool, self.index) == free[0]
        assert [pick(self.pool, self.index, value) for value in free] == free


OneNetwork.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)
TestOneNetworkNeverHandsOutAnAddressTwice = OneNetwork.TestCase


# --- cost does not depend on the size of the pool ------------------------------------------


def average_calls_per_pick(cidr: str, used_count: int, picks: int = 200, seed: int = 7) -> float:
    """Place `used_count` used addresses at random, pick from random cursors, count index calls."""
    rng = random.Random(seed)
    where_from = pool_of(cidr)
    low, high = where_from.ranges[0]
    taken: set[int] = set()
    while len(taken) < used_count:
        taken.add(rng.randint(low, high))
    index = FakeUsedIndex(taken)
    for _ in range(picks):
        value = pick(where_from, index, cursor=rng.randint(low, high))
        assert value not in taken
    return index.calls / picks


def test_the_cost_of_a_pick_does_not_grow_with_the_size_of_the_network() -> None:
    # A /24 cannot hold 10,000 used addresses: it is filled to the same "mostly sparse" regime
    # (half full), which is the worst of the three for the allocator.
    costs = {
        "10.1.1.0/24": average_calls_per_pick("10.1.1.0/24", 127),
        "10.0.0.0/8": average_calls_per_pick("10.0.0.0/8", 10_000),
        "2001:db8::/64": average_calls_per_pick("2001:db8::/64", 10_000),
    }
    assert all(cost <= 3 for cost in costs.values()), costs
    assert max(costs.values()) - min(costs.values()) <= 2, costs


def test_a_dense_run_of_used_addresses_costs_one_call_per_slice_whatever_the_network() -> None:
    for cidr in ("10.0.0.0/8", "2001:db8::/64"):
        where_from = pool_of(cidr)
        low = where_from.ranges[0][0]
        index = FakeUsedIndex(range(low, low + 10 * SLICE))
        assert pick(where_from, index) == low + 10 * SLICE
        assert index.calls == 11
