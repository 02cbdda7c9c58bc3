"""Waiting for what the server does after it answered: the data-plane publication of a synchronous change."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(probe: Callable[[], T], until: Callable[[T], bool], timeout: float = 10.0) -> T:
    """Call `probe` until `until` holds for its value (then return it); fail with the last value on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if until(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still not so after {timeout} s: {value!r}"[:2000])
        time.sleep(0.02)
