"""The shared conformance script `wire_check.py` against `nicstack serve --demo`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.process import Served, new_admin_keys, serving

pytestmark = pytest.mark.api

WIRE_CHECK = Path(__file__).resolve().parents[3] / "shared/conformance/wire_check.py"
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$")


@pytest.fixture(scope="module")
def script() -> Path:
    if not WIRE_CHECK.is_file():
        reason = f"the conformance script is not at {WIRE_CHECK}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return WIRE_CHECK


def wire_check(script: Path, served: Served) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        # `--option=value`: a key may begin with "-", which argparse would otherwise take
        # for an option.
        [sys.executable, str(script), f"--url={served.url}", f"--api-key={served.api_key}",
         f"--secret-key={served.secret_key}"],
        capture_output=True, text=True, timeout=300, check=False,
    )


def assert_all_passed(done: subprocess.CompletedProcess[str]) -> int:
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    report = f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    assert lines, report
    summary = SUMMARY.match(lines[-1].strip())
    assert summary is not None, f"the output does not end with 'N passed, N failed'\n{report}"
    assert summary.group(2) == "0", report
    assert int(summary.group(1)) > 0, report
    assert done.returncode == 0, report
    return int(summary.group(1))


def test_wire_check_passes_every_check_against_the_demo_world(script: Path, tmp_path: Path) -> None:
    with serving(tmp_path / "server", "--demo") as served:
        assert_all_passed(wire_check(script, served))
        assert "Traceback" not in served.output(), served.output()


def test_wire_check_still_passes_after_a_restart_with_demo_on_the_same_database(
    script: Path, tmp_path: Path
) -> None:
    keys = new_admin_keys()
    with serving(tmp_path / "server", "--demo", keys=keys) as first:
        vms = first.admin.call("listVirtualMachines", listall=True).get("count")
    with serving(tmp_path / "server", "--demo", keys=keys) as again:
        # The demo world is created once: a second start finds it and adds nothing.
        assert again.admin.call("listVirtualMachines", listall=True).get("count") == vms
        assert_all_passed(wire_check(script, again))
        assert "Traceback" not in again.output(), again.output()
