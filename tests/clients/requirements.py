"""Whether a real client is installed: a skip with the reason outside CI, a failure in CI (where it must be)."""

from __future__ import annotations

import importlib.util
import os

import pytest


def require(module: str, what: str) -> None:
    """Skip (or fail when CI=true) unless `module` imports; `what` names the client for the reason."""
    if importlib.util.find_spec(module) is not None:
        return
    reason = f"{what} is not installed (pip install -e '.[dev]')"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: the client tests are required in CI")
    pytest.skip(reason)
