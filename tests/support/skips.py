"""A loud account of skipped tests at the end of a run: how many, out of how many, and why.

A third of the suite skipped (no PostgreSQL, not root) looks like a green run in pytest's closing
line; this names the count and the reasons, at the end of pytest's summary and, for
`scripts/test`, in the file named by NICSTACK_SKIP_REPORT, which it prints as its last line.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

REPORT = "NICSTACK_SKIP_REPORT"


def _reason(report: Any) -> str:
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return str(text).removeprefix("Skipped: ").strip()


def summary(stats: dict[str, list[Any]]) -> str | None:
    """The closing line, or None when no test ran."""
    skipped = stats.get("skipped", [])
    ran = sum(len(stats.get(key, [])) for key in ("passed", "failed", "error", "xfailed", "xpassed"))
    total = ran + len(skipped)
    if total == 0:
        return None
    if not skipped:
        return f"== all {total} tests ran, none skipped =="
    reasons = Counter(_reason(r) for r in skipped).most_common()
    shown = "; ".join(f"{count} x {reason}" for reason, count in reasons[:5])
    more = f"; and {len(reasons) - 5} other reasons" if len(reasons) > 5 else ""
    return f"!! SKIPPED {len(skipped)} of {total} tests: {shown}{more} !!"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    line = summary(terminalreporter.stats)
    if line is None:
        return
    terminalreporter.write_sep("=", "skipped tests" if line.startswith("!!") else "no skipped tests",
                               bold=True, red=line.startswith("!!"))
    terminalreporter.write_line(line)
    target = os.environ.get(REPORT)
    if target:
        Path(target).write_text(line + "\n")
