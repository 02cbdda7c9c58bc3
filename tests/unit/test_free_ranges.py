"""Free addresses as compact ranges, swept from the used index without enumerating the pool."""

from __future__ import annotations

import random
from collections.abc import Iterable
from ipaddress import ip_network

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nicstack.domain.errors import ParameterError
from nicstack.ipam.allocator import SLICE, Pool
from nicstack.ipam.free_ranges import count_free, free_ranges
from tests.support.fakes import FakeUsedIndex, pool, pool_of, used

pytestmark = pytest.mark.unit

FAST = settings(max_examples=150, deadline=None)


# --- builders ------------------------------------------------------------------------------


def members(where_from: Pool) -> set[int]:
    return {
        value
        for low, high in where_from.ranges
        for value in range(low, high + 1)
        if where_from.contains(value)
    }


def expand(ranges: Iterable[tuple[int, int]]) -> list[int]:
    return [value for low, high in ranges for value in range(low, high + 1)]


def compact(values: Iterable[int]) -> list[tuple[int, int]]:
    """The reference: sorted values folded into maximal runs."""
    runs: list[tuple[int, int]] = []
    for value in sorted(values):
        if runs and runs[-1][1] + 1 == value:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs


# --- strategies ----------------------------------------------------------------------------


@st.composite
def pools(draw: st.DrawFn) -> Pool:
    """Sorted, non-overlapping ranges (possibly adjacent, possibly one address) and a few exclusions."""
    base = draw(st.sampled_from([0, 10 << 24, (0x20010DB8 << 96) + 1]))
    ranges: list[tuple[int, int]] = []
    high = base - 1
    for _ in range(draw(st.integers(1, 4))):
        low = high + 1 + draw(st.integers(0, 10))
        high = low + draw(st.integers(0, 150))
        ranges.append((low, high))
    excluded = draw(st.lists(st.integers(base - 3, high + 3), max_size=6))
    return pool(*ranges, excluded=excluded)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Pool, list[int]]:
    """A pool and used values: runs longer than a slice, scattered values, some outside the pool."""
    where_from = draw(pools())
    first, last = where_from.ranges[0][0] - 3, where_from.ranges[-1][1] + 3
    values: list[int] = draw(st.lists(st.integers(first, last), max_size=30))
    for _ in range(draw(st.integers(0, 3))):
        start = draw(st.integers(first, last))
        values.extend(range(start, min(start + draw(st.integers(1, 2 * SLICE + 10)), last + 1)))
    return where_from, values


# --- examples ------------------------------------------------------------------------------


def test_an_empty_index_leaves_the_whole_range_free() -> None:
    assert free_ranges(pool((1, 10)), used(), 10) == ([(1, 10)], False)


def test_used_and_excluded_addresses_split_the_free_ranges() -> None:
    assert free_ranges(pool((1, 10), excluded=[5]), used(1, 2, 8), 10) == ([(3, 4), (6, 7), (9, 10)], False)


def test_a_used_address_that_is_also_excluded_is_skipped_once() -> None:
    assert free_ranges(pool((1, 10), excluded=[5]), used(5), 10) == ([(1, 4), (6, 10)], False)


def test_used_addresses_outside_the_pool_are_ignored() -> None:
    assert free_ranges(pool((10, 12)), used(1, 9, 13, 99), 10) == ([(10, 12)], False)


def test_free_ranges_in_adjacent_pool_ranges_are_joined_into_one() -> None:
    assert free_ranges(pool((1, 5), (6, 10), (20, 25)), used(), 10) == ([(1, 10), (20, 25)], False)


def test_a_full_pool_has_no_free_ranges() -> None:
    assert free_ranges(pool((1, 4), excluded=[4]), used(1, 2, 3), 10) == ([], False)


def test_a_pool_with_no_ranges_has_no_free_ranges() -> None:
    assert free_ranges(pool(), used(), 10) == ([], False)


def test_more_free_ranges_than_the_limit_are_cut_and_flagged_truncated() -> None:
    assert free_ranges(pool((1, 10)), used(2, 4, 6, 8), 2) == ([(1, 1), (3, 3)], True)


def test_exactly_limit_free_ranges_are_not_flagged_truncated() -> None:
    assert free_ranges(pool((1, 10)), used(2, 4, 6, 8, 10), 5) == (
        [(1, 1), (3, 3), (5, 5), (7, 7), (9, 9)],
        False,
    )


def test_the_last_range_within_the_limit_still_extends_into_an_adjacent_pool_range() -> None:
    assert free_ranges(pool((1, 5), (6, 10)), used(2), 2) == ([(1, 1), (3, 10)], False)


def test_a_limit_of_zero_only_says_whether_anything_is_free() -> None:
    assert free_ranges(pool((1, 3)), used(1), 0) == ([], True)
    assert free_ranges(pool((1, 3)), used(1, 2, 3), 0) == ([], False)


def test_a_negative_limit_is_a_parameter_error() -> None:
    with pytest.raises(ParameterError):
        free_ranges(pool((1, 3)), used(), -1)


def test_a_run_longer_than_a_slice_is_read_slice_by_slice() -> None:
    index = FakeUsedIndex(range(1, 3 * SLICE + 1))
    assert free_ranges(pool((1, 1000)), index, 10) == ([(3 * SLICE + 1, 1000)], False)
    assert index.calls == 4


def test_the_free_ranges_of_an_ipv6_slash_64_are_one_huge_range_and_cost_one_call() -> None:
    where_from = pool_of("2001:db8::/64")
    index = FakeUsedIndex()
    assert free_ranges(where_from, index, 10) == ([where_from.ranges[0]], False)
    assert index.calls == 1


def test_count_free_is_the_pool_size_less_the_used_members() -> None:
    assert count_free(pool_of("10.1.1.0/24", excluded=[int(ip_network("10.1.1.0/24")[1])]), 3) == 250
    assert count_free(pool_of("2001:db8::/64"), 10) == 2**64 - 11


# --- properties ----------------------------------------------------------------------------


@given(scenarios())
@FAST
def test_without_truncation_free_ranges_and_used_members_make_up_the_pool_exactly(
    scenario: tuple[Pool, list[int]],
) -> None:
    where_from, taken = scenario
    ranges, truncated = free_ranges(where_from, FakeUsedIndex(taken), 10_000)
    assert not truncated
    free = expand(ranges)
    used_members = members(where_from) & set(taken)
    assert len(free) == len(set(free))
    assert set(free).isdisjoint(used_members)
    assert set(free) | used_members == members(where_from)
    assert count_free(where_from, len(used_members)) == len(free)


@given(scenarios())
@FAST
def test_free_ranges_are_ascending_disjoint_and_maximal(scenario: tuple[Pool, list[int]]) -> None:
    where_from, taken = scenario
    ranges, _ = free_ranges(where_from, FakeUsedIndex(taken), 10_000)
    assert ranges == compact(members(where_from) - set(taken))


@given(scenarios(), st.integers(0, 12))
@FAST
def test_a_limited_answer_is_the_head_of_the_full_answer(
    scenario: tuple[Pool, list[int]], limit: int
) -> None:
    where_from, taken = scenario
    everything = compact(members(where_from) - set(taken))
    ranges, truncated = free_ranges(where_from, FakeUsedIndex(taken), limit)
    assert ranges == everything[:limit]
    assert truncated == (len(everything) > limit)


# --- cost depends on the used addresses and the limit, not on the pool ---------------------


def calls_for(cidr: str, used_count: int, limit: int, seed: int = 11) -> tuple[int, int]:
    """Index calls and ranges returned for a sweep of a network with `used_count` used addresses.

    They sit at random, never adjacent, after the first address: so the network has exactly
    `used_count + 1` free ranges.
    """
    rng = random.Random(seed)
    where_from = pool_of(cidr)
    low, high = where_from.ranges[0]
    taken: list[int] = []
    value = low + 1
    for _ in range(used_count):
        taken.append(value)
        value += rng.randint(2, 1000)
    assert taken[-1] < high
    index = FakeUsedIndex(taken)
    ranges, _ = free_ranges(where_from, index, limit)
    return index.calls, len(ranges)


@pytest.mark.parametrize("cidr", ["10.0.0.0/8", "2001:db8::/64"])
def test_a_limited_sweep_of_a_huge_network_reads_only_the_slices_it_needs(cidr: str) -> None:
    calls, returned = calls_for(cidr, 10_000, limit=100)
    assert returned == 100
    assert calls <= 100 // SLICE + 2


@pytest.mark.parametrize("cidr", ["10.0.0.0/8", "2001:db8::/64"])
def test_a_full_sweep_of_a_huge_network_costs_one_call_per_slice_of_used_addresses(cidr: str) -> None:
    calls, returned = calls_for(cidr, 10_000, limit=20_000)
    assert returned == 10_001
    assert calls == 10_000 // SLICE + 1
