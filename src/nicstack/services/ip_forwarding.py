"""Use cases of IP forwarding rules (CloudStack's static NAT rules): port ranges of a static-NAT public IP."""

from __future__ import annotations

from dataclasses import dataclass

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import ParameterError, RuleConflict, Unsupported
from nicstack.domain.jobs import Started
from nicstack.domain.kinds import GuestType
from nicstack.domain.rules import ANYWHERE, IpForwardingRule, PortUse
from nicstack.domain.vocabulary import PF_PROTOCOLS, PortRange, protocol_of
from nicstack.services import lookup_rules
from nicstack.services.rule_targets import changed_router, open_firewall, open_ports_for, owner_of_ip, record

IPF = t.ip_forwarding_rules


@dataclass(frozen=True, slots=True)
class NewIpForward:
    ip_uuid: str
    protocol: str
    start_port: int
    end_port: int | None = None
    open_firewall: bool | None = None
    # CloudStack refuses the deprecated cidrlist parameter outright (use createFirewallRule).
    cidrs_given: bool = False


def create_ip_forwarding_rule(uow: SqlUnitOfWork, caller: Caller, spec: NewIpForward) -> Started[IpForwardingRule]:
    """Forward a protocol's port range of a static-NAT public IP to its guest address; on an isolated network
    the firewall is opened for those ports too (openfirewall, default true), with a rule deleted with this one.

    Raises ParameterError (431) without static NAT and RuleConflict (537) on an overlapping rule.
    """
    if spec.cidrs_given:
        raise ParameterError("Parameter cidrlist is deprecated; to open the firewall for given CIDRs, use "
                             "createFirewallRule")
    protocol = protocol_of(spec.protocol, PF_PROTOCOLS)
    ports = PortRange.of(spec.start_port, spec.end_port)
    with uow:
        ip = lookup_rules.public_ip(uow, caller, spec.ip_uuid)
        if ip.network_id is not None:
            uow.networks.lock(ip.network_id)
        ip = uow.public_ips.lock(ip.id)
        if not ip.is_static_nat or ip.network_id is None:
            raise ParameterError(f"Public IP {ip.address} has no static NAT: enable static NAT before creating IP "
                                 "forwarding rules on it")
        net = uow.networks.network_by(id=ip.network_id)
        assert net is not None
        if net.guest_type is GuestType.SHARED:
            raise Unsupported(f"IP forwarding rules are not supported on elastic IP {ip.address}: its static NAT "
                              "forwards every port")
        opened = open_firewall(ip, net, spec.open_firewall)
        use = PortUse("the new IP forwarding rule", protocol, ports.start, ports.end)
        for rule in uow.rules.ip_forwards(IPF.c.ip_address_id == ip.id):
            if use.clashes(PortUse("", rule.protocol, rule.start_port, rule.end_port)):
                raise RuleConflict(f"The new IP forwarding rule ({protocol} {ports.start}-{ports.end} of {ip.address})"
                                   f" conflicts with IP forwarding rule {rule.base.uuid} ({rule.protocol} "
                                   f"{rule.start_port}-{rule.end_port})")
        owner = owner_of_ip(ip)
        rule_id = uow.rules.insert(IPF, ip_address_id=ip.id, network_id=ip.network_id, protocol=protocol,
                                   start_port=ports.start, end_port=ports.end, account_id=owner.account_id,
                                   domain_id=owner.domain_id)
        if opened:
            open_ports_for(uow, ip, net, owner, use, ANYWHERE, related_ipf_id=rule_id)
        record(uow, caller, owner, "NET.RULEADD",
               f"IP forwarding {ip.address}:{ports.start}-{ports.end}/{protocol} to {ip.vm_ip} of VM {ip.vm_name}")
        created = uow.rules.ip_forward_by(id=rule_id)
        assert created is not None
        changed_router(uow, ip.network_id, ip.vpc_id)
        job = uow.start_job(caller, "createIpForwardingRule", result=created,
                            instance=("FirewallRule", created.base.uuid))
        return Started(job, created)


def delete_ip_forwarding_rule(uow: SqlUnitOfWork, caller: Caller, uuid: str) -> str:
    """Delete a rule with the firewall rule opened for it."""
    with uow:
        rule = lookup_rules.ip_forward(uow, caller, uuid)
        uow.networks.lock(rule.base.network_id)
        uow.rules.delete_ip_forwards(IPF.c.id == rule.base.id)
        record(uow, caller, rule.base.owner, "NET.RULEDELETE",
               f"Deleted IP forwarding rule {rule.base.uuid} of public IP {rule.base.ip_address}")
        uow.outbox.network(rule.base.network_id)
        return uow.start_job(caller, "deleteIpForwardingRule", instance=("FirewallRule", rule.base.uuid))
