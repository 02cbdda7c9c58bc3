"""Run the data-plane tools, in a network namespace or not, never through a shell; say what failed and where."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

TIMEOUT = 60.0
# Lines of the document shown on each side of the line a restore tool names (as Neutron does).
CONTEXT = 5


class ApplyError(Exception):
    """A tool refused a document or a command; the text quotes the tool and, when it names one, the line."""


@dataclass(frozen=True, slots=True)
class Shell:
    """Runs commands in network namespace `netns` (None: the agent's own)."""

    netns: str | None = None

    def argv(self, command: Sequence[str]) -> list[str]:
        # nsenter enters only the network namespace; `ip netns exec` also remounts /sys for each command,
        # which the tools (netlink, /proc/sys/net) do not need and which costs milliseconds per change.
        return ["nsenter", f"--net=/run/netns/{self.netns}", *command] if self.netns else list(command)

    def run(self, command: Sequence[str], stdin: str | None = None, env: Mapping[str, str] | None = None) -> str:
        """stdout of the command; ApplyError quoting stderr (and the failing line of `stdin`) when it fails."""
        try:
            done = subprocess.run(self.argv(command), input=stdin, capture_output=True, text=True, timeout=TIMEOUT,
                                  check=False, env=None if env is None else dict(env))
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ApplyError(f"{' '.join(command)}: {exc}") from None
        if done.returncode != 0:
            raise ApplyError(describe(command, done.returncode, done.stderr or done.stdout, stdin))
        return done.stdout

    def probe(self, command: Sequence[str], env: Mapping[str, str] | None = None) -> tuple[int, str]:
        """Exit status and output of a command whose failure is an answer, not an error."""
        try:
            done = subprocess.run(self.argv(command), capture_output=True, text=True, timeout=TIMEOUT, check=False,
                                  env=None if env is None else dict(env))
        except (OSError, subprocess.TimeoutExpired) as exc:
            return 127, str(exc)
        return done.returncode, done.stdout + done.stderr


def describe(command: Sequence[str], status: int, output: str, stdin: str | None) -> str:
    """The tool's message, and around the line it blames (`line N`), the lines of the document it read."""
    message = " ".join(output.split()) or f"exit status {status}"
    text = f"{' '.join(command)} failed: {message}"
    number = _blamed_line(output)
    if stdin is None or number is None:
        return text
    lines = stdin.splitlines()
    low, high = max(number - 1 - CONTEXT, 0), min(number + CONTEXT, len(lines))
    shown = "\n".join(f"{'>' if i + 1 == number else ' '}{i + 1:5} {lines[i]}" for i in range(low, high))
    return f"{text}\n{shown}"


def _blamed_line(output: str) -> int | None:
    # iptables-restore: "Error occurred at line: 3"; ipset: "Error in line 3:"; ebtables: "line 3".
    words = output.replace(":", " ").split()
    for index, word in enumerate(words[:-1]):
        if word.lower() == "line" and words[index + 1].isdigit():
            return int(words[index + 1])
    return None
