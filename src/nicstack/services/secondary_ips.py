"""The feature: secondary IP addresses on a VM's NIC (addIpToNic, removeIpFromNic, listNics...)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import ip_address
from typing import Any

from sqlalchemy import select

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import ParameterError, ResourceInUse, UnknownEntity
from nicstack.domain.kinds import AllocationKind, VmType
from nicstack.domain.model import Nic, Vm
from nicstack.domain.policy import MAX_SECONDARY_IPS_KEY, ensure_secondary_ips_supported
from nicstack.ipam.addresses import IPAddress, parse_address
from nicstack.services import guest_ips, lookup
from nicstack.services.shared_networks import record_usage


@dataclass(frozen=True, slots=True)
class SecondaryIpView:
    uuid: str
    address: str
    nic_uuid: str
    network_uuid: str
    vm_uuid: str


# Runs inside the use case's transaction (e.g. to create the async job atomically with it).
Then = Callable[[SqlUnitOfWork, SecondaryIpView], str]


def add_ip_to_nic(uow: SqlUnitOfWork, caller: Caller, nic_uuid: str, wanted: str | None, then: Then) -> str:
    """Reserve a secondary address on a NIC; the checks follow spec 02 section 2, in order."""
    with uow:
        nic = lookup.nic_owner(uow, caller, nic_uuid)
        if nic.vm_type is not VmType.USER:
            raise ParameterError(f"NIC {nic_uuid} belongs to system VM {nic.vm_name}; secondary IPs are for user VMs")
        net = uow.networks.network_by(id=nic.network_id)
        assert net is not None
        ensure_secondary_ips_supported(net.guest_type, net.name)
        cursors = uow.networks.lock(net.id)
        limit = uow.settings.int_value(MAX_SECONDARY_IPS_KEY)
        held = uow.vms.count_secondary(nic.nic_id)
        if held >= limit:
            raise ParameterError(
                f"Maximum number of secondary IPs per NIC ({limit}) reached on NIC {nic_uuid}; remove one first, "
                f"or ask the administrator to raise {MAX_SECONDARY_IPS_KEY}"
            )
        # Parsed after the NIC, network and limit checks: spec 02 section 2 orders the refusals.
        address: IPAddress | None = parse_address(wanted) if wanted is not None else None
        if address is not None:
            allocation_id = guest_ips.take_specific(
                uow, net, address, AllocationKind.SECONDARY, nic.nic_id, nic.mac_address
            )
        else:
            family = guest_ips.default_family(uow, net, nic.nic_id)
            address, allocation_id = guest_ips.take_any(
                uow, net, family, cursors, AllocationKind.SECONDARY, nic.nic_id
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
                      f"Assigned secondary IP {address} to NIC {nic_uuid} of VM {nic.vm_name}",
                      account_id=nic.account_id, domain_id=nic.domain_id)
        record_usage(uow, caller, net, (nic.vm_name, nic.account_id, nic.domain_id), address, "NET.IPASSIGN")
        return then(uow, SecondaryIpView(uuid, str(address), nic.nic_uuid, net.uuid, nic.vm_uuid))


def _secondary_for(uow: SqlUnitOfWork, caller: Caller, uuid: str) -> tuple[Any, Vm, Nic]:
    row = uow.vms.secondary_by_uuid(uuid)
    owner = uow.vms.vm_by(with_secondary=False, id=row.vm_id) if row is not None else None
    if row is None or owner is None:
        raise UnknownEntity("id", uuid)
    vm = lookup.vm(uow, caller, owner.uuid, "id")
    return row, vm, next(n for n in vm.nics if n.id == row.nic_id)


def rule_using(uow: SqlUnitOfWork, network_id: int, address: str) -> str | None:
    """The first rule that targets a guest address, described for an error text; None if free."""
    pf = t.port_forwarding_rules
    rule = uow.conn.execute(
        select(pf.c.uuid).where(pf.c.network_id == network_id, pf.c.dest_ip_address == address).limit(1)
    ).scalar()
    if rule:
        return f"port forwarding rule {rule}"
    pub = t.public_ips
    nat = uow.conn.execute(
        select(pub.c.public_ip_address).where(
            pub.c.network_id == network_id, pub.c.is_static_nat.is_(True), pub.c.vm_ip_address == address
        ).limit(1)
    ).scalar()
    if nat:
        return f"static NAT from public IP {nat}"
    lb, m = t.load_balancing_rules, t.load_balancer_vm_map
    rule = uow.conn.execute(
        select(lb.c.uuid)
        .select_from(m.join(lb, lb.c.id == m.c.load_balancer_id))
        .where(lb.c.network_id == network_id, m.c.instance_ip == address)
        .limit(1)
    ).scalar()
    return f"load balancer rule {rule}" if rule else None


def remove_ip_from_nic(uow: SqlUnitOfWork, caller: Caller, uuid: str, then: Then) -> str:
    """Release a secondary address unless a rule still targets it (spec 02 section 3)."""
    with uow:
        row, vm, nic = _secondary_for(uow, caller, uuid)
        net = uow.networks.network_by(id=row.network_id)
        assert net is not None
        uow.networks.lock(net.id)
        # Re-check under the lock: a concurrent remove of the same IP may have committed while
        # we waited for it (PostgreSQL), and must not be answered with a second success.
        if uow.vms.secondary_by_uuid(uuid) is None:
            raise UnknownEntity("id", uuid)
        address = row.ip4_address or row.ip6_address
        user = rule_using(uow, net.id, address)
        if user is not None:
            raise ResourceInUse(f"Cannot release secondary IP {address}: it is the target of {user}")
        guest_ips.give_back(uow, net, address)
        uow.vms.delete_secondary(row.id)
        if uow.vms.count_secondary(nic.id) == 0:
            uow.vms.update_nic(nic.id, secondary_ip=0)
        uow.events.record(caller, "NIC.SECONDARY.IP.UNASSIGN",
                      f"Released secondary IP {address} from NIC {nic.uuid} of VM {vm.name}",
                      account_id=vm.account_id, domain_id=vm.domain_id)
        record_usage(uow, caller, net, (vm.name, vm.account_id, vm.domain_id), address, "NET.IPRELEASE")
        return then(uow, SecondaryIpView(uuid, address, nic.uuid, net.uuid, vm.uuid))


def list_nics(
    uow: SqlUnitOfWork, caller: Caller, vm_uuid: str, nic_uuid: str | None, network_uuid: str | None,
    keyword: str | None,
) -> tuple[Vm, list[Nic]]:
    with uow.reading():
        vm = lookup.vm(uow, caller, vm_uuid)
        nics = uow.vms.nics_of([vm.id], keyword=keyword).get(vm.id, [])
        if nic_uuid is not None:
            nics = [n for n in nics if n.uuid == nic_uuid]
            if not nics:
                raise UnknownEntity("nicid", nic_uuid)
        if network_uuid is not None:
            lookup.network(uow, caller, network_uuid)
            nics = [n for n in nics if n.network_uuid == network_uuid]
        return vm, nics


def update_vm_nic_ip(uow: SqlUnitOfWork, caller: Caller, nic_uuid: str, wanted: str | None) -> Vm:
    """Move a NIC's primary address to another one, through the same allocator and checks.

    Refused while a rule targets the current primary address: moving rules silently would
    redirect traffic the user did not ask to move.
    """
    address = parse_address(wanted) if wanted is not None else None
    with uow:
        vm, nic = lookup.vm_and_nic(uow, caller, nic_uuid)
        net = uow.networks.network_by(id=nic.network_id)
        assert net is not None
        ensure_secondary_ips_supported(net.guest_type, net.name)
        cursors = uow.networks.lock(net.id)
        family = address.version if address is not None else 4
        current = nic.ip4_address if family == 4 else nic.ip6_address
        if current is not None:
            user = rule_using(uow, net.id, current)
            if user is not None:
                raise ResourceInUse(f"Cannot change primary IP {current} of NIC {nic_uuid}: it is the target of {user}")
        if address is not None and current is not None and ip_address(current) == address:
            raise ParameterError(f"IP address {address} is already the primary address of NIC {nic_uuid}")
        if address is not None:
            guest_ips.take_specific(uow, net, address, AllocationKind.NIC, nic.id, nic.mac_address)
        else:
            address, _ = guest_ips.take_any(uow, net, family, cursors, AllocationKind.NIC, nic.id)
        if current is not None:
            guest_ips.give_back(uow, net, current)
        uow.vms.update_nic(nic.id, **{"ip4_address" if family == 4 else "ip6_address": str(address)})
        uow.events.record(caller, "NIC.UPDATE", f"Changed primary IP of NIC {nic_uuid} from {current} to {address}",
                      account_id=vm.account_id, domain_id=vm.domain_id)
        found = uow.vms.vm_by(id=vm.id)
        assert found is not None
        return found
