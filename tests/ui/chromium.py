"""Where the browser tests find Debian's Chromium, its flags, and why they cannot run (imports no Playwright)."""

from __future__ import annotations

import importlib.util
import shutil

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if importlib.util.find_spec("playwright") is None:
        return "Playwright's Python package is missing: scripts/setup --dev installs it"
    if shutil.which(CHROMIUM) is None:
        return f"Debian's Chromium is missing at {CHROMIUM}: apt-get install chromium (.ci/run does)"
    return None
