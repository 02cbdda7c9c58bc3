"""Read the metadata of the VMs a router serves from the database: every NIC, every address, the public one.

A VM is in the document when one of its live NICs is in a network the router serves; its entry lists
all its NICs (those of other networks too: cloud-init configures every interface from one answer).
`public-ipv4` is the static NAT address of the VM's default NIC's primary address, else the source
NAT address of that NIC's network, as CloudStack's router answers it.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from uuid import UUID

from sqlalchemy import bindparam, select

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.kinds import VmState
from nicstack.domain.model import Nic, Vm
from nicstack.render.metadata import Metadata, NicMetadata, VmMetadata


def _nic(nic: Nic, addresses: list[str]) -> NicMetadata:
    secondaries = [ip_address(a) for a in addresses]
    ipv4 = ([IPv4Address(nic.ip4_address)] if nic.ip4_address else []) + [
        a for a in secondaries if isinstance(a, IPv4Address)]
    ipv6 = ([IPv6Address(nic.ip6_address)] if nic.ip6_address else []) + [
        a for a in secondaries if isinstance(a, IPv6Address)]
    subnet4 = IPv4Network(f"{nic.ip4_address}/{nic.netmask}", strict=False) if nic.ip4_address and nic.netmask \
        else None
    return NicMetadata(
        mac=nic.mac_address, device=nic.device_id, uuid=UUID(nic.uuid), network=UUID(nic.network_uuid),
        default=nic.is_default, ipv4=tuple(ipv4), ipv4_subnet=subnet4,
        ipv4_gateway=IPv4Address(nic.gateway) if nic.gateway else None, ipv6=tuple(ipv6),
        ipv6_subnet=IPv6Network(nic.ip6_cidr, strict=False) if nic.ip6_cidr else None,
        ipv6_gateway=IPv6Address(nic.ip6_gateway) if nic.ip6_gateway else None,
    )


_ip = t.public_ips
# Built once: a statement made per call costs SQLAlchemy more to key than the database to run.
_STATIC_NAT = (select(_ip.c.vm_id, _ip.c.vm_ip_address, _ip.c.public_ip_address)
               .where(_ip.c.vm_id.in_(bindparam("vm_ids", expanding=True)), _ip.c.is_static_nat.is_(True)))
_SOURCE_NAT = (select(_ip.c.network_id, _ip.c.public_ip_address)
               .where(_ip.c.network_id.in_(bindparam("network_ids", expanding=True)), _ip.c.is_source_nat.is_(True)))


def _public_ips(uow: SqlUnitOfWork, vms: Sequence[Vm]) -> dict[int, IPv4Address]:
    """Per VM id: its default NIC's static NAT address, else its network's source NAT address."""
    defaults = {vm.id: next((n for n in vm.nics if n.is_default), None) for vm in vms}
    static = {(r.vm_id, r.vm_ip_address): r.public_ip_address
              for r in uow.conn.execute(_STATIC_NAT, {"vm_ids": list(defaults)})}
    networks = sorted({n.network_id for n in defaults.values() if n is not None})
    source = {r.network_id: r.public_ip_address for r in uow.conn.execute(_SOURCE_NAT, {"network_ids": networks})}
    found: dict[int, IPv4Address] = {}
    for vm_id, nic in defaults.items():
        if nic is None:
            continue
        public = static.get((vm_id, nic.ip4_address)) or source.get(nic.network_id)
        if public is not None:
            found[vm_id] = IPv4Address(public)
    return found


def metadata_for(uow: SqlUnitOfWork, network_ids: Sequence[int]) -> Metadata:
    """The metadata document of the VMs with a live NIC in `network_ids`."""
    n, v = t.nics, t.vms
    if not network_ids:
        return Metadata(())
    served = select(n.c.vm_id).where(n.c.network_id.in_(list(network_ids)), n.c.removed.is_(None))
    # A destroyed VM keeps its NICs until it is expunged, but no longer runs: it asks nothing.
    vms = uow.vms.loaded([v.c.id.in_(served), v.c.removed.is_(None),
                          v.c.state.in_([VmState.RUNNING, VmState.STOPPED])])
    return Metadata(tuple(meta for meta, _ in _entries(uow, [
        (vm, {nic.id: [s.address for s in nic.secondary_ips] for nic in vm.nics}) for vm in vms])))


def metadata_of_vms(uow: SqlUnitOfWork, vm_ids: Sequence[int]) -> dict[int, tuple[VmMetadata, set[int]]]:
    """Per VM id (those that still run or are stopped): its metadata and the networks of its live NICs."""
    if not vm_ids:
        return {}
    return {vm.id: (meta, {nic.network_id for nic in vm.nics})
            for meta, vm in _entries(uow, uow.vms.live(vm_ids))}


def _entries(uow: SqlUnitOfWork, found: list[tuple[Vm, dict[int, list[str]]]]) -> list[tuple[VmMetadata, Vm]]:
    """Each VM's metadata, given the VM and its NICs' secondary addresses (by NIC id)."""
    vms = [vm for vm, _ in found]
    public = _public_ips(uow, vms)
    user_data = uow.vms.user_data([vm.id for vm in vms])
    return [(VmMetadata(uuid=UUID(vm.uuid), name=vm.name, zone=vm.zone_name,
                        service_offering=vm.service_offering_name or "",
                        nics=tuple(_nic(nic, addresses.get(nic.id, [])) for nic in vm.nics),
                        public_ipv4=public.get(vm.id), user_data=user_data.get(vm.id)), vm)
            for vm, addresses in found]
