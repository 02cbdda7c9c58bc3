"""Apply a host's ipset documents: build each set's twin, swap, destroy; then destroy our sets no longer kept."""

from __future__ import annotations

import re

from nicstack.agent.shell import Shell
from nicstack.render.netfilter import PREFIX
from nicstack.render.sg_ipset import garbage

# `ipset save` shows a hash seed that a swap changes: it says nothing of the members.
_SEED = re.compile(r" initval 0x[0-9a-f]+")


class Sets:
    def __init__(self, shell: Shell) -> None:
        self.shell = shell

    def apply(self, document: str) -> None:
        """Load a whole ipset document (create-if-missing, fill a twin, swap, destroy the twin)."""
        self.shell.run(["ipset", "restore"], stdin=document)

    def batch(self, text: str) -> None:
        """Load change lines (`add`/`del ... -exist`, replayable)."""
        if text:
            self.shell.run(["ipset", "restore"], stdin=text)

    def collect(self, document: str) -> list[str]:
        """Destroy our live sets that `document` does not keep (after the rules naming them are gone)."""
        text = garbage(self.shell.run(["ipset", "list", "-n"]).split(), document)
        if text:
            self.shell.run(["ipset", "restore"], stdin=text)
        return [line.split()[1] for line in text.splitlines()]

    def fingerprint(self) -> str:
        lines = [_SEED.sub("", line) for line in self.shell.run(["ipset", "save"]).splitlines()
                 if len(line.split()) > 1 and line.split()[1].startswith(PREFIX)]
        return "\n".join(sorted(lines))
