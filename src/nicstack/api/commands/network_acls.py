"""VPC network ACL commands: the lists (createNetworkACLList, ...) and their items (createNetworkACL, ...)."""

from __future__ import annotations

from typing import Any

from nicstack.api.commands.nat import port
from nicstack.api.context import Context
from nicstack.api.params import int_param, list_param, str_param, uuid_param
from nicstack.api.registry import command, success
from nicstack.api.replies import AsyncReply, ListReply, Reply
from nicstack.api.scope import OWNER, PAGING, owner_filter, page_of
from nicstack.api.views_acls import NETWORK_ACL, NETWORK_ACL_LIST, acl_item_view, acl_list_view
from nicstack.services import network_acl_items as items
from nicstack.services import network_acls as lists
from nicstack.services.network_acl_items import AclItemFields, AclItemFilter
from nicstack.services.network_acls import AclListFilter

_ITEM_FIELDS = (
    port("startport", "The first port (tcp/udp)"),
    port("endport", "The last port (default: startport)"),
    int_param("icmptype", "The ICMP type (-1: any)", minimum=-1, maximum=255),
    int_param("icmpcode", "The ICMP code (-1: any)", minimum=-1, maximum=255),
    list_param("cidrlist", "Ingress: source CIDRs; egress: destination CIDRs (default 0.0.0.0/0)"),
    str_param("traffictype", "Ingress (default) or Egress"),
    int_param("number", "The item's place in the list (default: after the last)", minimum=1),
    str_param("action", "Allow (default) or Deny"),
    str_param("reason", "Why the item is there"),
)


def _fields(args: dict[str, Any]) -> AclItemFields:
    cidrs = args.get("cidrlist")
    return AclItemFields(
        protocol=args.get("protocol"), start_port=args.get("startport"), end_port=args.get("endport"),
        icmp_type=args.get("icmptype"), icmp_code=args.get("icmpcode"),
        cidrs=tuple(cidrs) if cidrs is not None else None, traffic_type=args.get("traffictype"),
        number=args.get("number"), action=args.get("action"), reason=args.get("reason"),
    )


@command(
    "createNetworkACLList",
    "Creates an ACL list in a VPC, for its tiers (replaceNetworkACLList, createNetwork aclid).",
    (
        str_param("name", "The list's name", required=True),
        str_param("description", "The list's description (default: its name)"),
        uuid_param("vpcid", "The VPC", required=True),
    ),
    job=lambda _caller, acl: {"networkacllist": acl_list_view(acl)},
    answers=NETWORK_ACL_LIST,
)
def create_network_acl_list(ctx: Context, args: dict[str, Any]) -> Reply:
    started = lists.create_network_acl_list(ctx.uow, ctx.caller, name=args["name"],
                                            description=args.get("description"), vpc_uuid=args["vpcid"])
    return AsyncReply(started.job, started.value.uuid)


@command("deleteNetworkACLList", "Deletes an ACL list that no tier uses, with its items.",
         (uuid_param("id", "The list", required=True),), job=success)
def delete_network_acl_list(ctx: Context, args: dict[str, Any]) -> Reply:
    return AsyncReply(lists.delete_network_acl_list(ctx.uow, ctx.caller, args["id"]))


@command(
    "listNetworkACLLists",
    "Lists ACL lists: the built-in default_allow and default_deny, and those of the caller's VPCs.",
    (
        uuid_param("id", "The list"),
        str_param("name", "Lists of this name"),
        uuid_param("vpcid", "Lists this VPC's tiers may use"),
        uuid_param("networkid", "The list of this tier"),
        *OWNER,
        *PAGING,
    ),
    answers=NETWORK_ACL_LIST,
)
def list_network_acl_lists(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = AclListFilter(
        uuid=args.get("id"), name=args.get("name"), vpc_uuid=args.get("vpcid"), network_uuid=args.get("networkid"),
        keyword=args.get("keyword"), owner=owner_filter(args, list_all=bool(args.get("listall")) or "id" in args),
        page=page_of(args),
    )
    found, total = lists.list_network_acl_lists(ctx.uow, ctx.caller, wanted)
    return ListReply("networkacllist", [acl_list_view(x) for x in found], total)


@command(
    "replaceNetworkACLList",
    "Gives a VPC tier an ACL list (a built-in one or one of its VPC); its router applies it.",
    (uuid_param("aclid", "The list", required=True), uuid_param("networkid", "The tier", required=True)),
    job=success,
)
def replace_network_acl_list(ctx: Context, args: dict[str, Any]) -> Reply:
    return AsyncReply(lists.replace_network_acl_list(ctx.uow, ctx.caller, acl_uuid=args["aclid"],
                                                     network_uuid=args["networkid"]))


@command(
    "createNetworkACL",
    "Adds an item to an ACL list (aclid, or the list of tier networkid).",
    (
        str_param("protocol", "tcp, udp, icmp, all, or an IP protocol number", required=True),
        uuid_param("aclid", "The list"),
        uuid_param("networkid", "The tier whose list it is"),
        *_ITEM_FIELDS,
    ),
    job=lambda _caller, item: {"networkacl": acl_item_view(item)},
    answers=NETWORK_ACL,
)
def create_network_acl(ctx: Context, args: dict[str, Any]) -> Reply:
    started = items.create_network_acl(ctx.uow, ctx.caller, _fields(args), acl_uuid=args.get("aclid"),
                                       network_uuid=args.get("networkid"))
    return AsyncReply(started.job, started.value.uuid)


@command(
    "updateNetworkACLItem",
    "Changes the given fields of an ACL item; the others stay.",
    (uuid_param("id", "The item", required=True), str_param("protocol", "tcp, udp, icmp, all, or a number"),
     *_ITEM_FIELDS),
    job=lambda _caller, item: {"networkacl": acl_item_view(item)},
    answers=NETWORK_ACL,
)
def update_network_acl_item(ctx: Context, args: dict[str, Any]) -> Reply:
    started = items.update_network_acl_item(ctx.uow, ctx.caller, args["id"], _fields(args))
    return AsyncReply(started.job, started.value.uuid)


@command("deleteNetworkACL", "Deletes an ACL item.", (uuid_param("id", "The item", required=True),), job=success)
def delete_network_acl(ctx: Context, args: dict[str, Any]) -> Reply:
    return AsyncReply(items.delete_network_acl(ctx.uow, ctx.caller, args["id"]))


@command(
    "listNetworkACLs",
    "Lists ACL items, in list and number order.",
    (
        uuid_param("id", "The item"),
        uuid_param("aclid", "Items of this list"),
        uuid_param("networkid", "Items of this tier's list"),
        str_param("traffictype", "Ingress or Egress"),
        str_param("protocol", "Items of this protocol"),
        str_param("action", "Allow or Deny"),
        *OWNER,
        *PAGING,
    ),
    answers=NETWORK_ACL,
)
def list_network_acls(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = AclItemFilter(
        uuid=args.get("id"), acl_uuid=args.get("aclid"), network_uuid=args.get("networkid"),
        traffic_type=args.get("traffictype"), protocol=args.get("protocol"), action=args.get("action"),
        owner=owner_filter(args, list_all=bool(args.get("listall")) or "id" in args), page=page_of(args),
    )
    found, total = items.list_network_acls(ctx.uow, ctx.caller, wanted)
    return ListReply("networkacl", [acl_item_view(x) for x in found], total)
