"""Firewall commands: ingress rules on public IPs of isolated networks."""

from __future__ import annotations

from typing import Any

from nicstack.api.commands.nat import port, rule_filter
from nicstack.api.context import Context
from nicstack.api.params import int_param, list_param, str_param, uuid_param
from nicstack.api.registry import command, success
from nicstack.api.replies import AsyncReply, ListReply, Reply
from nicstack.api.scope import OWNER, PAGING
from nicstack.api.tagging import TAGS_FILTER, with_tags
from nicstack.api.views_rules import FIREWALL_RULE, firewall_view
from nicstack.services import firewall, rule_lists
from nicstack.services.firewall import NewFirewallRule


@command(
    "createFirewallRule",
    "Opens ingress to a public IP of an isolated network: protocol, ports or ICMP type/code, source CIDRs.",
    (
        uuid_param("ipaddressid", "The public IP", required=True),
        str_param("protocol", "tcp, udp, icmp or all", required=True),
        port("startport", "The first port (tcp/udp; default: all ports)"),
        port("endport", "The last port (default: startport)"),
        int_param("icmptype", "The ICMP type (-1: any)", minimum=-1, maximum=255),
        int_param("icmpcode", "The ICMP code (-1: any)", minimum=-1, maximum=255),
        list_param("cidrlist", "Source CIDRs allowed (default: 0.0.0.0/0)"),
        str_param("type", "user (the only kind here)"),
    ),
    job=lambda _caller, rule: {"firewallrule": firewall_view(rule)},
    answers=FIREWALL_RULE,
)
def create_firewall_rule(ctx: Context, args: dict[str, Any]) -> Reply:
    spec = NewFirewallRule(
        ip_uuid=args["ipaddressid"], protocol=args["protocol"], start_port=args.get("startport"),
        end_port=args.get("endport"), icmp_type=args.get("icmptype"), icmp_code=args.get("icmpcode"),
        cidrs=args.get("cidrlist", []),
    )
    started = firewall.create_firewall_rule(ctx.uow, ctx.caller, spec)
    return AsyncReply(started.job, started.value.base.uuid)


@command("deleteFirewallRule", "Deletes a firewall rule.", (uuid_param("id", "The rule", required=True),),
         job=success)
def delete_firewall_rule(ctx: Context, args: dict[str, Any]) -> Reply:
    return AsyncReply(firewall.delete_firewall_rule(ctx.uow, ctx.caller, args["id"]))


@command(
    "listFirewallRules",
    "Lists ingress firewall rules (those opened by port forwarding rules included).",
    (
        uuid_param("id", "The rule"),
        uuid_param("ipaddressid", "Rules of this public IP"),
        uuid_param("networkid", "Rules of this network"),
        TAGS_FILTER,
        *OWNER,
        *PAGING,
    ),
    answers=FIREWALL_RULE,
)
def list_firewall_rules(ctx: Context, args: dict[str, Any]) -> Reply:
    found, total = rule_lists.list_firewall_rules(ctx.uow, ctx.caller, rule_filter(args))
    with ctx.uow.reading() as uow:
        views = with_tags(uow, "FirewallRule", [firewall_view(r) for r in found])
    return ListReply("firewallrule", views, total)
