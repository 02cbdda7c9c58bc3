"""Which host a VM may run on: up and enabled, in its zone (Basic: in its pod), never VMware for security groups.

VMware hosts have no security-group data plane, so a VM with a NIC in a security-group network
is refused there with 432; a Basic-zone VM's addresses come from its pod's ranges, so it stays
in that pod.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.errors import InsufficientCapacity, ParameterError, UnknownEntity, Unsupported
from nicstack.domain.kinds import Hypervisor, VmState, ZoneType
from nicstack.domain.model import Host, Network, Vm, Zone
from nicstack.services.guest_ranges import basic_network
from nicstack.services.security_groups import ensure_default
from nicstack.services.shared_networks import uses_security_groups


def default_network(uow: SqlUnitOfWork, zone: Zone) -> str:
    """The network of a VM deployed without networkids: a Basic zone's one network (Advanced: refused)."""
    if zone.network_type is ZoneType.BASIC:
        net = basic_network(uow, zone.id)
        if net is None:
            raise ParameterError(f"Basic zone {zone.name} has no guest network yet: create it with createNetwork")
        return net.uuid
    raise ParameterError("deployVirtualMachine needs networkids in an Advanced zone")


def refuse_vmware(host: Host, nets: Sequence[Network], vm_name: str) -> None:
    """Raise Unsupported (432) when a VMware host would take a VM in a security-group network."""
    guarded = [n for n in nets if uses_security_groups(n)]
    if host.hypervisor is Hypervisor.VMWARE and guarded:
        raise Unsupported(
            f"Host {host.name} is a VMware host, and VMware hosts have no security group data plane: VM {vm_name} "
            f"cannot run there with a NIC in security-group network {guarded[0].name}; choose a KVM or XenServer host"
        )


def admit_nic(uow: SqlUnitOfWork, vm: Vm, net: Network) -> list[int]:
    """A running VM may gain a NIC in a security-group network only off VMware; the groups it then needs."""
    host = uow.infra.host_by(id=vm.host_id) if vm.host_id is not None else None
    if host is not None:
        refuse_vmware(host, [net], vm.name)
    if not uses_security_groups(net) or vm.security_groups:
        return []
    return [ensure_default(uow, vm.account_id, vm.domain_id)]


def _pods_with_ranges(uow: SqlUnitOfWork, zone: Zone) -> set[int] | None:
    """Basic zones: the pods that have guest ranges (None: any pod will do)."""
    if zone.network_type is not ZoneType.BASIC:
        return None
    net = basic_network(uow, zone.id)
    return {r.pod_id for r in uow.guest_ranges.of_network(net.id) if r.pod_id is not None} if net else set()


def _load(uow: SqlUnitOfWork) -> dict[int, int]:
    query = (select(t.vms.c.host_id, func.count())
             .where(t.vms.c.removed.is_(None), t.vms.c.state == str(VmState.RUNNING))
             .group_by(t.vms.c.host_id))
    return {host: count for host, count in uow.conn.execute(query).tuples().all() if host is not None}


def pick_host(uow: SqlUnitOfWork, zone: Zone, nets: Sequence[Network], vm_name: str, *, pod_id: int | None = None,
              exclude: int | None = None, hypervisor: Hypervisor | None = None) -> Host:
    """The least loaded host that may take the VM; 432 when only VMware hosts could, 533 when none can."""
    hosts = [h for h in uow.infra.hosts_in_zone(zone.id) if h.state == "Up" and h.resource_state == "Enabled"]
    pods = _pods_with_ranges(uow, zone) if pod_id is None else {pod_id}
    hosts = [h for h in hosts if (pods is None or h.pod_id in pods) and h.id != exclude
             and (hypervisor is None or h.hypervisor is hypervisor)]
    usable = [h for h in hosts if not (h.hypervisor is Hypervisor.VMWARE and any(map(uses_security_groups, nets)))]
    if hosts and not usable:
        refuse_vmware(hosts[0], nets, vm_name)
    if not usable:
        where = f"zone {zone.name}" if pod_id is None else f"the VM's pod in zone {zone.name}"
        raise InsufficientCapacity(f"No host available for VM {vm_name} in {where}: add a host with addHost")
    load = _load(uow)
    return min(usable, key=lambda h: (load.get(h.id, 0), h.id))


def chosen_host(uow: SqlUnitOfWork, zone: Zone, nets: Sequence[Network], vm_name: str, host_uuid: str,
                pod_id: int | None = None) -> Host:
    """An explicitly named host, checked like an automatic pick."""
    host = uow.infra.host_by(uuid=host_uuid)
    if host is None or host.zone_id != zone.id:
        raise UnknownEntity("hostid", host_uuid)
    refuse_vmware(host, nets, vm_name)
    if pod_id is not None and zone.network_type is ZoneType.BASIC and host.pod_id != pod_id:
        raise ParameterError(f"Host {host.name} is in pod {host.pod_name}: VM {vm_name}'s addresses belong to "
                             "another pod of Basic zone " + zone.name)
    return host


def networks_of(uow: SqlUnitOfWork, vm: Vm) -> list[Network]:
    found = [uow.networks.network_by(id=nic.network_id) for nic in vm.nics]
    return [n for n in found if n is not None]


def pod_of(uow: SqlUnitOfWork, vm_id: int) -> int | None:
    pod: int | None = uow.conn.execute(select(t.vms.c.pod_id).where(t.vms.c.id == vm_id)).scalar()
    return pod


def host_for(uow: SqlUnitOfWork, vm: Vm, host_uuid: str | None) -> Host:
    """Where a stopped VM starts: the named host, or the least loaded one it may use."""
    zone = uow.infra.zone_by(id=vm.zone_id)
    assert zone is not None
    nets, pod = networks_of(uow, vm), pod_of(uow, vm.id)
    basic_pod = pod if zone.network_type is ZoneType.BASIC else None
    if host_uuid:
        return chosen_host(uow, zone, nets, vm.name, host_uuid, basic_pod)
    return pick_host(uow, zone, nets, vm.name, pod_id=basic_pod)
