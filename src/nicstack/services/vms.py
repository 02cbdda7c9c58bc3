"""Use cases of a VM's life: deploy, power, destroy/recover/expunge, NICs."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from nicstack.db import tables as t
from nicstack.db.rows import now
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import ParameterError, ResourceInUse, UnknownEntity
from nicstack.domain.jobs import Started
from nicstack.domain.kinds import AllocationKind, GuestType, VmState, VmType
from nicstack.domain.model import Network, Nic, Vm
from nicstack.ipam.addresses import parse_address
from nicstack.services import guest_ips, lookup, placement, security_groups, ssh_keypairs
from nicstack.services.networks import implement, owner_account
from nicstack.services.rule_targets import forget_vm, rules_targeting


@dataclass(frozen=True, slots=True)
class NicRequest:
    network_uuid: str
    ip4: str | None = None
    ip6: str | None = None
    mac: str | None = None
    param: str = "networkids"  # what an error names: the parameter the network came in


@dataclass(frozen=True, slots=True)
class NewVm:
    zone_uuid: str
    service_offering_uuid: str
    template_uuid: str
    nics: tuple[NicRequest, ...]
    name: str | None = None
    display_name: str | None = None
    host_uuid: str | None = None
    start: bool = True
    account: str | None = None
    domain_uuid: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    security_group_ids: tuple[str, ...] = ()
    security_group_names: tuple[str, ...] = ()
    user_data: str | None = None  # base64, checked at the edge
    keypairs: tuple[str, ...] = ()


def new_mac() -> str:
    # 02: locally administered, unicast, as CloudStack's guest MACs.
    return "02:00:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(4))


def attach_nic(uow: SqlUnitOfWork, vm_id: int, net: Network, request: NicRequest, device_id: int, default: bool) -> int:
    """Create a NIC in `net` with its primary address(es), given or allocated (shared: from its ranges)."""
    mac = request.mac or new_mac()
    nic_id = uow.vms.create_nic(
        vm_id=vm_id, network_id=net.id, device_id=device_id, mac_address=mac, is_default=default,
        netmask=net.netmask, gateway=net.gateway, ip6_gateway=net.ip6_gateway, ip6_cidr=net.ip6_cidr,
    )
    if net.guest_type is GuestType.L2:
        return nic_id
    cursors = uow.networks.lock(net.id)
    values: dict[str, Any] = {}
    offered = guest_ips.families(uow, net, nic_id)
    for family, wanted in ((4, request.ip4), (6, request.ip6)):
        if family not in offered:
            if wanted:
                raise ParameterError(f"Network {net.name} has no IPv{family} addresses; cannot assign {wanted}")
            continue
        if wanted:
            address = parse_address(wanted, "ipaddress" if family == 4 else "ip6address")
            if address.version != family:
                raise ParameterError(f"{wanted} is not an IPv{family} address")
            guest_ips.take(uow, net, address, cursors, AllocationKind.NIC, nic_id, mac)
        else:
            address, _ = guest_ips.take(uow, net, None, cursors, AllocationKind.NIC, nic_id, family=family)
        values["ip4_address" if family == 4 else "ip6_address"] = str(address)
        values |= guest_ips.nic_layout(uow, net, address, nic_id)
    uow.vms.update_nic(nic_id, state="Reserved", **values)
    implement(uow, net)
    return nic_id


def deploy(uow: SqlUnitOfWork, caller: Caller, spec: NewVm) -> Started[Vm]:
    with uow:
        zone = uow.infra.zone_by(uuid=spec.zone_uuid)
        if zone is None:
            raise UnknownEntity("zoneid", spec.zone_uuid)
        offering = uow.infra.service_offering_by(uuid=spec.service_offering_uuid)
        if offering is None:
            raise UnknownEntity("serviceofferingid", spec.service_offering_uuid)
        template = uow.infra.template_by(uuid=spec.template_uuid)
        if template is None:
            raise UnknownEntity("templateid", spec.template_uuid)
        owner = owner_account(uow, caller, spec.account, spec.domain_uuid)
        requests = spec.nics or (NicRequest(placement.default_network(uow, zone)),)
        nets = [lookup.network(uow, caller, r.network_uuid, r.param) for r in requests]
        for net in nets:
            if net.zone_id != zone.id:
                raise ParameterError(f"Network {net.name} is not in zone {zone.name}")
        name = spec.name or f"VM-{secrets.token_hex(4)}"
        groups = security_groups.groups_for_vm(uow, caller, owner, nets, spec.security_group_ids,
                                               spec.security_group_names)
        host = (placement.chosen_host(uow, zone, nets, name, spec.host_uuid) if spec.host_uuid
                else placement.pick_host(uow, zone, nets, name))
        vm_id = uow.vms.create_vm(
            name=name, display_name=spec.display_name or name, vm_type=str(VmType.USER),
            state=str(VmState.RUNNING if spec.start else VmState.STOPPED), zone_id=zone.id, pod_id=host.pod_id,
            host_id=host.id if spec.start else None, last_host_id=host.id, hypervisor=str(host.hypervisor),
            account_id=owner.id, domain_id=owner.domain_id, service_offering_id=offering["id"],
            template_id=template["id"], keypairs=ssh_keypairs.names_for_vm(uow, owner, spec.keypairs),
        )
        for device_id, (net, request) in enumerate(zip(nets, requests, strict=True)):
            attach_nic(uow, vm_id, net, request, device_id, device_id == 0)
        uow.security_groups.set_vm_groups(vm_id, groups)
        uow.vms.set_user_data(vm_id, spec.user_data)
        uow.events.record(caller, "VM.CREATE", f"Deployed VM {name}", account_id=owner.id, domain_id=owner.domain_id)
        return _started(uow, caller, "deployVirtualMachine", _reload(uow, vm_id))


_POWER = {
    "start": ({VmState.STOPPED, VmState.RUNNING}, VmState.RUNNING, "VM.START"),
    "stop": ({VmState.RUNNING, VmState.STOPPED}, VmState.STOPPED, "VM.STOP"),
    "reboot": ({VmState.RUNNING}, VmState.RUNNING, "VM.REBOOT"),
}


_POWER_COMMANDS = {"start": "startVirtualMachine", "stop": "stopVirtualMachine", "reboot": "rebootVirtualMachine"}


def power(uow: SqlUnitOfWork, caller: Caller, uuid: str, action: str, host_uuid: str | None = None) -> Started[Vm]:
    allowed, target, event = _POWER[action]
    with uow:
        vm = lookup.vm(uow, caller, uuid, "id")
        if vm.state not in allowed:
            raise ParameterError(f"VM {vm.name} is {vm.state}; cannot {action} it")
        values: dict[str, Any] = {"state": str(target)}
        if target is VmState.RUNNING and vm.host_id is None:
            host = placement.host_for(uow, vm, host_uuid)
            values |= {"host_id": host.id, "last_host_id": host.id, "pod_id": host.pod_id}
        if target is VmState.STOPPED:
            values["host_id"] = None
        uow.vms.update_vm(vm.id, **values)
        uow.events.record(caller, event, f"{action} VM {vm.name}", account_id=vm.account_id, domain_id=vm.domain_id)
        return _started(uow, caller, _POWER_COMMANDS[action], _reload(uow, vm.id))


def destroy(uow: SqlUnitOfWork, caller: Caller, uuid: str, expunge_now: bool) -> Started[Vm]:
    with uow:
        vm = lookup.vm(uow, caller, uuid, "id")
        if vm.state is VmState.DESTROYED and not expunge_now:
            raise ParameterError(f"VM {vm.name} is already destroyed")
        uow.vms.update_vm(vm.id, state=str(VmState.DESTROYED), host_id=None)
        uow.events.record(caller, "VM.DESTROY", f"Destroyed VM {vm.name}", account_id=vm.account_id,
                      domain_id=vm.domain_id)
        if expunge_now:
            _expunge(uow, caller, vm)
            _changed(uow, vm)
            return Started(uow.start_job(caller, "destroyVirtualMachine", result=vm,
                                         instance=("VirtualMachine", vm.uuid)), vm)
        return _started(uow, caller, "destroyVirtualMachine", _reload(uow, vm.id))


def recover(uow: SqlUnitOfWork, caller: Caller, uuid: str) -> Vm:
    with uow:
        vm = lookup.vm(uow, caller, uuid, "id")
        if vm.state is not VmState.DESTROYED:
            raise ParameterError(f"VM {vm.name} is {vm.state}; only a destroyed VM can be recovered")
        uow.vms.update_vm(vm.id, state=str(VmState.STOPPED))
        uow.events.record(caller, "VM.RECOVER", f"Recovered VM {vm.name}", account_id=vm.account_id,
                      domain_id=vm.domain_id)
        recovered = _reload(uow, vm.id)
        _changed(uow, recovered)
        return recovered


def expunge(uow: SqlUnitOfWork, caller: Caller, uuid: str) -> str:
    with uow:
        vm = lookup.vm(uow, caller, uuid, "id")
        if vm.state is not VmState.DESTROYED:
            raise ParameterError(f"VM {vm.name} is {vm.state}; destroy it before expunging")
        _expunge(uow, caller, vm)
        _changed(uow, vm)
        return uow.start_job(caller, "expungeVirtualMachine", instance=("VirtualMachine", vm.uuid))


def _expunge(uow: SqlUnitOfWork, caller: Caller, vm: Vm) -> None:
    """Release every address of the VM and remove it (rules on its addresses go with it)."""
    # First, under the networks' locks: PF rules (with their firewall rules), LB mappings, static NATs.
    forget_vm(uow, vm)
    for nic in vm.nics:
        _drop_nic(uow, nic)
    uow.vms.update_vm(vm.id, state=str(VmState.EXPUNGING), removed=now(), host_id=None)
    uow.events.record(
        caller, "VM.EXPUNGE", f"Expunged VM {vm.name}", account_id=vm.account_id, domain_id=vm.domain_id
    )


def _drop_nic(uow: SqlUnitOfWork, nic: Nic) -> None:
    """Release the NIC's addresses under its network's lock, as every allocation does."""
    uow.networks.lock(nic.network_id)
    nic_id = nic.id
    uow.conn.execute(t.ip_allocations.delete().where(t.ip_allocations.c.nic_id == nic_id))
    secondary = t.nic_secondary_ips
    uow.conn.execute(
        t.ip_allocations.delete().where(
            t.ip_allocations.c.secondary_id.in_(select(secondary.c.id).where(secondary.c.nic_id == nic_id))
        )
    )
    uow.conn.execute(secondary.delete().where(secondary.c.nic_id == nic_id))
    uow.vms.remove_nic(nic_id)


def add_nic(uow: SqlUnitOfWork, caller: Caller, vm_uuid: str, request: NicRequest) -> Started[Vm]:
    with uow:
        vm = lookup.vm(uow, caller, vm_uuid)
        net = lookup.network(uow, caller, request.network_uuid)
        if any(n.network_id == net.id for n in vm.nics):
            raise ParameterError(f"VM {vm.name} already has a NIC in network {net.name}")
        if net.zone_id != vm.zone_id:
            raise ParameterError(f"Network {net.name} is not in the VM's zone {vm.zone_name}")
        joins = placement.admit_nic(uow, vm, net)
        device = max((n.device_id for n in vm.nics), default=-1) + 1
        attach_nic(uow, vm.id, net, request, device, not vm.nics)
        if joins:
            uow.security_groups.set_vm_groups(vm.id, joins)
        uow.events.record(caller, "NIC.CREATE", f"Added NIC in {net.name} to VM {vm.name}",
                      account_id=vm.account_id, domain_id=vm.domain_id)
        return _started(uow, caller, "addNicToVirtualMachine", _reload(uow, vm.id))


def remove_nic(uow: SqlUnitOfWork, caller: Caller, vm_uuid: str, nic_uuid: str) -> Started[Vm]:
    with uow:
        vm = lookup.vm(uow, caller, vm_uuid)
        nic = next((n for n in vm.nics if n.uuid == nic_uuid), None)
        if nic is None:
            raise UnknownEntity("nicid", nic_uuid)
        if nic.is_default:
            raise ParameterError(f"NIC {nic_uuid} is the default NIC of VM {vm.name}; make another NIC default first")
        _refuse_if_rules_target_nic(uow, nic)
        _drop_nic(uow, nic)
        uow.events.record(caller, "NIC.DELETE", f"Removed NIC {nic_uuid} from VM {vm.name}",
                      account_id=vm.account_id, domain_id=vm.domain_id)
        uow.outbox.network(nic.network_id)
        return _started(uow, caller, "removeNicFromVirtualMachine", _reload(uow, vm.id))


def _refuse_if_rules_target_nic(uow: SqlUnitOfWork, nic: Nic) -> None:
    # The same lock and check as removeIpFromNic: no PF, static NAT or LB rule may outlive the address.
    uow.networks.lock(nic.network_id)
    addresses = [a for a in (nic.ip4_address, nic.ip6_address, *(s.address for s in nic.secondary_ips)) if a]
    targeted = uow.rules.targeted(nic.network_id, addresses)  # one query; the rules read for the first only
    for address in (a for a in addresses if a in targeted):
        rules = rules_targeting(uow, nic.network_id, address)
        if rules:
            raise ResourceInUse(f"The NIC's address {address} is the target of {', '.join(rules)}; delete the "
                                "rules first")


def update_default_nic(uow: SqlUnitOfWork, caller: Caller, vm_uuid: str, nic_uuid: str) -> Started[Vm]:
    with uow:
        vm = lookup.vm(uow, caller, vm_uuid)
        nic = next((n for n in vm.nics if n.uuid == nic_uuid), None)
        if nic is None:
            raise UnknownEntity("nicid", nic_uuid)
        for other in vm.nics:
            uow.vms.update_nic(other.id, is_default=other.id == nic.id)
        uow.events.record(caller, "NIC.UPDATE", f"Made NIC {nic_uuid} the default of VM {vm.name}",
                      account_id=vm.account_id, domain_id=vm.domain_id)
        return _started(uow, caller, "updateDefaultNicForVirtualMachine", _reload(uow, vm.id))


def _changed(uow: SqlUnitOfWork, vm: Vm) -> None:
    """The VM's hosts and the routers of its networks may publish anew (its rules and addresses moved)."""
    uow.outbox.vm(vm.id)
    uow.outbox.network(*(n.network_id for n in vm.nics))


def _started(uow: SqlUnitOfWork, caller: Caller, command: str, vm: Vm) -> Started[Vm]:
    _changed(uow, vm)
    return Started(uow.start_job(caller, command, result=vm, instance=("VirtualMachine", vm.uuid)), vm)


def _reload(uow: SqlUnitOfWork, vm_id: int) -> Vm:
    found = uow.vms.vm_by(id=vm_id)
    assert found is not None
    return found

