"""Security-group renderers per hypervisor, side by side with the same method names; VMware has none.

KVM and XenServer (bridge mode) enforce groups the same way (iptables + ipset + ebtables on the
host's bridge) and share every name, so one change set fits both. They differ in the devices a
NIC has on the bridge: KVM has its tap (`vnet<N>`); a XenServer HVM guest has its paravirtual
`vif<domid>.<devid>` and, until its PV drivers load, the emulated twin `tap<domid>.<devid>`
(CloudStack's vmops plugin guards both), so every per-device rule is written for both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Protocol

from nicstack.domain.errors import Unsupported
from nicstack.domain.kinds import Hypervisor
from nicstack.render.host_state import HostState, NicOnHost
from nicstack.render.sg_ebtables import render_ebtables
from nicstack.render.sg_ipset import render_ipset
from nicstack.render.sg_iptables import comment, render_iptables

VMWARE_TEXT = "VMware hosts have no security group data plane: security groups are not supported on VMware"


@dataclass(frozen=True, slots=True)
class HostDocuments:
    """The four documents a bridge host loads, in this order: ipset, iptables, ip6tables, ebtables; and `vifs`.

    The sets go first because the iptables rules name them. `vifs` lists each NIC's device and guest
    MAC (`render_vifs`), so an agent can find the device a NIC has on its machine.
    """

    ipset: str
    iptables: str
    ip6tables: str
    ebtables: str
    vifs: str = ""

    def items(self) -> tuple[tuple[str, str], ...]:
        return (("ipset", self.ipset), ("iptables", self.iptables), ("ip6tables", self.ip6tables),
                ("ebtables", self.ebtables), ("vifs", self.vifs))


class HostRenderer(Protocol):
    """What every security-group backend offers."""

    hypervisor: ClassVar[Hypervisor]

    def devices(self, nic: NicOnHost) -> tuple[str, ...]: ...
    def ipset(self, state: HostState) -> str: ...
    def iptables(self, state: HostState) -> str: ...
    def ip6tables(self, state: HostState) -> str: ...
    def ebtables(self, state: HostState) -> str: ...
    def vifs(self, state: HostState) -> str: ...
    def render(self, state: HostState) -> HostDocuments: ...


class _BridgeRenderer:
    """The bridge-firewall rendering both backends share; subclasses say which devices a NIC has."""

    hypervisor: ClassVar[Hypervisor]

    def devices(self, nic: NicOnHost) -> tuple[str, ...]:
        raise NotImplementedError

    def _header(self, document: str) -> str:
        return f"nicstack security groups, {self.hypervisor} host: {document}"

    def ipset(self, state: HostState) -> str:
        return render_ipset(state, self._header("ipset restore"))

    def iptables(self, state: HostState) -> str:
        return render_iptables(state, self.devices, 4, self._header("iptables-restore --noflush, our filter chains"))

    def ip6tables(self, state: HostState) -> str:
        return render_iptables(state, self.devices, 6, self._header("ip6tables-restore --noflush, our filter chains"))

    def ebtables(self, state: HostState) -> str:
        return render_ebtables(state, self.devices, self._header("ebtables-restore --noflush, our nat chains"))

    def vifs(self, state: HostState) -> str:
        return render_vifs(state, self._header("the device of each NIC: vif <device> <guest MAC> <nic> <vm>"))

    def render(self, state: HostState) -> HostDocuments:
        return HostDocuments(self.ipset(state), self.iptables(state), self.ip6tables(state), self.ebtables(state),
                             self.vifs(state))


class KvmRenderer(_BridgeRenderer):
    """KVM: one libvirt tap per NIC."""

    hypervisor = Hypervisor.KVM

    def devices(self, nic: NicOnHost) -> tuple[str, ...]:
        return (nic.vif,)


_XEN_VIF = re.compile(r"vif(\d+)\.(\d+)")


class XenServerRenderer(_BridgeRenderer):
    """XenServer in bridge mode: the PV vif and, for HVM guests, its emulated tap twin."""

    hypervisor = Hypervisor.XENSERVER

    def devices(self, nic: NicOnHost) -> tuple[str, ...]:
        named = _XEN_VIF.fullmatch(nic.vif)
        if named is None:
            return (nic.vif,)
        return (nic.vif, f"tap{named[1]}.{named[2]}")


RENDERERS: dict[Hypervisor, HostRenderer] = {
    Hypervisor.KVM: KvmRenderer(),
    Hypervisor.XENSERVER: XenServerRenderer(),
}


def renderer_for(hypervisor: Hypervisor) -> HostRenderer:
    """The backend of a hypervisor; raises Unsupported (432) for VMware, which has no such data plane."""
    renderer = RENDERERS.get(hypervisor)
    if renderer is None:
        text = VMWARE_TEXT if hypervisor is Hypervisor.VMWARE else f"{hypervisor} hosts have no security group renderer"
        raise Unsupported(text)
    return renderer


def render_vifs(state: HostState, header: str) -> str:
    """One `vif <device> <guest MAC> <nic uuid> <vm name>` line per NIC, sorted by device."""
    vms = {nic.uuid: vm.name for vm in state.vms for nic in vm.nics}
    lines = [f"vif {nic.vif} {nic.mac} {nic.uuid} {comment(vms[nic.uuid])}"
             for nic in sorted(state.nics(), key=lambda n: n.vif)]
    return "\n".join([f"# {header}", *lines]) + "\n"


def parse_vifs(document: str) -> dict[str, str]:
    """Device -> guest MAC from a `vifs` document; raises ValueError naming a line it does not understand."""
    found: dict[str, str] = {}
    for number, line in enumerate(document.splitlines(), 1):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if len(words) != 5 or words[0] != "vif":
            raise ValueError(f"vifs document line {number} {line!r}: need vif <device> <mac> <nic> <vm>")
        found[words[1]] = words[2]
    return found


def render_host(hypervisor: Hypervisor, state: HostState) -> HostDocuments:
    """Every document the host must load; raises Unsupported for VMware."""
    return renderer_for(hypervisor).render(state)
