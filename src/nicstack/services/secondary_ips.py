"""The feature: secondary IP addresses on a VM's NIC (addIpToNic, removeIpFromNic, listNics, updateVmNicIp)."""

from __future__ import annotations

from dataclasses import dataclass

from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller, may_access
from nicstack.domain.errors import ParameterError, ResourceInUse, UnknownEntity
from nicstack.domain.jobs import Configured, Started
from nicstack.domain.kinds import AllocationKind, VmType
from nicstack.domain.model import Network, Nic, NicSecondaryIp, Vm
from nicstack.domain.policy import MAX_SECONDARY_IPS_KEY, ensure_secondary_ips_supported
from nicstack.ipam.addresses import IPAddress
from nicstack.services import guest_ips, lookup
from nicstack.services.ports import UnitOfWork
from nicstack.services.rule_targets import rules_targeting
from nicstack.services.shared_networks import record_usage


@dataclass(frozen=True, slots=True)
class AddIp:
    """addIpToNic: a NIC, and the address wanted (None: any free one of the NIC's network)."""

    nic_uuid: str
    address: IPAddress | None = None


@dataclass(frozen=True, slots=True)
class NicFilter:
    """listNics: one VM's NICs, optionally one NIC or the NIC in one network; `keyword` filters secondaries."""

    vm_uuid: str
    nic_uuid: str | None = None
    network_uuid: str | None = None
    keyword: str | None = None


def add_ip_to_nic(uow: UnitOfWork, caller: Caller, request: AddIp) -> Started[NicSecondaryIp]:
    """Reserve a secondary address on a NIC; the checks follow spec 02 section 2, in order."""
    with uow:
        nic = lookup.nic_owner(uow, caller, request.nic_uuid)
        if nic.vm_type is not VmType.USER:
            raise ParameterError(f"NIC {nic.nic_uuid} belongs to system VM {nic.vm_name}; secondary IPs are for "
                                 "user VMs")
        net = _network(uow, nic.network_id)
        ensure_secondary_ips_supported(net.guest_type, net.name)
        cursors = uow.networks.lock(net.id)
        held = _check_limit(uow, nic.nic_id, nic.nic_uuid)
        address, allocation_id = guest_ips.take(
            uow, net, request.address, cursors, AllocationKind.SECONDARY, nic.nic_id, nic.mac_address
        )
        secondary_id, uuid = uow.vms.insert_secondary(
            nic_id=nic.nic_id, vm_id=nic.vm_id, network_id=net.id, account_id=nic.account_id,
            domain_id=nic.domain_id,
            ip4_address=str(address) if address.version == 4 else None,
            ip6_address=str(address) if address.version == 6 else None,
        )
        uow.allocations.attach_secondary(allocation_id, secondary_id)
        # Trust the count read under the lock, not only `nic` read before it: a concurrent remove
        # of the NIC's last IP may have cleared the flag meanwhile (PostgreSQL).
        if held == 0 or not nic.secondary_ip:
            uow.vms.update_nic(nic.nic_id, secondary_ip=1)
        uow.events.record(caller, "NIC.SECONDARY.IP.ASSIGN",
                          f"Assigned secondary IP {address} to NIC {nic.nic_uuid} of VM {nic.vm_name}",
                          account_id=nic.account_id, domain_id=nic.domain_id)
        record_usage(uow, caller, net, (nic.vm_name, nic.account_id, nic.domain_id), address, "NET.IPASSIGN")
        uow.outbox.vm(nic.vm_id)
        reserved = NicSecondaryIp(uuid, str(address), nic.nic_uuid, net.uuid, nic.vm_uuid)
        job = uow.start_job(caller, "addIpToNic", result=reserved, instance=("IpAddress", uuid),
                            configured=Configured(nic.vm_id, str(address), added=True))
        return Started(job, reserved)


def _network(uow: UnitOfWork, network_id: int) -> Network:
    found = uow.networks.network_by(id=network_id)
    if found is None:  # a NIC's network is a foreign key: only a removed network gets here
        raise UnknownEntity("networkid", str(network_id))
    return found


def _check_limit(uow: UnitOfWork, nic_id: int, nic_uuid: str) -> int:
    """The NIC's secondary IP count, read under the network lock; refused at the limit."""
    limit = uow.settings.int_value(MAX_SECONDARY_IPS_KEY)
    held = uow.vms.count_secondary(nic_id)
    if held >= limit:
        raise ParameterError(
            f"Maximum number of secondary IPs per NIC ({limit}) reached on NIC {nic_uuid}; remove one first, "
            f"or ask the administrator to raise {MAX_SECONDARY_IPS_KEY}"
        )
    return held


def refuse_if_targeted(uow: UnitOfWork, network_id: int, address: str, what: str) -> None:
    """ResourceInUse naming every rule that targets the guest address, if any does."""
    rules = rules_targeting(uow, network_id, address)
    if rules:
        raise ResourceInUse(f"{what}: it is the target of {', '.join(rules)}")


def remove_ip_from_nic(uow: UnitOfWork, caller: Caller, uuid: str) -> str:
    """Release a secondary address unless a rule still targets it (spec 02 section 3); returns the job uuid."""
    with uow:
        found = uow.vms.held_secondary(uuid)
        # A foreign address is answered as an unknown one: the text names only what the caller sent.
        if found is None or not may_access(caller, found.account_id, found.domain_path):
            raise UnknownEntity("id", uuid)
        net = _network(uow, found.network_id)
        uow.networks.lock(net.id)
        # Re-check under the lock: a concurrent remove of the same IP may have committed while
        # we waited for it (PostgreSQL), and must not be answered with a second success.
        if uow.vms.held_secondary(uuid) is None:
            raise UnknownEntity("id", uuid)
        refuse_if_targeted(uow, net.id, found.address, f"Cannot release secondary IP {found.address}")
        guest_ips.give_back(uow, net, found.address)
        uow.vms.delete_secondary(found.id)
        if uow.vms.count_secondary(found.nic_id) == 0:
            uow.vms.update_nic(found.nic_id, secondary_ip=0)
        uow.events.record(caller, "NIC.SECONDARY.IP.UNASSIGN",
                          f"Released secondary IP {found.address} from NIC {found.nic_uuid} of VM {found.vm_name}",
                          account_id=found.account_id, domain_id=found.domain_id)
        record_usage(uow, caller, net, (found.vm_name, found.account_id, found.domain_id), found.address,
                     "NET.IPRELEASE")
        # The data plane drops the address in the job, after the release committed (spec 02 section 3.4).
        uow.outbox.vm(found.vm_id)
        return uow.start_job(caller, "removeIpFromNic", instance=("IpAddress", uuid),
                             configured=Configured(found.vm_id, found.address, added=False))


def list_nics(uow: SqlUnitOfWork, caller: Caller, query: NicFilter) -> list[Nic]:
    with uow.reading():
        vm = lookup.vm(uow, caller, query.vm_uuid)
        nics = uow.vms.nics_of([vm.id], keyword=query.keyword).get(vm.id, [])
        if query.nic_uuid is not None:
            nics = [n for n in nics if n.uuid == query.nic_uuid]
            if not nics:
                raise UnknownEntity("nicid", query.nic_uuid)
        if query.network_uuid is not None:
            lookup.network(uow, caller, query.network_uuid)
            nics = [n for n in nics if n.network_uuid == query.network_uuid]
        return nics


def update_vm_nic_ip(uow: SqlUnitOfWork, caller: Caller, request: AddIp) -> Started[Vm]:
    """Move a NIC's primary address to another one, through the same allocator and checks.

    Refused while a rule targets the current primary address: moving rules silently would
    redirect traffic the user did not ask to move.
    """
    wanted = request.address
    with uow:
        vm, nic = lookup.vm_and_nic(uow, caller, request.nic_uuid)
        net = _network(uow, nic.network_id)
        ensure_secondary_ips_supported(net.guest_type, net.name)
        cursors = uow.networks.lock(net.id)
        family = wanted.version if wanted is not None else 4
        current = nic.ip4_address if family == 4 else nic.ip6_address
        if current is not None:
            refuse_if_targeted(uow, net.id, current, f"Cannot change primary IP {current} of NIC {nic.uuid}")
        if wanted is not None and current is not None and current == str(wanted):
            raise ParameterError(f"IP address {wanted} is already the primary address of NIC {nic.uuid}")
        address, _ = guest_ips.take(uow, net, wanted, cursors, AllocationKind.NIC, nic.id, nic.mac_address,
                                    family=family)
        if current is not None:
            guest_ips.give_back(uow, net, current)
        uow.vms.update_nic(nic.id, **{"ip4_address" if family == 4 else "ip6_address": str(address)})
        uow.events.record(caller, "NIC.UPDATE", f"Changed primary IP of NIC {nic.uuid} from {current} to {address}",
                          account_id=vm.account_id, domain_id=vm.domain_id)
        uow.outbox.vm(vm.id)
        changed = lookup.vm(uow, caller, vm.uuid)
        return Started(uow.start_job(caller, "updateVmNicIp", result=changed, instance=("VirtualMachine", vm.uuid)),
                       changed)
