"""The desired security-group state of one host, read from the database into `render.host_state` values.

A host enforces, for every running VM on it, each NIC it has in a security-group network: the
NIC's MAC and device, its allowed addresses (primary plus every secondary, IPv4 and IPv6 apart),
the rules of the VM's groups, and the addresses of every running member of each group those
rules name (secondary addresses included).
"""

from __future__ import annotations

from collections import defaultdict
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

from sqlalchemy import select

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.kinds import Hypervisor, VmState, VmType
from nicstack.domain.model import Host, Nic
from nicstack.domain.security_groups import SgRule
from nicstack.domain.vocabulary import IcmpMatch, PortRange, Protocol
from nicstack.render.host_state import (
    GroupMembers,
    HostState,
    NicOnHost,
    Rule,
    SecurityGroup,
    VmOnHost,
    kvm_vif,
    xen_vif,
)
from nicstack.services.shared_networks import SECURITY_GROUP

Addresses = tuple[frozenset[IPv4Address], frozenset[IPv6Address]]


def guarded_networks(uow: SqlUnitOfWork) -> set[int]:
    """Ids of the networks whose offering has the SecurityGroup service."""
    n, o = t.networks, t.network_offerings
    query = (select(n.c.id, o.c.services).select_from(n.join(o, o.c.id == n.c.network_offering_id))
             .where(n.c.removed.is_(None), n.c.guest_type == "Shared"))
    return {nid for nid, services in uow.conn.execute(query).tuples() if SECURITY_GROUP in services.split(",")}


def vif_of(host: Host, vm_id: int, nic: Nic) -> str:
    # The control plane names devices from stable ids: libvirt's vnet<N> with N the NIC's id on
    # KVM, vif<domid>.<device> with the VM's id as domid on XenServer.
    return xen_vif(vm_id, nic.device_id) if host.hypervisor is Hypervisor.XENSERVER else kvm_vif(nic.id)


def _split(addresses: list[str]) -> Addresses:
    parsed = [ip_address(a) for a in addresses if a]
    return (frozenset(a for a in parsed if isinstance(a, IPv4Address)),
            frozenset(a for a in parsed if isinstance(a, IPv6Address)))


def nic_addresses(nic: Nic) -> Addresses:
    """Primary plus secondary addresses, IPv4 and IPv6 apart."""
    return _split([nic.ip4_address or "", nic.ip6_address or "", *(s.address for s in nic.secondary_ips)])


def _rule(rule: SgRule) -> Rule:
    shape = rule.shape
    ports = PortRange(shape.start_port, shape.end_port or shape.start_port) if shape.start_port is not None else None
    icmp = IcmpMatch(shape.icmp_type, shape.icmp_code if shape.icmp_code is not None else -1) if (
        shape.protocol is Protocol.ICMP and shape.icmp_type is not None) else None
    cidrs = (ip_network(rule.cidr),) if rule.cidr else ()
    return Rule(rule.direction, shape.protocol, ports, icmp, cidrs, rule.peer_group_uuid)


def group_members(uow: SqlUnitOfWork, group_ids: list[int], guarded: set[int]) -> dict[int, list[str]]:
    """Per group: every address (primary and secondary) of its running members' security-group NICs."""
    if not group_ids:
        return {}
    m, v, n, s = t.security_group_vm_map, t.vms, t.nics, t.nic_secondary_ips
    members = (select(m.c.security_group_id, n.c.id.label("nic_id"), n.c.ip4_address, n.c.ip6_address)
               .select_from(m.join(v, v.c.id == m.c.vm_id).join(n, n.c.vm_id == v.c.id))
               .where(m.c.security_group_id.in_(group_ids), v.c.state == str(VmState.RUNNING),
                      v.c.removed.is_(None), n.c.removed.is_(None), n.c.network_id.in_(guarded)))
    found: dict[int, list[str]] = defaultdict(list)
    nic_groups: dict[int, list[int]] = defaultdict(list)
    for group_id, nic_id, ip4, ip6 in uow.conn.execute(members).tuples():
        found[group_id] += [a for a in (ip4, ip6) if a]
        nic_groups[nic_id].append(group_id)
    if nic_groups:
        extra = select(s.c.nic_id, s.c.ip4_address, s.c.ip6_address).where(s.c.nic_id.in_(list(nic_groups)))
        for nic_id, ip4, ip6 in uow.conn.execute(extra).tuples():
            for group_id in nic_groups[nic_id]:
                found[group_id].append(ip4 or ip6)
    return found


def host_state(uow: SqlUnitOfWork, host: Host) -> HostState:
    """What `host` must enforce now (VMs not running there, and NICs outside security-group networks, are absent)."""
    v = t.vms
    vm_rows = uow.conn.execute(select(v.c.id, v.c.uuid, v.c.name).where(
        v.c.host_id == host.id, v.c.state == str(VmState.RUNNING), v.c.removed.is_(None),
        v.c.vm_type == str(VmType.USER))).tuples().all()
    guarded = guarded_networks(uow)
    nics = uow.vms.nics_of([vm_id for vm_id, _, _ in vm_rows])
    groups_of = uow.security_groups.groups_of_vms([vm_id for vm_id, _, _ in vm_rows])
    on_host = []
    for vm_id, uuid, name in vm_rows:
        mine = [nic for nic in nics.get(vm_id, []) if nic.network_id in guarded]
        if not mine:
            continue
        plugged = []
        for nic in mine:
            v4, v6 = nic_addresses(nic)
            plugged.append(NicOnHost(nic.uuid, nic.device_id, nic.mac_address, vif_of(host, vm_id, nic), v4, v6))
        on_host.append(VmOnHost(uuid, name, tuple(g[1] for g in groups_of.get(vm_id, [])), tuple(plugged)))
    used_ids = sorted({g[0] for vm_id, _, _ in vm_rows for g in groups_of.get(vm_id, [])})
    groups = uow.security_groups.groups(t.security_groups.c.id.in_(used_ids)) if used_ids else []
    peers = sorted({r.peer_group_id for grp in groups for r in grp.rules if r.peer_group_id is not None})
    peer_groups = uow.security_groups.groups(t.security_groups.c.id.in_(peers)) if peers else []
    named = {grp.id: (grp.uuid, grp.name) for grp in peer_groups}
    members = group_members(uow, peers, guarded)
    references = tuple(GroupMembers(named[pid][0], named[pid][1], *_split(members.get(pid, []))) for pid in peers)
    rendered = tuple(SecurityGroup(grp.uuid, grp.name, tuple(_rule(r) for r in grp.rules)) for grp in groups)
    return HostState(tuple(on_host), rendered, references)


def host_by_id(uow: SqlUnitOfWork, host_id: int) -> Host:
    found = uow.infra.host_by(id=host_id)
    assert found is not None
    return found
