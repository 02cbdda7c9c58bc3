"""Use cases of load balancer rules, whose members are VM guest addresses (primary or secondary)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import ParameterError, RuleConflict
from nicstack.domain.jobs import Started
from nicstack.domain.model import Vm
from nicstack.domain.rules import (
    ANYWHERE,
    LoadBalancerRule,
    PortUse,
    cidr_list_as_given,
    join_cidrs,
)
from nicstack.domain.values import canonical_uuid
from nicstack.domain.vocabulary import LB_PROTOCOLS, PortRange, Protocol, algorithm_of, protocol_of
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

CIDR_LIST_LENGTH = 4096
DESCRIPTION_LENGTH = 4096


@dataclass(frozen=True, slots=True)
class NewLoadBalancer:
    ip_uuid: str
    name: str
    algorithm: str
    public_port: int
    private_port: int
    protocol: str | None = None
    network_uuid: str | None = None
    open_firewall: bool | None = None
    description: str | None = None
    cidrs: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class LoadBalancerChange:
    """What updateLoadBalancerRule changes; None leaves a field as it is."""

    algorithm: str | None = None
    name: str | None = None
    description: str | None = None
    cidrs: Sequence[str] | None = None


@dataclass(frozen=True, slots=True)
class Mapping:
    """One vmidipmap entry (vm_ip None: the VM's primary address, as virtualmachineids)."""

    vm_uuid: str
    vm_ip: str | None
    param: str


def mappings(vm_uuids: Sequence[str], entries: Sequence[dict[str, str]]) -> list[Mapping]:
    """virtualmachineids and vmidipmap[n].vmid/.vmip as one list; malformed entries are a 431 naming them."""
    found = []
    for value in vm_uuids:
        found.append(Mapping(canonical_uuid(value, "virtualmachineids"), None, "virtualmachineids"))
    for n, entry in enumerate(entries):
        vmid, vmip = entry.get("vmid"), entry.get("vmip")
        if not vmid or not vmip:
            raise ParameterError(f"vmidipmap[{n}] needs both vmid and vmip")
        vm_uuid = canonical_uuid(vmid, f"vmidipmap[{n}].vmid")
        found.append(Mapping(vm_uuid, guest_ip(vmip, f"vmidipmap[{n}].vmip"), "vmidipmap"))
    if not found:
        raise ParameterError("Give virtualmachineids or vmidipmap")
    return found


def source_cidrs(items: Sequence[str]) -> str | None:
    """cidrlist as stored: validated IPv4 CIDRs in the caller's order (CloudStack keeps it, and clients compare
    what they read back as text), comma-separated; None (from anywhere) when it has none or includes
    0.0.0.0/0, so that one value means "anywhere" whichever way the caller said it."""
    cidrs = cidr_list_as_given(items)
    stored = None if ANYWHERE in cidrs else join_cidrs(cidrs)
    # Written out in full (1.2.3.4 becomes 1.2.3.4/32) the list can outgrow what the caller sent.
    if stored is not None and len(stored) > CIDR_LIST_LENGTH:
        raise ParameterError(f"Invalid value for cidrlist: {len(cidrs)} CIDRs take {len(stored)} characters, "
                             f"more than {CIDR_LIST_LENGTH}")
    return stored


def _description(text: str | None) -> str | None:
    # An empty description is no description: clients send "" to clear one, and null is omitted on the wire.
    return text if text else None


def create_load_balancer_rule(uow: SqlUnitOfWork, caller: Caller, spec: NewLoadBalancer) -> Started[LoadBalancerRule]:
    with uow:
        rule = _new_rule(uow, caller, spec)
        job = uow.start_job(caller, "createLoadBalancerRule", result=rule,
                            instance=("LoadBalancerRule", rule.base.uuid))
        return Started(job, rule)


def create_load_balancer_rule_with_members(uow: SqlUnitOfWork, caller: Caller, spec: NewLoadBalancer,
                                           wanted: list[Mapping]) -> Started[LoadBalancerRule]:
    """A rule and its members in one unit of work (a nicstack extension): CloudStack's UI creates the
    rule, then assigns the members in a second call, and a refused one leaves a rule without members."""
    with uow:
        rule = _new_rule(uow, caller, spec)
        _add_members(uow, caller, rule, wanted)
        job = uow.start_job(caller, "createLoadBalancerRuleWithMembers", result=rule,
                            instance=("LoadBalancerRule", rule.base.uuid))
        return Started(job, rule)


def _new_rule(uow: SqlUnitOfWork, caller: Caller, spec: NewLoadBalancer) -> LoadBalancerRule:
    algorithm = algorithm_of(spec.algorithm)
    protocol = protocol_of(spec.protocol or "tcp", LB_PROTOCOLS)
    public = PortRange.of(spec.public_port, None, "public port").start
    private = PortRange.of(spec.private_port, None, "private port").start
    if not spec.name.strip():
        raise ParameterError("Invalid value '' for name: a load balancer rule needs a name")
    cidrs = source_cidrs(spec.cidrs)
    with uow:
        ip = lookup_rules.public_ip(uow, caller, spec.ip_uuid, "publicipid")
        net, ip, opened = claim_for_port_rule(uow, caller, ip, None, spec.network_uuid, spec.open_firewall, "Lb")
        transport = Protocol.UDP if protocol is Protocol.UDP else Protocol.TCP
        use = PortUse("the new load balancer rule", transport, public, public)
        check_ports_free(uow, ip, use)
        owner = owner_of_ip(ip)
        rule_id = uow.rules.insert(
            t.load_balancing_rules, name=spec.name.strip(), ip_address_id=ip.id, network_id=net.id,
            algorithm=algorithm, protocol=protocol, public_port=public, private_port=private,
            account_id=owner.account_id, domain_id=owner.domain_id, description=_description(spec.description),
            cidr_list=cidrs,
        )
        # CloudStack opens the firewall for every CIDR here: the rule's own cidrlist is what restricts it.
        if opened:
            open_ports_for(uow, ip, net, owner, use, ANYWHERE, related_lb_id=rule_id)
        bind_tier(uow, ip, net)
        sources = f" from {cidrs}" if cidrs else ""
        record(uow, caller, owner, "LB.CREATE",
               f"Created load balancer rule {spec.name} on {ip.address}:{public} ({algorithm}){sources}")
        rule = uow.load_balancers.rule_by(id=rule_id)
        assert rule is not None
        uow.outbox.network(rule.base.network_id)
        return rule


def update_load_balancer_rule(uow: SqlUnitOfWork, caller: Caller, uuid: str, change: LoadBalancerChange) -> str:
    values: dict[str, str | None] = {"algorithm": algorithm_of(change.algorithm)} if change.algorithm else {}
    if change.name is not None and change.name.strip():
        values["name"] = change.name.strip()
    if change.description is not None:
        values["description"] = _description(change.description)
    if change.cidrs is not None:
        values["cidr_list"] = source_cidrs(change.cidrs)
    with uow:
        rule = lookup_rules.load_balancer(uow, caller, uuid)
        if values:
            uow.load_balancers.update(rule.base.id, **values)
        # The description is left out: up to 4096 characters of free text would drown the event.
        shown = ", ".join(k if k == "description" else f"{k}={v or 'anywhere'}" for k, v in values.items())
        record(uow, caller, rule.base.owner, "LB.UPDATE", f"Updated load balancer rule {rule.base.uuid}: {shown}")
        updated = uow.load_balancers.rule_by(id=rule.base.id)
        assert updated is not None
        uow.outbox.network(updated.base.network_id)
        return uow.start_job(caller, "updateLoadBalancerRule", result=updated,
                             instance=("LoadBalancerRule", updated.base.uuid))


def delete_load_balancer_rule(uow: SqlUnitOfWork, caller: Caller, uuid: str) -> str:
    with uow:
        rule = lookup_rules.load_balancer(uow, caller, uuid)
        uow.networks.lock(rule.base.network_id)
        uow.load_balancers.delete(t.load_balancing_rules.c.id == rule.base.id)
        release_tier_if_unused(uow, rule.base.ip_id)
        record(uow, caller, rule.base.owner, "LB.DELETE", f"Deleted load balancer rule {rule.name}")
        uow.outbox.network(rule.base.network_id)
        return uow.start_job(caller, "deleteLoadBalancerRule", instance=("LoadBalancerRule", rule.base.uuid))


def assign_to_load_balancer_rule(uow: SqlUnitOfWork, caller: Caller, uuid: str, wanted: list[Mapping]) -> str:
    """Map VMs' guest addresses to a rule; each must be the primary or a secondary IP of the VM's NIC there."""
    with uow:
        rule = lookup_rules.load_balancer(uow, caller, uuid)
        _add_members(uow, caller, rule, wanted)
        return uow.start_job(caller, "assignToLoadBalancerRule", instance=("LoadBalancerRule", rule.base.uuid))


def _add_members(uow: SqlUnitOfWork, caller: Caller, rule: LoadBalancerRule, wanted: list[Mapping]) -> None:
    with uow:
        net = uow.networks.network_by(id=rule.base.network_id)
        assert net is not None
        uow.networks.lock(net.id)
        taken = {(m.vm_id, m.address) for m in uow.load_balancers.members([rule.base.id]).get(rule.base.id, [])}
        added = []
        for m in wanted:
            vm = lookup.vm(uow, caller, m.vm_uuid, m.param)
            usable_vm(vm, owner=rule.base.owner)
            target = guest_address(uow, vm, net, m.vm_ip, "vmidipmap" if m.vm_ip else "virtualmachineids")
            address = target.address
            if (vm.id, address) in taken:
                raise RuleConflict(f"VM {vm.name} with IP {address} is already a member of load balancer rule "
                                   f"{rule.name} ({rule.base.uuid})")
            taken.add((vm.id, address))
            uow.load_balancers.add_member(rule.base.id, vm.id, address, target.allocation_id)
            added.append(f"{vm.name}/{address}")
        record(uow, caller, rule.base.owner, "LB.ASSIGN.TO.RULE",
               f"Assigned {', '.join(added)} to load balancer rule {rule.name}")
        uow.outbox.network(rule.base.network_id)


def remove_from_load_balancer_rule(uow: SqlUnitOfWork, caller: Caller, uuid: str, wanted: list[Mapping]) -> str:
    """Unmap VMs (all their addresses) or single VM addresses from a rule."""
    with uow:
        rule = lookup_rules.load_balancer(uow, caller, uuid)
        uow.networks.lock(rule.base.network_id)
        removed = []
        for m in wanted:
            vm = lookup.vm(uow, caller, m.vm_uuid, m.param)
            if uow.load_balancers.remove_member(rule.base.id, vm.id, m.vm_ip) == 0:
                what = f"VM {vm.name} with IP {m.vm_ip}" if m.vm_ip else f"VM {vm.name}"
                raise ParameterError(f"{what} is not a member of load balancer rule {rule.name} ({rule.base.uuid})")
            removed.append(f"{vm.name}/{m.vm_ip or 'all'}")
        record(uow, caller, rule.base.owner, "LB.REMOVE.FROM.RULE",
               f"Removed {', '.join(removed)} from load balancer rule {rule.name}")
        uow.outbox.network(rule.base.network_id)
        return uow.start_job(caller, "removeFromLoadBalancerRule", instance=("LoadBalancerRule", rule.base.uuid))


def rule_instances(uow: SqlUnitOfWork, caller: Caller, uuid: str) -> list[tuple[Vm, list[str]]]:
    """The rule's member VMs in mapping order, each with its mapped addresses."""
    with uow.reading():
        rule = lookup_rules.load_balancer(uow, caller, uuid)
        by_vm: dict[int, list[str]] = {}
        for m in uow.load_balancers.members([rule.base.id]).get(rule.base.id, []):
            by_vm.setdefault(m.vm_id, []).append(m.address)
        found = []
        for vm_id, addresses in by_vm.items():
            vm = uow.vms.vm_by(id=vm_id)
            if vm is not None:
                found.append((vm, addresses))
        return found
