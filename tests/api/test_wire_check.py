"""The wire contract's conformance checks against `nicstack serve --demo`: the project's own
(`tests/conformance/wire_check.py`, always) and the shared one when `../shared` is there."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.process import Served, new_admin_keys, serving

pytestmark = pytest.mark.api

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared/conformance/wire_check.py"
SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed$")
# The project's check always; the shared one only where it lies beside the repository (never required).
SCRIPTS = [["-m", "tests.conformance.wire_check"]] + ([[str(SHARED)]] if SHARED.is_file() else [])


def wire_check(script: list[str], served: Served, secret: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        # `--option=value`: a key may begin with "-", which argparse would otherwise take for an option.
        [sys.executable, *script, f"--url={served.url}", f"--api-key={served.api_key}",
         f"--secret-key={secret or served.secret_key}"],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )


def counts(done: subprocess.CompletedProcess[str]) -> tuple[int, int]:
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    report = f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    summary = SUMMARY.match(lines[-1].strip()) if lines else None
    assert summary is not None, f"the output does not end with 'N passed, N failed'\n{report}"
    return int(summary.group(1)), int(summary.group(2))


def assert_all_passed(done: subprocess.CompletedProcess[str]) -> int:
    passed, failed = counts(done)
    assert failed == 0 and passed > 0 and done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return passed


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: "shared" if str(SHARED) in s else "own")
def test_wire_check_passes_every_check_against_the_demo_world(script: list[str], tmp_path: Path) -> None:
    with serving(tmp_path / "server", "--demo") as served:
        assert_all_passed(wire_check(script, served))
        assert "Traceback" not in served.output(), served.output()


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: "shared" if str(SHARED) in s else "own")
def test_wire_check_still_passes_after_a_restart_with_demo_on_the_same_database(
    script: list[str], tmp_path: Path
) -> None:
    keys = new_admin_keys()
    with serving(tmp_path / "server", "--demo", keys=keys) as first:
        vms = first.admin.call("listVirtualMachines", listall=True).get("count")
    with serving(tmp_path / "server", "--demo", keys=keys) as again:
        # The demo world is created once: a second start finds it and adds nothing.
        assert again.admin.call("listVirtualMachines", listall=True).get("count") == vms
        assert_all_passed(wire_check(script, again))
        assert "Traceback" not in again.output(), again.output()


def test_the_own_wire_check_fails_against_a_server_that_refuses_its_signatures(tmp_path: Path) -> None:
    with serving(tmp_path / "server", "--demo") as served:
        done = wire_check(SCRIPTS[0], served, secret="not-the-secret-key")
    assert done.returncode == 1 and counts(done)[1] >= 1, done.stdout
