"""Static NAT and port forwarding commands, to a VM's primary or secondary guest IP (vmguestip)."""

from __future__ import annotations

from typing import Any

from nicstack.api.context import Context
from nicstack.api.params import Param, bool_param, int_param, list_param, str_param, uuid_param
from nicstack.api.registry import command, success
from nicstack.api.replies import AsyncReply, JsonObject, ListReply, Reply, SuccessReply
from nicstack.api.schema import SUCCESS
from nicstack.api.scope import OWNER, PAGING, owner_filter, page_of
from nicstack.api.tagging import TAGS_FILTER, with_tags
from nicstack.api.views_rules import PORT_FORWARDING_RULE, port_forward_view
from nicstack.domain.access import Caller
from nicstack.domain.rules import PortForwardingRule
from nicstack.domain.tags import tag_pairs
from nicstack.services import port_forwarding, rule_lists, static_nat
from nicstack.services.port_forwarding import NewPortForward, PortForwardChange
from nicstack.services.rule_lists import RuleFilter
from nicstack.services.static_nat import NewStaticNat


def port(name: str, description: str, required: bool = False) -> Param:
    return int_param(name, description, required, minimum=1, maximum=65535)


def rule_filter(args: dict[str, Any]) -> RuleFilter:
    """The filter of listPortForwardingRules and listFirewallRules."""
    return RuleFilter(owner=owner_filter(args), uuid=args.get("id"), ip_uuid=args.get("ipaddressid"),
                      network_uuid=args.get("networkid"), keyword=args.get("keyword"), page=page_of(args),
                      tags=tuple(tag_pairs(args.get("tags", []), values_required=False)))


@command(
    "enableStaticNat",
    "Maps a public IP wholly to a VM's guest IP: the NIC's primary IP, or the secondary IP given in vmguestip.",
    (
        uuid_param("ipaddressid", "The public IP", required=True),
        uuid_param("virtualmachineid", "The VM", required=True),
        uuid_param("networkid", "The VM's tier (VPC addresses not yet serving a tier)"),
        str_param("vmguestip", "The VM's guest IP (primary or secondary) to map to; default the primary"),
    ),
    answers=SUCCESS,
)
def enable_static_nat(ctx: Context, args: dict[str, Any]) -> Reply:
    spec = NewStaticNat(args["ipaddressid"], args["virtualmachineid"], args.get("vmguestip"), args.get("networkid"))
    static_nat.enable_static_nat(ctx.uow, ctx.caller, spec)
    return SuccessReply()


@command("disableStaticNat", "Disables the static NAT of a public IP.",
         (uuid_param("ipaddressid", "The public IP", required=True),), job=success)
def disable_static_nat(ctx: Context, args: dict[str, Any]) -> Reply:
    return AsyncReply(static_nat.disable_static_nat(ctx.uow, ctx.caller, args["ipaddressid"]))


def _port_forward(_caller: Caller | None, rule: PortForwardingRule) -> JsonObject:
    return {"portforwardingrule": port_forward_view(rule)}


@command(
    "createPortForwardingRule",
    "Forwards public ports of a public IP to a VM's guest IP: the NIC's primary IP or the secondary in vmguestip.",
    (
        uuid_param("ipaddressid", "The public IP", required=True),
        str_param("protocol", "tcp or udp", required=True),
        port("publicport", "The first public port", required=True),
        port("publicendport", "The last public port (default: publicport)"),
        port("privateport", "The first private port", required=True),
        port("privateendport", "The last private port (default: privateport)"),
        uuid_param("virtualmachineid", "The VM", required=True),
        str_param("vmguestip", "The VM's guest IP (primary or secondary); default the primary"),
        bool_param("openfirewall", "Also open the firewall for the public ports (default true; VPC: false)"),
        uuid_param("networkid", "The VM's network (VPC addresses not yet serving a tier)"),
        list_param("cidrlist", "Source CIDRs allowed (default: all)"),
    ),
    job=_port_forward,
    answers=PORT_FORWARDING_RULE,
)
def create_port_forwarding_rule(ctx: Context, args: dict[str, Any]) -> Reply:
    spec = NewPortForward(
        ip_uuid=args["ipaddressid"], protocol=args["protocol"], public_start=args["publicport"],
        private_start=args["privateport"], vm_uuid=args["virtualmachineid"], public_end=args.get("publicendport"),
        private_end=args.get("privateendport"), guest=args.get("vmguestip"), open_firewall=args.get("openfirewall"),
        network_uuid=args.get("networkid"), cidrs=args.get("cidrlist", []),
    )
    started = port_forwarding.create_port_forwarding_rule(ctx.uow, ctx.caller, spec)
    return AsyncReply(started.job, started.value.base.uuid)


@command(
    "updatePortForwardingRule",
    "Changes a port forwarding rule's private ports, VM or guest IP.",
    (
        uuid_param("id", "The rule", required=True),
        port("privateport", "The new first private port"),
        port("privateendport", "The new last private port"),
        uuid_param("virtualmachineid", "The new VM"),
        str_param("vmguestip", "The new guest IP (primary or secondary of the VM's NIC)"),
    ),
    job=_port_forward,
    answers=PORT_FORWARDING_RULE,
)
def update_port_forwarding_rule(ctx: Context, args: dict[str, Any]) -> Reply:
    change = PortForwardChange(args["id"], args.get("privateport"), args.get("privateendport"),
                               args.get("virtualmachineid"), args.get("vmguestip"))
    return AsyncReply(port_forwarding.update_port_forwarding_rule(ctx.uow, ctx.caller, change))


@command("deletePortForwardingRule", "Deletes a port forwarding rule and the firewall rule opened with it.",
         (uuid_param("id", "The rule", required=True),), job=success)
def delete_port_forwarding_rule(ctx: Context, args: dict[str, Any]) -> Reply:
    return AsyncReply(port_forwarding.delete_port_forwarding_rule(ctx.uow, ctx.caller, args["id"]))


@command(
    "listPortForwardingRules",
    "Lists port forwarding rules.",
    (
        uuid_param("id", "The rule"),
        uuid_param("ipaddressid", "Rules of this public IP"),
        uuid_param("networkid", "Rules of this network"),
        TAGS_FILTER,
        *OWNER,
        *PAGING,
    ),
    answers=PORT_FORWARDING_RULE,
)
def list_port_forwarding_rules(ctx: Context, args: dict[str, Any]) -> Reply:
    found, total = rule_lists.list_port_forwarding_rules(ctx.uow, ctx.caller, rule_filter(args))
    with ctx.uow.reading() as uow:
        views = with_tags(uow, "PortForwardingRule", [port_forward_view(r) for r in found])
    return ListReply("portforwardingrule", views, total)
