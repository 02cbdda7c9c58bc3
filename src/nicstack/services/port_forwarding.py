"""Use cases of port forwarding to a VM's primary or secondary IP: create, update, delete."""

from __future__ import annotations

from dataclasses import dataclass, field

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import ParameterError
from nicstack.domain.jobs import Started
from nicstack.domain.rules import (
    ANYWHERE,
    PortForwardingRule,
    PortUse,
    cidr_list,
    join_cidrs,
)
from nicstack.domain.vocabulary import PF_PROTOCOLS, PortRange, protocol_of
from nicstack.services import lookup, lookup_rules
from nicstack.services.rule_targets import (
    bind_tier,
    check_ports_free,
    claim_for_port_rule,
    guest_address,
    guest_ip,
    open_ports_for,
    owner_of_ip,
    record,
    release_tier_if_unused,
    usable_vm,
)


@dataclass(frozen=True, slots=True)
class NewPortForward:
    ip_uuid: str
    protocol: str
    public_start: int
    private_start: int
    vm_uuid: str
    public_end: int | None = None
    private_end: int | None = None
    guest: str | None = None
    open_firewall: bool | None = None
    network_uuid: str | None = None
    cidrs: list[str] = field(default_factory=list)


def _same_size(public: PortRange, private: PortRange) -> None:
    if public.size != private.size:
        raise ParameterError(
            f"Public ports {public.start}-{public.end} and private ports {private.start}-{private.end} must be "
            "ranges of the same length"
        )


def create_port_forwarding_rule(
    uow: SqlUnitOfWork, caller: Caller, spec: NewPortForward
) -> Started[PortForwardingRule]:
    protocol = protocol_of(spec.protocol, PF_PROTOCOLS)
    public = PortRange.of(spec.public_start, spec.public_end, "public port")
    private = PortRange.of(spec.private_start, spec.private_end, "private port")
    _same_size(public, private)
    cidrs = cidr_list(spec.cidrs)
    wanted = guest_ip(spec.guest)
    with uow:
        ip = lookup_rules.public_ip(uow, caller, spec.ip_uuid)
        vm = lookup.vm(uow, caller, spec.vm_uuid)
        usable_vm(vm, ip)
        net, ip, opened = claim_for_port_rule(uow, caller, ip, vm, spec.network_uuid, spec.open_firewall,
                                              "PortForwarding")
        target = guest_address(uow, vm, net, wanted)
        address = target.address
        use = PortUse("the new port forwarding rule", protocol, public.start, public.end)
        check_ports_free(uow, ip, use)
        owner = owner_of_ip(ip)
        rule_id = uow.rules.insert(
            t.port_forwarding_rules, ip_address_id=ip.id, network_id=net.id, protocol=protocol,
            public_port_start=public.start, public_port_end=public.end, private_port_start=private.start,
            private_port_end=private.end, instance_id=vm.id, dest_ip_address=address,
            allocation_id=target.allocation_id, cidr_list=join_cidrs(cidrs),
            account_id=owner.account_id, domain_id=owner.domain_id,
        )
        if opened:
            open_ports_for(uow, ip, net, owner, use, join_cidrs(cidrs) or ANYWHERE, related_pf_id=rule_id)
        bind_tier(uow, ip, net)
        record(uow, caller, owner, "NET.RULEADD",
               f"Port forwarding {ip.address}:{public.start}-{public.end}/{protocol} to {address} of VM {vm.name}")
        rule = uow.rules.port_forward_by(id=rule_id)
        assert rule is not None
        uow.outbox.network(rule.base.network_id)
        job = uow.start_job(caller, "createPortForwardingRule", result=rule, instance=("FirewallRule", rule.base.uuid))
        return Started(job, rule)


@dataclass(frozen=True, slots=True)
class PortForwardChange:
    uuid: str
    private_start: int | None = None
    private_end: int | None = None
    vm_uuid: str | None = None
    guest: str | None = None


def update_port_forwarding_rule(uow: SqlUnitOfWork, caller: Caller, change: PortForwardChange) -> str:
    """Change a rule's private ports and/or its target VM and guest address (checked as on create)."""
    wanted = guest_ip(change.guest)
    with uow:
        rule = lookup_rules.port_forward(uow, caller, change.uuid)
        net = uow.networks.network_by(id=rule.base.network_id)
        assert net is not None
        uow.networks.lock(net.id)
        vm = lookup.vm(uow, caller, change.vm_uuid) if change.vm_uuid else uow.vms.vm_by(id=rule.vm_id)
        assert vm is not None
        usable_vm(vm, owner=rule.base.owner)
        moved = vm.id != rule.vm_id or wanted is not None
        target = guest_address(uow, vm, net, wanted if moved else rule.dest_ip)
        address = target.address
        start = change.private_start if change.private_start is not None else rule.private_start
        default_end = start + (rule.private_end - rule.private_start)
        private = PortRange.of(start, change.private_end if change.private_end is not None else default_end,
                               "private port")
        _same_size(PortRange(rule.public_start, rule.public_end), private)
        uow.rules.update_port_forward(rule.base.id, instance_id=vm.id, dest_ip_address=address,
                                      allocation_id=target.allocation_id,
                                  private_port_start=private.start, private_port_end=private.end)
        record(uow, caller, rule.base.owner, "NET.RULEMODIFY",
               f"Port forwarding rule {rule.base.uuid} now forwards to {address}:{private.start}-{private.end} of VM "
               f"{vm.name}")
        updated = uow.rules.port_forward_by(id=rule.base.id)
        assert updated is not None
        uow.outbox.network(updated.base.network_id)
        return uow.start_job(caller, "updatePortForwardingRule", result=updated,
                             instance=("FirewallRule", updated.base.uuid))


def delete_port_forwarding_rule(uow: SqlUnitOfWork, caller: Caller, uuid: str) -> str:
    """Delete a rule with the firewall rule opened for it."""
    with uow:
        rule = lookup_rules.port_forward(uow, caller, uuid)
        uow.networks.lock(rule.base.network_id)
        uow.rules.delete_port_forwards(t.port_forwarding_rules.c.id == rule.base.id)
        release_tier_if_unused(uow, rule.base.ip_id)
        record(uow, caller, rule.base.owner, "NET.RULEDELETE",
               f"Deleted port forwarding rule {rule.base.uuid} of public IP {rule.base.ip_address}")
        uow.outbox.network(rule.base.network_id)
        return uow.start_job(caller, "deletePortForwardingRule", instance=("FirewallRule", rule.base.uuid))
