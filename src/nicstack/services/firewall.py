"""Use cases of ingress firewall rules on public IPs of isolated networks: create and delete."""

from __future__ import annotations

from dataclasses import dataclass, field

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import ParameterError, RuleConflict, Unsupported
from nicstack.domain.jobs import Started
from nicstack.domain.rules import (
    ANYWHERE,
    FirewallRule,
    cidr_list_as_given,
    join_cidrs,
)
from nicstack.domain.vocabulary import FIREWALL_PROTOCOLS, PortRange, Protocol, protocol_of
from nicstack.services import lookup_rules
from nicstack.services.rule_targets import ensure_rules_supported, owner_of_ip, record


@dataclass(frozen=True, slots=True)
class NewFirewallRule:
    ip_uuid: str
    protocol: str
    start_port: int | None = None
    end_port: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None
    cidrs: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Opening:
    """What a firewall rule lets in, normalised for storage and conflict checks."""

    protocol: Protocol
    ports: PortRange | None
    icmp: tuple[int | None, int | None]
    cidrs: tuple[str, ...]


def _ports_text(ports: PortRange | None) -> str:
    return "all ports" if ports is None else f"ports {ports.start}-{ports.end}"


def _opening(spec: NewFirewallRule) -> Opening:
    protocol = protocol_of(spec.protocol, FIREWALL_PROTOCOLS)
    ports = None
    if protocol.has_ports:
        if spec.start_port is not None:
            ports = PortRange.of(spec.start_port, spec.end_port)
        elif spec.end_port is not None:
            raise ParameterError("Give startport with endport")
    elif spec.start_port is not None or spec.end_port is not None:
        raise ParameterError(f"Ports are for tcp or udp firewall rules, not {protocol}")
    # -1 is CloudStack's "any ICMP type/code".
    icmp_type = None if spec.icmp_type in (None, -1) else spec.icmp_type
    icmp_code = None if spec.icmp_code in (None, -1) or icmp_type is None else spec.icmp_code
    if protocol is not Protocol.ICMP and (icmp_type, icmp_code) != (None, None):
        raise ParameterError(f"icmptype and icmpcode are for icmp firewall rules, not {protocol}")
    for value in (icmp_type, icmp_code):
        if value is not None and not 0 <= value <= 255:
            raise ParameterError(f"Invalid ICMP type or code {value}: use -1 (any) or 0-255")
    return Opening(protocol, ports, (icmp_type, icmp_code), cidr_list_as_given(spec.cidrs) or (ANYWHERE,))


def opening(spec: NewFirewallRule) -> Opening:
    """What the rule's protocol, ports or ICMP type/code and CIDRs allow, checked (431 naming the bad value)."""
    return _opening(spec)


def _same(rule: FirewallRule, new: Opening) -> bool:
    ports = PortRange(rule.start_port, rule.end_port or rule.start_port) if rule.start_port is not None else None
    overlap = ports == new.ports or (ports is not None and new.ports is not None and ports.overlaps(new.ports))
    return (rule.protocol == new.protocol and overlap and (rule.icmp_type, rule.icmp_code) == new.icmp
            and set(rule.cidr_list) == set(new.cidrs))


def create_firewall_rule(uow: SqlUnitOfWork, caller: Caller, spec: NewFirewallRule) -> Started[FirewallRule]:
    new = _opening(spec)
    with uow:
        ip = lookup_rules.public_ip(uow, caller, spec.ip_uuid)
        if ip.vpc_id is not None:
            raise Unsupported(f"Firewall rules are not supported on public IP {ip.address} of VPC {ip.vpc_name}: "
                              "VPC tiers use network ACLs")
        net = uow.networks.network_by(id=ip.network_id)
        assert net is not None
        ensure_rules_supported(net, "Firewall")
        uow.networks.lock(net.id)
        ip = uow.public_ips.lock(ip.id)
        for rule in uow.rules.firewall_rules(t.firewall_rules.c.ip_address_id == ip.id):
            if _same(rule, new):
                raise RuleConflict(f"The new firewall rule on {ip.address} ({new.protocol} {_ports_text(new.ports)} "
                                   f"from {','.join(new.cidrs)}) conflicts with firewall rule {rule.base.uuid}, "
                                   "which opens the same ports to the same CIDRs")
        owner = owner_of_ip(ip)
        start, end = (new.ports.start, new.ports.end) if new.ports else (None, None)
        rule_id = uow.rules.insert(
            t.firewall_rules, ip_address_id=ip.id, network_id=net.id, protocol=new.protocol, start_port=start,
            end_port=end, icmp_type=new.icmp[0], icmp_code=new.icmp[1], cidr_list=join_cidrs(new.cidrs),
            account_id=owner.account_id, domain_id=owner.domain_id,
        )
        record(uow, caller, owner, "FIREWALL.OPEN",
               f"Opened {new.protocol} {start or 'all'}-{end or 'all'} of {ip.address} to {','.join(new.cidrs)}")
        created = uow.rules.firewall_rule_by(id=rule_id)
        assert created is not None
        uow.outbox.network(created.base.network_id)
        job = uow.start_job(caller, "createFirewallRule", result=created, instance=("FirewallRule", created.base.uuid))
        return Started(job, created)


def delete_firewall_rule(uow: SqlUnitOfWork, caller: Caller, uuid: str) -> str:
    with uow:
        rule = lookup_rules.firewall_rule(uow, caller, uuid)
        uow.rules.delete_firewall_rules(t.firewall_rules.c.id == rule.base.id)
        record(uow, caller, rule.base.owner, "FIREWALL.CLOSE",
               f"Deleted firewall rule {rule.base.uuid} of public IP {rule.base.ip_address}")
        uow.outbox.network(rule.base.network_id)
        return uow.start_job(caller, "deleteFirewallRule", instance=("FirewallRule", rule.base.uuid))
