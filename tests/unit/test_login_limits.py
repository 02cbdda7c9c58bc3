"""The failed-login rules: CloudStack's count that disables a user, and the per-source throttle."""

from __future__ import annotations

import pytest

from nicstack.api.logins import MAX_SOURCES, Throttle
from nicstack.domain.policy import attempts_after_failure

pytestmark = pytest.mark.unit


def test_the_user_is_disabled_on_the_allowed_th_failure_in_a_row_as_in_cloudstack() -> None:
    made, outcomes = 0, []
    for _ in range(5):
        made, disable = attempts_after_failure(made, 5)
        outcomes.append(disable)
    assert outcomes == [False, False, False, False, True]
    assert made == 5


def test_an_allowed_count_of_zero_or_less_never_disables_and_counts_nothing() -> None:
    assert attempts_after_failure(7, 0) == (7, False)
    assert attempts_after_failure(7, -1) == (7, False)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_source_gets_its_burst_then_waits_for_the_refill() -> None:
    clock = Clock()
    throttle = Throttle(clock)
    assert [throttle.take("10.0.0.1", 3, 6) for _ in range(3)] == [None, None, None]
    wait = throttle.take("10.0.0.1", 3, 6)
    assert wait == pytest.approx(10.0)  # 6 a minute: one every 10 s
    clock.now += 10
    assert throttle.take("10.0.0.1", 3, 6) is None
    assert throttle.take("10.0.0.1", 3, 6) == pytest.approx(10.0)


def test_sources_have_buckets_of_their_own() -> None:
    throttle = Throttle(Clock())
    for _ in range(2):
        throttle.take("10.0.0.1", 2, 6)
    assert throttle.take("10.0.0.1", 2, 6) is not None
    assert throttle.take("10.0.0.2", 2, 6) is None


def test_a_good_password_gives_its_attempt_back() -> None:
    throttle = Throttle(Clock())
    for _ in range(10):
        assert throttle.take("10.0.0.1", 2, 6) is None
        throttle.give_back("10.0.0.1", 2)


def test_a_burst_of_zero_turns_the_throttle_off() -> None:
    throttle = Throttle(Clock())
    assert all(throttle.take("10.0.0.1", 0, 6) is None for _ in range(100))


def test_a_flood_from_many_sources_keeps_the_memory_bounded() -> None:
    clock = Clock()
    throttle = Throttle(clock)
    for n in range(3 * MAX_SOURCES):
        throttle.take(f"10.{n >> 16}.{(n >> 8) & 255}.{n & 255}", 5, 5)
        clock.now += 0.001
    assert len(throttle._buckets) <= MAX_SOURCES
    # The newest sources are still remembered as having spent one attempt.
    last = 3 * MAX_SOURCES - 1
    throttle.take(f"10.{last >> 16}.{(last >> 8) & 255}.{last & 255}", 5, 5)
    assert throttle._buckets[f"10.{last >> 16}.{(last >> 8) & 255}.{last & 255}"].tokens < 4
