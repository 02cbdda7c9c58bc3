"""Use cases of egress firewall rules on isolated networks: what guests may send out through the router."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Network

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import ParameterError, RuleConflict, Unsupported
from nicstack.domain.jobs import Started
from nicstack.domain.kinds import GuestType
from nicstack.domain.rules import ANYWHERE, EgressRule, cidr_list_as_given, join_cidrs
from nicstack.domain.vocabulary import PortRange
from nicstack.services import lookup, lookup_rules
from nicstack.services.firewall import NewFirewallRule, opening
from nicstack.services.rule_targets import record

EG = t.egress_firewall_rules


@dataclass(frozen=True, slots=True)
class NewEgressRule:
    network_uuid: str
    protocol: str
    start_port: int | None = None
    end_port: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None
    cidrs: list[str] = field(default_factory=list)
    dest_cidrs: list[str] = field(default_factory=list)


def _sources(cidrs: list[str], network_cidr: str) -> tuple[str, ...]:
    """The guest sources as given (default: the network's CIDR); each inside the network, or 0.0.0.0/0."""
    given = cidr_list_as_given(cidrs)
    inside = IPv4Network(network_cidr)
    for cidr in given:
        if cidr != ANYWHERE and not IPv4Network(cidr).subnet_of(inside):
            raise ParameterError(f"Source CIDR {cidr} of an egress rule is outside the network's CIDR {network_cidr}")
    return given or (network_cidr,)


def _ports(rule: EgressRule) -> PortRange | None:
    return PortRange(rule.start_port, rule.end_port or rule.start_port) if rule.start_port is not None else None


def create_egress_firewall_rule(uow: SqlUnitOfWork, caller: Caller, spec: NewEgressRule) -> Started[EgressRule]:
    """Add an egress rule: with the offering's default egress policy allow it denies that traffic, with deny it
    allows it. Raises Unsupported (431) on a network that is not isolated, RuleConflict (537) on a duplicate."""
    new = opening(NewFirewallRule("", spec.protocol, spec.start_port, spec.end_port, spec.icmp_type, spec.icmp_code))
    destinations = cidr_list_as_given(spec.dest_cidrs, "destcidrlist") or (ANYWHERE,)
    with uow:
        net = lookup.network(uow, caller, spec.network_uuid)
        if net.vpc_uuid is not None:
            raise Unsupported(f"Egress firewall rules are not supported on network {net.name}: VPC tiers use network "
                              "ACLs")
        if net.guest_type is not GuestType.ISOLATED or net.cidr is None or net.account_id is None:
            raise Unsupported(f"Egress firewall rules are not supported on network {net.name}: it is a "
                              f"{net.guest_type} network; they need an isolated network")
        sources = _sources(spec.cidrs, net.cidr)
        uow.networks.lock(net.id)
        for rule in uow.rules.egress_rules(EG.c.network_id == net.id):
            ports = _ports(rule)
            overlap = ports == new.ports or (ports is not None and new.ports is not None and ports.overlaps(new.ports))
            if (rule.protocol == new.protocol and overlap and (rule.icmp_type, rule.icmp_code) == new.icmp
                    and set(rule.cidr_list) == set(sources) and set(rule.dest_cidr_list) == set(destinations)):
                raise RuleConflict(f"The new egress rule conflicts with egress rule {rule.uuid} of network "
                                   f"{net.name}, which covers the same traffic")
        start, end = (new.ports.start, new.ports.end) if new.ports else (None, None)
        rule_id = uow.rules.insert(
            EG, network_id=net.id, protocol=new.protocol, start_port=start, end_port=end, icmp_type=new.icmp[0],
            icmp_code=new.icmp[1], cidr_list=join_cidrs(sources), dest_cidr_list=join_cidrs(destinations),
            account_id=net.account_id, domain_id=net.domain_id,
        )
        created = uow.rules.egress_rule_by(id=rule_id)
        assert created is not None
        record(uow, caller, created.owner, "FIREWALL.EGRESS.OPEN",
               f"Egress rule {created.uuid} on network {net.name}: {new.protocol} {start or 'all'}-{end or 'all'} from "
               f"{','.join(sources)} to {','.join(destinations)}")
        uow.outbox.network(net.id)
        job = uow.start_job(caller, "createEgressFirewallRule", result=created, instance=("FirewallRule", created.uuid))
        return Started(job, created)


def delete_egress_firewall_rule(uow: SqlUnitOfWork, caller: Caller, uuid: str) -> str:
    with uow:
        rule = lookup_rules.egress_rule(uow, caller, uuid)
        uow.networks.lock(rule.network_id)
        uow.rules.delete_egress_rules(EG.c.id == rule.id)
        record(uow, caller, rule.owner, "FIREWALL.EGRESS.CLOSE", f"Deleted egress rule {rule.uuid}")
        uow.outbox.network(rule.network_id)
        return uow.start_job(caller, "deleteEgressFirewallRule", instance=("FirewallRule", rule.uuid))
