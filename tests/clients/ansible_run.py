"""Run real Ansible playbooks with the ngine_io.cloudstack collection against a live nicstack server.

A playbook is a list of tasks on localhost; each task is one module call. The API endpoint and
keys go in as the collection's `api_url`/`api_key`/`api_secret` module defaults, so the tasks
name only what a user would write. The JSON callback reports each task's changed/failed state and
its module result, which the tests read as a user would read the play's recap.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.clients.requirements import require

PLAYBOOK_TIMEOUT = 240
COLLECTION = "ngine_io.cloudstack."


@dataclass
class TaskResult:
    name: str
    changed: bool
    failed: bool
    result: dict[str, Any]

    @property
    def msg(self) -> str:
        return str(self.result.get("msg", ""))


def require_ansible() -> None:
    require("ansible", "ansible")
    require("ansible_collections.ngine_io.cloudstack", "the ngine_io.cloudstack collection (the ansible package)")


@dataclass
class Ansible:
    """Playbooks run with one user's keys against one API endpoint, written into `directory`."""

    directory: Path
    api_url: str
    api_key: str
    api_secret: str

    def play(self, tasks: list[dict[str, Any]], check: bool = True) -> list[TaskResult]:
        """Run the tasks (each a dict with `name` and one module) and return one result per task run.

        `check` asserts the playbook ran every task without an error the JSON callback did not report
        (a syntax error, an unreachable localhost); a failing task stops the play, as in Ansible.
        """
        require_ansible()
        self.directory.mkdir(parents=True, exist_ok=True)
        defaults = {"api_url": self.api_url, "api_key": self.api_key, "api_secret": self.api_secret,
                    "api_timeout": 30}
        # The 2.5.0 collection defines no module_defaults group: each module call gets the endpoint itself.
        with_api = [{key: ({**defaults, **value} if key.startswith(COLLECTION) else value)
                     for key, value in task.items()} for task in tasks]
        play = [{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": with_api}]
        index = sum(1 for _ in self.directory.glob("play-*.yml"))
        path = self.directory / f"play-{index}.yml"
        # JSON is YAML: no YAML library needed to write the playbook.
        path.write_text(json.dumps(play, indent=2))
        env = {
            **os.environ,
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_LOCAL_TEMP": str(self.directory / "tmp"),
            "ANSIBLE_HOME": str(self.directory / "home"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            # The module runs in a fed python, not copied to a temp file first: faster on a busy machine.
            "ANSIBLE_PIPELINING": "1",
        }
        for name in ("CLOUDSTACK_ENDPOINT", "CLOUDSTACK_KEY", "CLOUDSTACK_SECRET", "CLOUDSTACK_REGION"):
            env.pop(name, None)
        playbook = Path(sys.executable).parent / "ansible-playbook"
        done = subprocess.run([str(playbook), "-i", "localhost,", str(path)], env=env, capture_output=True,
                              text=True, timeout=PLAYBOOK_TIMEOUT, check=False)
        try:
            report = json.loads(done.stdout)
        except json.JSONDecodeError as exc:
            raise AssertionError(f"ansible-playbook printed no JSON report (exit {done.returncode}):\n"
                                 f"{done.stdout}\n{done.stderr}") from exc
        results = [
            TaskResult(task["task"]["name"], bool(host.get("changed")), bool(host.get("failed")), host)
            for task in report["plays"][0]["tasks"]
            for host in [task["hosts"]["localhost"]]
        ]
        if check:
            failed = [r for r in results if r.failed]
            assert not failed, f"tasks failed: {[(r.name, r.msg) for r in failed]}"
            assert len(results) == len(tasks), (results, done.stderr)
        return results

    def changes(self, tasks: list[dict[str, Any]]) -> list[bool]:
        """The changed flag of each task, in order (the play must succeed)."""
        return [r.changed for r in self.play(tasks)]
