"""Apply our part of the netfilter tables with `*-restore --noflush`, one table per transaction.

Each table is read back with `*-save` first (our chains and the jumps into them, `render.netfilter`),
then replaced in one commit; a table whose transaction the tool refuses keeps its previous state.
After the apply the same reading gives the fingerprint a later drift check compares with.
"""

from __future__ import annotations

from dataclasses import dataclass

from nicstack.agent.shell import Shell
from nicstack.render.netfilter import Table, fingerprint, owned, transaction


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    save: tuple[str, ...]
    restore: tuple[str, ...]


IPV4 = Family("iptables", ("iptables-save",), ("iptables-restore", "--noflush", "--wait", "5"))
IPV6 = Family("ip6tables", ("ip6tables-save",), ("ip6tables-restore", "--noflush", "--wait", "5"))
BRIDGE = Family("ebtables", ("ebtables-save",), ("ebtables-restore", "--noflush"))


class Tables:
    """Our part of one family's tables in one namespace."""

    def __init__(self, shell: Shell, family: Family) -> None:
        self.shell = shell
        self.family = family

    def live(self) -> dict[str, Table]:
        return owned(self.shell.run(self.family.save))

    def apply(self, document: str) -> str:
        """Make the live tables hold exactly `document`'s part of ours; returns the fingerprint after it.

        Raises ValueError for a document that names what is not ours, ApplyError when the tool refuses.
        """
        wanted = owned(document, strict=True)
        live = self.live()
        for name in sorted(set(wanted) | set(live)):
            text = transaction(wanted.get(name, Table(name)), live.get(name))
            if text:
                self.shell.run(self.family.restore, stdin=text)
        return self.fingerprint()

    def fingerprint(self) -> str:
        return fingerprint(self.live().values())

    def batch(self, text: str) -> None:
        """Load a change batch of ours (rule inserts and deletes in our chains) as one transaction."""
        if text:
            self.shell.run(self.family.restore, stdin=text)
