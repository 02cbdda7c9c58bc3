"""Browser tests: one `nicstack serve --demo` per module, one Chromium for the whole run, a fresh
browser context (no cookies) per test. Skipped with the reason where Chromium or Playwright is
missing; failed instead when CI=true."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.process import Served, serving
from tests.ui.browser import CHROMIUM, FLAGS, TIMINGS, Ui, chromium_missing


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = chromium_missing()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and the browser tests cannot run: {reason}")
        pytest.skip(reason)
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
def ui(browser: Any, served: Served) -> Iterator[Ui]:
    opened = Ui.open(browser, served)
    try:
        yield opened
        opened.check_console()
    finally:
        opened.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TIMINGS:
        return
    terminalreporter.section("web UI page load times (measured in the browser, not asserted)")
    terminalreporter.write_line(f"{'ms':>8}  {'width':>5}  page")
    for t in TIMINGS:
        terminalreporter.write_line(f"{t.milliseconds:8.1f}  {t.width:5d}  /{t.path}")
