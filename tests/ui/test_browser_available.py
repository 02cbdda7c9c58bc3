"""The browser tests need Playwright's Python package and Debian's Chromium: say so when they are missing
(a skip with the reason; a failure when CI=true, where .ci/run installs both)."""

from __future__ import annotations

import os

import pytest

from tests.ui.chromium import chromium_missing

pytestmark = pytest.mark.ui


def test_playwright_and_chromium_are_installed() -> None:
    reason = chromium_missing()
    if reason is not None and os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and the browser tests cannot run: {reason}")
    if reason is not None:
        pytest.skip(reason)
