"""Egress firewall commands: what guests of an isolated network may send out through its router."""

from __future__ import annotations

from typing import Any

from nicstack.api.commands.nat import port, rule_filter
from nicstack.api.context import Context
from nicstack.api.params import int_param, list_param, str_param, uuid_param
from nicstack.api.registry import command, success
from nicstack.api.replies import AsyncReply, ListReply, Reply
from nicstack.api.scope import OWNER, PAGING
from nicstack.api.tagging import TAGS_FILTER, with_tags
from nicstack.api.views_rules import FIREWALL_RULE, egress_view
from nicstack.services import egress_firewall, rule_lists
from nicstack.services.egress_firewall import NewEgressRule


@command(
    "createEgressFirewallRule",
    "Adds an egress rule to an isolated network: under the offering's default egress policy allow (egressdefaultpolicy"
    "=true) it denies that traffic, under deny it allows it.",
    (
        uuid_param("networkid", "The isolated network", required=True),
        str_param("protocol", "tcp, udp, icmp or all", required=True),
        port("startport", "The first port (tcp/udp; default: all ports)"),
        port("endport", "The last port (default: startport)"),
        int_param("icmptype", "The ICMP type (-1: any)", minimum=-1, maximum=255),
        int_param("icmpcode", "The ICMP code (-1: any)", minimum=-1, maximum=255),
        list_param("cidrlist", "Guest source CIDRs (default: the network's CIDR)"),
        list_param("destcidrlist", "Destination CIDRs (default: 0.0.0.0/0)"),
        str_param("type", "user (the only kind here)"),
    ),
    job=lambda _caller, rule: {"firewallrule": egress_view(rule)},
    answers=FIREWALL_RULE,
)
def create_egress_firewall_rule(ctx: Context, args: dict[str, Any]) -> Reply:
    spec = NewEgressRule(
        network_uuid=args["networkid"], protocol=args["protocol"], start_port=args.get("startport"),
        end_port=args.get("endport"), icmp_type=args.get("icmptype"), icmp_code=args.get("icmpcode"),
        cidrs=args.get("cidrlist", []), dest_cidrs=args.get("destcidrlist", []),
    )
    started = egress_firewall.create_egress_firewall_rule(ctx.uow, ctx.caller, spec)
    return AsyncReply(started.job, started.value.uuid)


@command("deleteEgressFirewallRule", "Deletes an egress firewall rule.",
         (uuid_param("id", "The rule", required=True),), job=success)
def delete_egress_firewall_rule(ctx: Context, args: dict[str, Any]) -> Reply:
    return AsyncReply(egress_firewall.delete_egress_firewall_rule(ctx.uow, ctx.caller, args["id"]))


@command(
    "listEgressFirewallRules",
    "Lists egress firewall rules.",
    (
        uuid_param("id", "The rule"),
        uuid_param("networkid", "Rules of this network"),
        TAGS_FILTER,
        *OWNER,
        *PAGING,
    ),
    answers=FIREWALL_RULE,
)
def list_egress_firewall_rules(ctx: Context, args: dict[str, Any]) -> Reply:
    found, total = rule_lists.list_egress_rules(ctx.uow, ctx.caller, rule_filter(args))
    with ctx.uow.reading() as uow:
        views = with_tags(uow, "FirewallRule", [egress_view(r) for r in found])
    return ListReply("firewallrule", views, total)
