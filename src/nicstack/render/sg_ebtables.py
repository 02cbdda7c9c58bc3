"""The `ebtables-restore` document of a security-group host: MAC and ARP anti-spoofing per VIF.

It holds our chains of the `nat` table and the jumps into them (the agent loads it with
`--noflush`, as `render.netfilter` says), the table CloudStack's KVM script uses: PREROUTING sees
every frame a VIF sends before the bridge decides between forwarding it and delivering it to the
host, so one jump per device covers both (the `filter` table would need one in FORWARD and one in
INPUT).
Per NIC, chain `ns-arp-<nic>` (policy RETURN): drop frames whose source MAC is not the NIC's,
then one RETURN per allowed IPv4 for ARP carrying that MAC and address, then drop all other ARP.
Each allow rule carries its own MAC checks, so where it sits in the chain does not matter:
`host_changes` inserts one at position 1 and deletes it by its text.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from nicstack.render.host_state import HostState, NicOnHost
from nicstack.render.netfilter import PREFIX
from nicstack.render.sg_ipset import short_id
from nicstack.render.sg_iptables import Devices

TABLE = "nat"


def arp_chain(nic_uuid: str) -> str:
    return f"{PREFIX}arp-{short_id(nic_uuid)}"


def arp_allow(nic: NicOnHost, address: IPv4Address) -> str:
    """The rule letting the NIC claim `address` in ARP (without `-A <chain>`)."""
    return f"-p ARP -s {nic.mac} --arp-mac-src {nic.mac} --arp-ip-src {address} -j RETURN"


def render_ebtables(state: HostState, devices: Devices, header: str) -> str:
    """Our part of the nat table: a jump per device, a chain per NIC."""
    jumps: list[str] = []
    chains: list[str] = []
    rules: list[str] = []
    for nic in state.nics():
        chain = arp_chain(nic.uuid)
        chains.append(f":{chain} RETURN")
        jumps.extend(f"-A PREROUTING -i {device} -j {chain}" for device in devices(nic))
        rules.append(f"-A {chain} -s ! {nic.mac} -j DROP")
        rules.extend(f"-A {chain} {arp_allow(nic, address)}" for address in sorted(nic.ipv4))
        rules.append(f"-A {chain} -p ARP -j DROP")
    return "\n".join([f"# {header}", f"*{TABLE}", *chains, *sorted(jumps), *rules, "COMMIT"]) + "\n"
