"""Listing the rules of public IPs by typed filters: port forwarding, firewall and load balancer rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from nicstack.db import tables as t
from nicstack.db.repos.audience import owned_by
from nicstack.db.repos.load_balancers import rules_with_member
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.rules import EgressRule, FirewallRule, IpForwardingRule, LoadBalancerRule, PortForwardingRule
from nicstack.services import lookup, lookup_rules
from nicstack.services.scope import OwnerFilter, list_scope

Page = tuple[int, int] | None


@dataclass(frozen=True, slots=True)
class RuleFilter:
    """listPortForwardingRules, listFirewallRules: `owner`'s rules (or the one rule `uuid`, wherever the
    caller sees it) on the public IP `ip_uuid` or in the network `network_uuid` (None: any)."""

    owner: OwnerFilter = field(default_factory=OwnerFilter)
    uuid: str | None = None
    ip_uuid: str | None = None
    network_uuid: str | None = None
    keyword: str | None = None  # port forwarding: within the guest address
    page: Page = None
    tags: tuple[tuple[str, str | None], ...] = ()  # every (key, value) pair; a None value: any


@dataclass(frozen=True, slots=True)
class LoadBalancerFilter:
    """listLoadBalancerRules: `owner`'s rules (or the one rule `uuid`) matching the rest (None: any)."""

    owner: OwnerFilter = field(default_factory=OwnerFilter)
    uuid: str | None = None
    ip_uuid: str | None = None  # publicipid
    vm_uuid: str | None = None  # rules that map this VM
    network_uuid: str | None = None
    zone_uuid: str | None = None
    name: str | None = None
    keyword: str | None = None  # within the name
    page: Page = None
    tags: tuple[tuple[str, str | None], ...] = ()  # every (key, value) pair; a None value: any


def _owned(uow: SqlUnitOfWork, caller: Caller, owner: OwnerFilter, uuid: str | None, table: Any) -> list[Any]:
    # A rule asked for by id is shown wherever the caller may see it, as if listall were given.
    return owned_by(list_scope(uow, caller, replace(owner, list_all=True) if uuid is not None else owner),
                    table.c.account_id)


def _rule_where(uow: SqlUnitOfWork, caller: Caller, wanted: RuleFilter, table: Any,
                rule: Callable[[SqlUnitOfWork, Caller, str], Any]) -> list[Any]:
    """Owner scope, then id (found by `rule`), ipaddressid and networkid: raising UnknownEntity in that order."""
    where = _owned(uow, caller, wanted.owner, wanted.uuid, table)
    if wanted.uuid is not None:
        where.append(table.c.id == rule(uow, caller, wanted.uuid).base.id)
    if wanted.ip_uuid is not None:
        where.append(table.c.ip_address_id == lookup_rules.public_ip(uow, caller, wanted.ip_uuid).id)
    if wanted.network_uuid is not None:
        where.append(table.c.network_id == lookup.network(uow, caller, wanted.network_uuid).id)
    return where


def list_port_forwarding_rules(uow: SqlUnitOfWork, caller: Caller, wanted: RuleFilter
                               ) -> tuple[list[PortForwardingRule], int]:
    pf = t.port_forwarding_rules
    with uow.reading():
        where = _rule_where(uow, caller, wanted, pf, lookup_rules.port_forward)
        if wanted.keyword is not None:
            where.append(pf.c.dest_ip_address.contains(wanted.keyword, autoescape=True))
        where += uow.tags.matching("PortForwardingRule", pf.c.uuid, list(wanted.tags))
        return uow.rules.port_forward_listing(where, wanted.page)


def list_firewall_rules(uow: SqlUnitOfWork, caller: Caller, wanted: RuleFilter) -> tuple[list[FirewallRule], int]:
    """The keyword is not applied (as before: firewall rules have no name or guest address to match)."""
    with uow.reading():
        where = _rule_where(uow, caller, wanted, t.firewall_rules, lookup_rules.firewall_rule)
        where += uow.tags.matching("FirewallRule", t.firewall_rules.c.uuid, list(wanted.tags))
        return uow.rules.firewall_listing(where, wanted.page)


def list_load_balancer_rules(uow: SqlUnitOfWork, caller: Caller, wanted: LoadBalancerFilter
                             ) -> tuple[list[LoadBalancerRule], int]:
    """UnknownEntity for an owner, rule, public IP, VM, network or zone the caller may not see (in that order)."""
    lb = t.load_balancing_rules
    with uow.reading():
        where = _owned(uow, caller, wanted.owner, wanted.uuid, lb)
        if wanted.uuid is not None:
            where.append(lb.c.id == lookup_rules.load_balancer(uow, caller, wanted.uuid).base.id)
        if wanted.ip_uuid is not None:
            where.append(lb.c.ip_address_id == lookup_rules.public_ip(uow, caller, wanted.ip_uuid, "publicipid").id)
        if wanted.vm_uuid is not None:
            where.append(lb.c.id.in_(rules_with_member(lookup.vm(uow, caller, wanted.vm_uuid).id)))
        if wanted.network_uuid is not None:
            where.append(lb.c.network_id == lookup.network(uow, caller, wanted.network_uuid).id)
        if wanted.zone_uuid is not None:
            where.append(t.networks.c.zone_id == lookup.zone(uow, wanted.zone_uuid).id)
        if wanted.name is not None:
            where.append(lb.c.name == wanted.name)
        if wanted.keyword is not None:
            where.append(lb.c.name.contains(wanted.keyword, autoescape=True))
        where += uow.tags.matching("LoadBalancer", lb.c.uuid, list(wanted.tags))
        return uow.load_balancers.listing(where, wanted.page)


def list_ip_forwarding_rules(uow: SqlUnitOfWork, caller: Caller, wanted: RuleFilter, vm_uuid: str | None
                             ) -> tuple[list[IpForwardingRule], int]:
    """listIpForwardingRules: `wanted`, and with `vm_uuid` only the rules that forward to that VM."""
    ipf = t.ip_forwarding_rules
    with uow.reading():
        where = _rule_where(uow, caller, wanted, ipf, lookup_rules.ip_forward)
        if vm_uuid is not None:
            where.append(t.public_ips.c.vm_id == lookup.vm(uow, caller, vm_uuid).id)
        return uow.rules.ip_forward_listing(where, wanted.page)


def list_egress_rules(uow: SqlUnitOfWork, caller: Caller, wanted: RuleFilter) -> tuple[list[EgressRule], int]:
    """listEgressFirewallRules: `owner`'s egress rules (or the one rule `uuid`) in the network `network_uuid`."""
    eg = t.egress_firewall_rules
    with uow.reading():
        where = _owned(uow, caller, wanted.owner, wanted.uuid, eg)
        if wanted.uuid is not None:
            where.append(eg.c.id == lookup_rules.egress_rule(uow, caller, wanted.uuid).id)
        if wanted.network_uuid is not None:
            where.append(eg.c.network_id == lookup.network(uow, caller, wanted.network_uuid).id)
        where += uow.tags.matching("FirewallRule", eg.c.uuid, list(wanted.tags))
        return uow.rules.egress_listing(where, wanted.page)
