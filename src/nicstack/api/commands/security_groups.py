"""Security group commands."""

from __future__ import annotations

from typing import Any

from nicstack.api.context import Context
from nicstack.api.params import int_param, list_param, map_param, str_param, uuid_param
from nicstack.api.registry import command, success
from nicstack.api.replies import AsyncReply, JsonObject, ObjectReply, Reply, SuccessReply
from nicstack.api.schema import SUCCESS
from nicstack.api.scope import OWNER, PAGING, owner_filter
from nicstack.api.tagging import TAGS_FILTER, with_tags
from nicstack.api.views_guest import SECURITY_GROUP, security_group_view
from nicstack.api.views_world import listing
from nicstack.domain.access import Caller
from nicstack.domain.security_groups import Authorized, rule_shape
from nicstack.domain.tags import tag_pairs
from nicstack.domain.vocabulary import Direction
from nicstack.services import security_groups
from nicstack.services.security_groups import GroupRef, NewRules, SecurityGroupFilter

_OWNER_OF_GROUP = (
    str_param("account", "The account of the group (admin), with domainid"),
    uuid_param("domainid", "The domain of the account"),
)


@command(
    "createSecurityGroup",
    "Creates a security group.",
    (str_param("name", "The name of the security group", required=True),
     str_param("description", "The description of the security group"), *_OWNER_OF_GROUP),
    answers=SECURITY_GROUP,
)
def create_security_group(ctx: Context, args: dict[str, Any]) -> Reply:
    group = security_groups.create_security_group(ctx.uow, ctx.caller, args["name"], args.get("description"),
                                                  args.get("account"), args.get("domainid"))
    return ObjectReply("securitygroup", security_group_view(group))


@command(
    "deleteSecurityGroup",
    "Deletes a security group no VM is in and no other group's rule names (not `default`).",
    (uuid_param("id", "The ID of the security group"), str_param("name", "The name of the security group"),
     *_OWNER_OF_GROUP),
    answers=SUCCESS,
)
def delete_security_group(ctx: Context, args: dict[str, Any]) -> Reply:
    ref = GroupRef(args.get("id"), args.get("name"), args.get("account"), args.get("domainid"))
    security_groups.delete_security_group(ctx.uow, ctx.caller, ref)
    return SuccessReply()


@command(
    "listSecurityGroups",
    "Lists security groups with their rules and member VMs.",
    (uuid_param("id", "The ID of the security group"), str_param("securitygroupname", "The name of the group"),
     uuid_param("virtualmachineid", "Groups of this VM"), TAGS_FILTER, *OWNER, *PAGING),
    answers=SECURITY_GROUP,
)
def list_security_groups(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = SecurityGroupFilter(owner=owner_filter(args), uuid=args.get("id"), name=args.get("securitygroupname"),
                                 keyword=args.get("keyword"), vm_uuid=args.get("virtualmachineid"),
                                 tags=tuple(tag_pairs(args.get("tags", []), values_required=False)))
    found = security_groups.list_security_groups(ctx.uow, ctx.caller, wanted)
    with ctx.uow.reading() as uow:
        views = with_tags(uow, "SecurityGroup", [security_group_view(x) for x in found])
    return listing("securitygroup", views, args)


_RULE = (
    uuid_param("securitygroupid", "The ID of the security group (or securitygroupname)"),
    str_param("securitygroupname", "The name of the security group (or securitygroupid)"),
    str_param("protocol", "tcp, udp, icmp or all (default all)"),
    int_param("startport", "Start port (tcp/udp)"),
    int_param("endport", "End port (tcp/udp; default startport)"),
    int_param("icmptype", "ICMP type (-1: any)", minimum=-1),
    int_param("icmpcode", "ICMP code (-1: any)", minimum=-1),
    list_param("cidrlist", "The CIDRs the rule allows, comma separated"),
    map_param("usersecuritygrouplist", "Groups the rule allows: usersecuritygrouplist[n].account / .group"),
    *_OWNER_OF_GROUP,
)


def _authorized(_caller: Caller | None, value: Authorized) -> JsonObject:
    return {"securitygroup": security_group_view(value.group, set(value.added))}


def _authorize(ctx: Context, args: dict[str, Any], direction: Direction) -> Reply:
    shape = rule_shape(args.get("protocol"), args.get("startport"), args.get("endport"), args.get("icmptype"),
                       args.get("icmpcode"))
    peers = tuple((p.get("account", ""), p.get("group", "")) for p in args.get("usersecuritygrouplist", []))
    ref = GroupRef(args.get("securitygroupid"), args.get("securitygroupname"), args.get("account"),
                   args.get("domainid"))
    started = security_groups.authorize(
        ctx.uow, ctx.caller, NewRules(ref, direction, shape, tuple(args.get("cidrlist", [])), peers))
    return AsyncReply(started.job)


@command("authorizeSecurityGroupIngress", "Authorizes ingress rules for a security group.", _RULE,
         job=_authorized, answers=SECURITY_GROUP)
def authorize_ingress(ctx: Context, args: dict[str, Any]) -> Reply:
    return _authorize(ctx, args, Direction.INGRESS)


@command("authorizeSecurityGroupEgress", "Authorizes egress rules for a security group.", _RULE, job=_authorized,
         answers=SECURITY_GROUP)
def authorize_egress(ctx: Context, args: dict[str, Any]) -> Reply:
    return _authorize(ctx, args, Direction.EGRESS)


def _revoke(ctx: Context, args: dict[str, Any], direction: Direction) -> Reply:
    return AsyncReply(security_groups.revoke(ctx.uow, ctx.caller, args["id"], direction))


@command("revokeSecurityGroupIngress", "Deletes an ingress rule.",
         (uuid_param("id", "The ID of the ingress rule", required=True),), job=success)
def revoke_ingress(ctx: Context, args: dict[str, Any]) -> Reply:
    return _revoke(ctx, args, Direction.INGRESS)


@command("revokeSecurityGroupEgress", "Deletes an egress rule.",
         (uuid_param("id", "The ID of the egress rule", required=True),), job=success)
def revoke_egress(ctx: Context, args: dict[str, Any]) -> Reply:
    return _revoke(ctx, args, Direction.EGRESS)

