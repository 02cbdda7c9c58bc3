"""Helpers for tests that drive the real data-plane tools: tool checks and throwaway network namespaces.

Without root or a tool the test is skipped with the reason, except in CI (`CI=true`), where a
missing prerequisite is a failure: CI installs the tools, so their absence there is a broken setup.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytest

TIMEOUT = 30


def unavailable(reason: str) -> None:
    """Skip the test with `reason`, or fail it when running in CI."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must provide this: {reason}", pytrace=False)
    pytest.skip(reason)


def require_root() -> None:
    if os.geteuid() != 0:
        unavailable("needs root (network namespaces, iptables)")


def require_tools(*names: str) -> None:
    """Every named program is on PATH (otherwise skip, or fail in CI)."""
    missing = [name for name in names if shutil.which(name) is None]
    if missing:
        unavailable(f"missing tool(s): {', '.join(missing)}")


def run(argv: Sequence[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run a tool, never through a shell, and return its result whatever the exit code."""
    return subprocess.run(list(argv), input=stdin, capture_output=True, text=True, timeout=TIMEOUT, check=False)


@contextmanager
def netns() -> Iterator[str]:
    """A fresh network namespace `nicstack-t-<random>`, deleted on exit; yields its name."""
    require_root()
    require_tools("ip")
    name = f"nicstack-t-{secrets.token_hex(4)}"
    created = run(["ip", "netns", "add", name])
    if created.returncode != 0:
        unavailable(f"cannot create a network namespace: {created.stderr.strip()}")
    try:
        yield name
    finally:
        run(["ip", "netns", "delete", name])


def in_netns(namespace: str, argv: Sequence[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run(["ip", "netns", "exec", namespace, *argv], stdin)


def check(result: subprocess.CompletedProcess[str]) -> str:
    """The tool's stdout, or an assertion failure quoting its stderr."""
    assert result.returncode == 0, f"{' '.join(result.args)}: {result.stderr.strip()}"
    return result.stdout


def veth(namespace_a: str, name_a: str, namespace_b: str, name_b: str) -> None:
    """A veth pair with one end in each namespace, both up (created there directly, so no name clash outside)."""
    check(run(["ip", "link", "add", name_a, "netns", namespace_a, "type", "veth", "peer", "name", name_b,
               "netns", namespace_b]))
    for namespace, name in ((namespace_a, name_a), (namespace_b, name_b), (namespace_a, "lo"), (namespace_b, "lo")):
        check(run(["ip", "-n", namespace, "link", "set", name, "up"]))
