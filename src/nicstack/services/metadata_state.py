"""Read the metadata of the VMs a router serves from the database: every NIC, every address, the public one.

A VM is in the document when one of its live NICs is in a network the router serves; its entry lists
all its NICs (those of other networks too: cloud-init configures every interface from one answer).
`public-ipv4` is the static NAT address of the VM's default NIC's primary address, else the source
NAT address of that NIC's network, as CloudStack's router answers it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import bindparam, select

from nicstack.db import prepared
from nicstack.db import tables as t
from nicstack.db.repos.vms import NicRow
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.kinds import VmState
from nicstack.domain.model import Nic
from nicstack.render.metadata import Metadata, NicMetadata, VmMetadata, entry_of, nic_data


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


class _NicColumns(Protocol):
    """What a NIC tells of the VM's public address: a domain `Nic` or the metadata pass's `NicRow`."""

    @property
    def network_id(self) -> int: ...
    @property
    def ip4_address(self) -> str | None: ...
    @property
    def is_default(self) -> bool: ...


def _public_ips(uow: SqlUnitOfWork, nics_of: Mapping[int, Sequence[_NicColumns]]) -> dict[int, str]:
    """Per VM id (given with its NICs): its default NIC's static NAT address, else its network's source NAT one."""
    defaults = {vm_id: next(((n.network_id, n.ip4_address) for n in nics if n.is_default), None)
                for vm_id, nics in nics_of.items()}
    static = {(vm_id, address): public
              for vm_id, address, public in prepared.tuples(uow.conn, _STATIC_NAT, {"vm_ids": list(defaults)})}
    networks = sorted({nic[0] for nic in defaults.values() if nic is not None})
    source = dict(prepared.tuples(uow.conn, _SOURCE_NAT, {"network_ids": networks}))
    found: dict[int, str] = {}
    for vm_id, nic in defaults.items():
        if nic is None:
            continue
        public = static.get((vm_id, nic[1])) or source.get(nic[0])
        if public is not None:
            found[vm_id] = public
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
    public = _public_ips(uow, {vm.id: vm.nics for vm in vms})
    user_data = uow.vms.user_data([vm.id for vm in vms])
    return Metadata(tuple(
        VmMetadata(uuid=UUID(vm.uuid), name=vm.name, zone=vm.zone_name, service_offering=vm.service_offering_name or "",
                   nics=tuple(_nic(nic, [s.address for s in nic.secondary_ips]) for nic in vm.nics),
                   public_ipv4=_optional_ipv4(public.get(vm.id)), user_data=user_data.get(vm.id))
        for vm in vms))


def entries_of_vms(uow: SqlUnitOfWork, vm_ids: Sequence[int]) -> dict[int, tuple[str, set[int]]]:
    """Per VM id (those that still run or are stopped): its metadata entry and the networks of its live NICs.

    Rendered from the rows' texts (what `vm_entry` of the typed values would write, byte for byte): the
    metadata pass renders every VM a burst of jobs changed beyond its addresses.
    """
    if not vm_ids:
        return {}
    found = uow.vms.metadata_rows(vm_ids)
    public = _public_ips(uow, {vm.id: vm.nics for vm in found})
    user_data = uow.vms.user_data([vm.id for vm in found])
    secondaries = uow.vms.secondaries_of(nic.id for vm in found for nic in vm.nics)
    return {vm.id: (entry_of(uuid=vm.uuid, name=vm.name, zone=vm.zone, service_offering=vm.service_offering,
                             public_ipv4=public.get(vm.id), user_data=user_data.get(vm.id),
                             nics=[_nic_data(nic, secondaries[nic.id]) for nic in vm.nics]),
                    {nic.network_id for nic in vm.nics})
            for vm in found}


def _nic_data(nic: NicRow, secondaries: tuple[list[str], list[str]]) -> dict[str, Any]:
    """A NIC of an entry from its texts; only its own (few) addresses are parsed, to write subnets canonically."""
    ip4, ip6 = nic.ip4_address, nic.ip6_address
    return nic_data(
        mac=nic.mac_address.lower(), device=nic.device_id, uuid=nic.uuid, network=nic.network_uuid,
        default=nic.is_default, ipv4=[ip4, *secondaries[0]] if ip4 else secondaries[0],
        ipv4_subnet=_ipv4_subnet(ip4, nic.netmask) if ip4 and nic.netmask else None,
        ipv4_gateway=_canonical(nic.gateway) if nic.gateway else None,
        ipv6=[ip6, *secondaries[1]] if ip6 else secondaries[1],
        ipv6_subnet=_ipv6_subnet(nic.ip6_cidr) if nic.ip6_cidr else None,
        ipv6_gateway=_canonical(nic.ip6_gateway) if nic.ip6_gateway else None,
    )


# A NIC's subnet and gateway texts, canonical: the metadata pass asks for the same few on every pass.
@functools.lru_cache(maxsize=4096)
def _ipv4_subnet(address: str, netmask: str) -> str:
    return str(IPv4Network(f"{address}/{netmask}", strict=False))


@functools.lru_cache(maxsize=4096)
def _ipv6_subnet(cidr: str) -> str:
    return str(IPv6Network(cidr, strict=False))


@functools.lru_cache(maxsize=4096)
def _canonical(address: str) -> str:
    return str(ip_address(address))


def _optional_ipv4(text: str | None) -> IPv4Address | None:
    return None if text is None else IPv4Address(text)
