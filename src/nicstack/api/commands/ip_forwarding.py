"""IP forwarding rule commands: CloudStack's static NAT rules, port ranges of a public IP with static NAT."""

from __future__ import annotations

from typing import Any

from nicstack.api.commands.nat import port, rule_filter
from nicstack.api.context import Context
from nicstack.api.params import bool_param, list_param, str_param, uuid_param
from nicstack.api.registry import command, success
from nicstack.api.replies import AsyncReply, ListReply, Reply
from nicstack.api.scope import OWNER, PAGING
from nicstack.api.views_rules import IP_FORWARDING_RULE, ip_forward_view
from nicstack.services import ip_forwarding, rule_lists
from nicstack.services.ip_forwarding import NewIpForward


@command(
    "createIpForwardingRule",
    "Forwards a protocol's port range of a public IP with static NAT to its guest address; opens the firewall "
    "for it on an isolated network unless openfirewall=false.",
    (
        uuid_param("ipaddressid", "The public IP, with static NAT enabled", required=True),
        str_param("protocol", "tcp or udp", required=True),
        port("startport", "The first port", required=True),
        port("endport", "The last port (default: startport)"),
        bool_param("openfirewall", "Open the firewall for the ports (default true; not in a VPC)"),
        list_param("cidrlist", "Deprecated in CloudStack and refused: use createFirewallRule"),
    ),
    job=lambda _caller, rule: {"ipforwardingrule": ip_forward_view(rule)},
    answers=IP_FORWARDING_RULE,
)
def create_ip_forwarding_rule(ctx: Context, args: dict[str, Any]) -> Reply:
    spec = NewIpForward(
        ip_uuid=args["ipaddressid"], protocol=args["protocol"], start_port=args["startport"],
        end_port=args.get("endport"), open_firewall=args.get("openfirewall"), cidrs_given="cidrlist" in args,
    )
    started = ip_forwarding.create_ip_forwarding_rule(ctx.uow, ctx.caller, spec)
    return AsyncReply(started.job, started.value.base.uuid)


@command("deleteIpForwardingRule", "Deletes an IP forwarding rule (and the firewall rule opened with it).",
         (uuid_param("id", "The rule", required=True),), job=success)
def delete_ip_forwarding_rule(ctx: Context, args: dict[str, Any]) -> Reply:
    return AsyncReply(ip_forwarding.delete_ip_forwarding_rule(ctx.uow, ctx.caller, args["id"]))


@command(
    "listIpForwardingRules",
    "Lists IP forwarding rules.",
    (
        uuid_param("id", "The rule"),
        uuid_param("ipaddressid", "Rules of this public IP"),
        uuid_param("virtualmachineid", "Rules forwarding to this VM"),
        *OWNER,
        *PAGING,
    ),
    answers=IP_FORWARDING_RULE,
)
def list_ip_forwarding_rules(ctx: Context, args: dict[str, Any]) -> Reply:
    found, total = rule_lists.list_ip_forwarding_rules(ctx.uow, ctx.caller, rule_filter(args),
                                                       args.get("virtualmachineid"))
    return ListReply("ipforwardingrule", [ip_forward_view(r) for r in found], total)
