"""Our part of a netfilter table, and the `--noflush` transaction that makes a live table hold it.

nicstack shares the router's and the host's tables with other software (libvirt, Docker, an
operator's own rules), so it owns only chains whose name starts with `PREFIX` and the jump rules
that enter them from the built-in chains, as Neutron's iptables manager does. A published document
(`iptables-restore`, `ip6tables-restore` or `ebtables-restore` syntax) declares only such chains;
the jump rules are written `-A <built-in> ... -j ns-...` so that the document loads on an empty
table as it is.

On a live table the agent loads one transaction per table with `--noflush` (`transaction`):
declaring a chain creates it or flushes it, every live jump of ours is deleted and the wanted ones
inserted at the top of their built-in chains, our chains are refilled, and chains of ours that are no
longer wanted are deleted. The kernel commits the table at once, so no packet sees a half-applied
state, and no line of anyone else's is touched. `owned` reads the same parts back from
`iptables-save` / `ebtables-save` output (the live state, and the fingerprint that shows drift).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise

PREFIX = "ns-"
_COUNTERS = re.compile(r"\s*\[\d+:\d+\]$")


@dataclass(frozen=True, slots=True)
class Table:
    """Our part of one table: chain declarations, jumps from built-in chains (chain, rule), our rules."""

    name: str
    chains: tuple[str, ...] = ()
    jumps: tuple[tuple[str, str], ...] = ()
    rules: tuple[str, ...] = ()
    _names: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_names", frozenset(_declared(line) for line in self.chains))

    @property
    def chain_names(self) -> frozenset[str]:
        return self._names

    @property
    def empty(self) -> bool:
        return not (self.chains or self.jumps or self.rules)

    def text(self) -> str:
        """A canonical text of the table's part (no counters): equal texts mean equal state."""
        body = [*self.chains, *(f"-A {chain} {rule}" for chain, rule in self.jumps), *self.rules]
        return "\n".join([f"*{self.name}", *body, "COMMIT"]) + "\n"


def ours(chain: str) -> bool:
    return chain.startswith(PREFIX)


def _declared(line: str) -> str:
    return line[1:].split(maxsplit=1)[0]


def _target(rule_tokens: list[str]) -> str | None:
    """The chain a rule jumps or goes to, if any."""
    for flag, value in pairwise(rule_tokens):
        if flag in ("-j", "--jump", "-g", "--goto"):
            return value
    return None


def owned(text: str, *, strict: bool = False) -> dict[str, Table]:
    """Our part of each table in a restore document or in `*-save` output, by table name.

    With `strict` (a document we publish), anything that is not ours is an error: a built-in
    chain's declaration would set its policy for everyone, and a rule appended to a built-in chain
    that does not jump into ours would never be removed again. Raises ValueError naming the line.
    """
    tables: dict[str, Table] = {}
    name: str | None = None
    chains: list[str] = []
    jumps: list[tuple[str, str]] = []
    rules: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("*"):
            if name is not None and not strict:
                # ebtables-save ends a table without COMMIT.
                tables[name] = Table(name, tuple(chains), tuple(jumps), tuple(rules))
            name, chains, jumps, rules = line[1:], [], [], []
        elif name is None:
            raise ValueError(f"line {number} comes before any table: {line!r}")
        elif line == "COMMIT":
            tables[name] = Table(name, tuple(chains), tuple(jumps), tuple(rules))
            name = None
        elif line.startswith(":"):
            if ours(_declared(line)):
                chains.append(_COUNTERS.sub(" [0:0]", line) if _COUNTERS.search(line) else line)
            elif strict:
                raise ValueError(f"line {number} declares chain {_declared(line)}, which is not ours: {line!r}")
        elif line.startswith("-A "):
            _, chain, *spec = line.split(" ")
            if ours(chain):
                rules.append(line)
            elif (target := _target(spec)) is not None and ours(target):
                jumps.append((chain, " ".join(spec)))
            elif strict:
                raise ValueError(f"line {number} adds to {chain} a rule that does not enter a chain of ours: {line!r}")
        elif strict:
            raise ValueError(f"line {number} is not a chain declaration or an -A rule: {line!r}")
    if name is not None:
        if strict:
            raise ValueError(f"table {name} has no COMMIT")
        tables[name] = Table(name, tuple(chains), tuple(jumps), tuple(rules))
    return tables


def transaction(wanted: Table, live: Table | None) -> str:
    """One `--noflush` restore transaction that turns `live` (our part now) into `wanted`.

    Empty when both are empty. The jumps are deleted and re-inserted even when unchanged: that
    keeps them first in their built-in chains and in the document's order, and inside one commit
    it costs no packet anything.
    """
    live = live or Table(wanted.name)
    if wanted.empty and live.empty:
        return ""
    stale = sorted(live.chain_names - wanted.chain_names)
    declarations = {_declared(line): line for line in live.chains}
    lines = [f"*{wanted.name}", *wanted.chains, *(declarations[chain] for chain in stale)]
    lines += [f"-D {chain} {rule}" for chain, rule in live.jumps]
    position: dict[str, int] = {}
    for chain, rule in wanted.jumps:
        position[chain] = position.get(chain, 0) + 1
        lines.append(f"-I {chain} {position[chain]} {rule}")
    lines += wanted.rules
    lines += [f"-X {chain}" for chain in stale]
    return "\n".join([*lines, "COMMIT"]) + "\n"


def transactions(wanted: dict[str, Table], live: dict[str, Table]) -> str:
    """The transactions of every table either side names, one after the other (each commits alone)."""
    names = sorted(set(wanted) | set(live))
    return "".join(transaction(wanted.get(n, Table(n)), live.get(n)) for n in names)


def fingerprint(tables: Iterable[Table]) -> str:
    """The canonical text of our part of several tables, e.g. as the kernel shows it after an apply."""
    return "".join(t.text() for t in sorted(tables, key=lambda t: t.name) if not t.empty)
