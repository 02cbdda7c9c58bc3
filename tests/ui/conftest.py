"""Browser tests: one `nicstack serve --demo` per module, one Chromium for the whole run, a fresh
browser context (no cookies) per test. Where Chromium or Playwright is missing only
test_browser_available.py runs, and skips with the reason (fails when CI=true)."""

from __future__ import annotations

import os
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.process import Served, serving
from tests.ui.chromium import CHROMIUM, FLAGS, chromium_missing

if chromium_missing() is not None:
    # The browser test modules import Playwright; test_browser_available.py says what is missing.
    collect_ignore = [p.name for p in Path(__file__).parent.glob("test_*.py") if p.name != "test_browser_available.py"]
else:
    from tests.ui.browser import TIMINGS, Ui


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serving(tmp_path_factory.mktemp("ui"), "--demo") as server:
        yield server


@pytest.fixture
def ui(browser: Any, served: Served) -> Iterator[Any]:
    opened = Ui.open(browser, served)
    try:
        yield opened
        opened.check_console()
    finally:
        opened.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if chromium_missing() is not None or not TIMINGS:
        return
    terminalreporter.section("web UI page load times (measured in the browser, not asserted)")
    terminalreporter.write_line("fresh loads (a URL opened, bookmark-like): navigation start to the page shown; "
                                "in-app links: click to the page shown")
    terminalreporter.write_line(f"{'ms':>8}  {'width':>5}  {'how':<6}  page")
    for t in TIMINGS:
        terminalreporter.write_line(f"{t.milliseconds:8.1f}  {t.width:5d}  {t.how:<6}  /{t.path}")
    for how in ("fresh", "in-app"):
        times = sorted(t.milliseconds for t in TIMINGS if t.how == how)
        if times:
            terminalreporter.write_line(f"{how}: {len(times)} pages, median {statistics.median(times):.1f} ms, "
                                        f"slowest {times[-1]:.1f} ms")
    terminalreporter.write_line(f"load average of this machine at the end: {os.getloadavg()[0]:.2f} "
                                f"on {os.cpu_count()} CPUs (the server and Chromium share them)")
