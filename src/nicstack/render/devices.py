"""Rename the interfaces a published document names to the devices of the machine that loads it.

The control plane names a router's interfaces by their place (`eth0` guest, `eth2` public, one
`ethN` per VPC tier) and a host's VIFs by libvirt's or XenServer's convention (`vnet<N>`,
`vif<domid>.<dev>`); the machine that runs the router or the VMs may call them otherwise. The agent
therefore maps names, and only where a document names an interface: the operand of
`-i`/`-o`/`--physdev-in`/`--physdev-out` in netfilter documents, and the interface fields of the
router's addresses document (`render.router_addresses`). A name without a mapping stays as it is.
"""

from __future__ import annotations

from collections.abc import Mapping

_INTERFACE_FLAGS = frozenset({"-i", "-o", "--in-interface", "--out-interface", "--physdev-in", "--physdev-out"})


def rename_line(line: str, names: Mapping[str, str]) -> str:
    tokens = line.split(" ")
    for index in range(1, len(tokens)):
        if tokens[index - 1] in _INTERFACE_FLAGS and tokens[index] in names:
            tokens[index] = names[tokens[index]]
    return " ".join(tokens)


def rename(document: str, names: Mapping[str, str]) -> str:
    """`document` with every interface operand renamed through `names` (comments untouched)."""
    if not names:
        return document
    lines = document.split("\n")
    return "\n".join(line if line.startswith("#") else rename_line(line, names) for line in lines)
