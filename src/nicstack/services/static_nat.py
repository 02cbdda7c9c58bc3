"""Use cases of static NAT: enableStaticNat (to a VM's primary or secondary IP), disableStaticNat."""

from __future__ import annotations

from dataclasses import dataclass

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import ParameterError, RuleConflict
from nicstack.domain.rules import PublicIp
from nicstack.services import lookup, lookup_rules
from nicstack.services.rule_targets import (
    bind_tier,
    changed_router,
    guest_address,
    guest_ip,
    lock_for_rule,
    owner_of_ip,
    port_uses,
    record,
    release_tier_if_unused,
    rule_network,
    usable_vm,
)


@dataclass(frozen=True, slots=True)
class NewStaticNat:
    ip_uuid: str
    vm_uuid: str
    guest: str | None = None
    network_uuid: str | None = None


def enable_static_nat(uow: SqlUnitOfWork, caller: Caller, spec: NewStaticNat) -> PublicIp:
    """Map a public IP wholly to one guest address (spec 02 section 5): 537 on any conflicting use."""
    wanted = guest_ip(spec.guest)
    with uow:
        ip = lookup_rules.public_ip(uow, caller, spec.ip_uuid)
        vm = lookup.vm(uow, caller, spec.vm_uuid)
        usable_vm(vm, ip)
        net = rule_network(uow, caller, ip, vm, spec.network_uuid, "StaticNat")
        ip = lock_for_rule(uow, net, ip)
        if ip.is_source_nat:
            owner = f"VPC {ip.vpc_name}" if ip.vpc_id is not None else f"network {ip.network_name}"
            raise RuleConflict(f"Public IP {ip.address} is the source NAT address of {owner}: static NAT needs "
                               "another public IP")
        target = guest_address(uow, vm, net, wanted)
        address = target.address
        if ip.is_static_nat:
            if (ip.vm_id, ip.vm_ip) == (vm.id, address):
                return ip
            raise RuleConflict(f"Public IP {ip.address} already has static NAT to {ip.vm_ip} of VM {ip.vm_name}; "
                               "disable it first")
        uses = port_uses(uow, ip.id)
        if uses:
            raise RuleConflict(f"Public IP {ip.address} has {uses[0].what}: static NAT needs a public IP without "
                               "port forwarding or load balancing rules")
        other = uow.public_ips.static_nat_to([net.id], address)
        if other is not None:
            raise RuleConflict(f"Guest IP {address} already has static NAT from public IP {other.address}; a guest "
                               f"IP takes one static NAT, so {ip.address} cannot map to it too")
        bind_tier(uow, ip, net)
        uow.public_ips.update(ip.id, is_static_nat=True, vm_id=vm.id, vm_ip_address=address,
                              allocation_id=target.allocation_id)
        record(uow, caller, owner_of_ip(ip), "STATICNAT.ENABLE",
               f"Enabled static NAT from public IP {ip.address} to {address} of VM {vm.name}")
        changed_router(uow, net.id, None)
        found = uow.public_ips.ip_by(id=ip.id)
        assert found is not None
        return found


def disable_static_nat(uow: SqlUnitOfWork, caller: Caller, ip_uuid: str) -> str:
    with uow:
        ip = lookup_rules.public_ip(uow, caller, ip_uuid)
        if ip.network_id is not None:
            uow.networks.lock(ip.network_id)
        ip = uow.public_ips.lock(ip.id)
        if not ip.is_static_nat:
            raise ParameterError(f"Public IP {ip.address} has no static NAT to disable")
        # CloudStack revokes the IP's static NAT (IP forwarding) rules with it.
        uow.rules.delete_ip_forwards(t.ip_forwarding_rules.c.ip_address_id == ip.id)
        uow.public_ips.update(ip.id, is_static_nat=False, vm_id=None, vm_ip_address=None, allocation_id=None)
        release_tier_if_unused(uow, ip.id)
        record(uow, caller, owner_of_ip(ip), "STATICNAT.DISABLE",
               f"Disabled static NAT from public IP {ip.address} to {ip.vm_ip} of VM {ip.vm_name}")
        changed_router(uow, ip.network_id, ip.vpc_id)
        return uow.start_job(caller, "disableStaticNat", instance=("IpAddress", ip.uuid))
