"""Load balancer commands; members are VM guest IPs, primary or secondary (vmidipmap[n].vmid / .vmip)."""

from __future__ import annotations

from typing import Any

from nicstack.api.commands.nat import port
from nicstack.api.context import Context
from nicstack.api.params import bool_param, list_param, map_param, str_param, uuid_list_param, uuid_param
from nicstack.api.registry import command, success
from nicstack.api.replies import AsyncReply, JsonObject, ListReply, Reply
from nicstack.api.scope import OWNER, PAGING, owner_filter, page_of
from nicstack.api.tagging import TAGS_FILTER, with_tags
from nicstack.api.views import VIRTUAL_MACHINE, vm_view
from nicstack.api.views_rules import LOAD_BALANCER_RULE, load_balancer_view
from nicstack.api.views_world import listing
from nicstack.domain.access import Caller
from nicstack.domain.rules import LoadBalancerRule
from nicstack.domain.tags import tag_pairs
from nicstack.services import load_balancers, rule_lists
from nicstack.services.load_balancers import DESCRIPTION_LENGTH, LoadBalancerChange, NewLoadBalancer, mappings
from nicstack.services.rule_lists import LoadBalancerFilter


def _load_balancer(_caller: Caller | None, rule: LoadBalancerRule) -> JsonObject:
    return {"loadbalancer": load_balancer_view(rule)}


_CREATE = (
    uuid_param("publicipid", "The public IP", required=True),
    str_param("name", "The rule's name", required=True),
    str_param("algorithm", "roundrobin, leastconn or source", required=True),
    port("publicport", "The public port", required=True),
    port("privateport", "The members' port", required=True),
    uuid_param("networkid", "The tier (VPC addresses not yet serving a tier)"),
    bool_param("openfirewall", "Also open the firewall for the public port (default true; VPC: false)"),
    str_param("protocol", "tcp (default), udp or tcp-proxy"),
    str_param("description", "The rule's description", length=DESCRIPTION_LENGTH),
    list_param("cidrlist", "Source IPv4 CIDRs allowed to reach the rule, comma separated (default: all)"),
)


def _spec(args: dict[str, Any]) -> NewLoadBalancer:
    return NewLoadBalancer(
        ip_uuid=args["publicipid"], name=args["name"], algorithm=args["algorithm"], public_port=args["publicport"],
        private_port=args["privateport"], protocol=args.get("protocol") or None, network_uuid=args.get("networkid"),
        open_firewall=args.get("openfirewall"), description=args.get("description"), cidrs=args.get("cidrlist", []),
    )


@command("createLoadBalancerRule", "Creates a load balancer rule on a public IP (TCP; haproxy frontend on publicport).",
         _CREATE, job=_load_balancer, answers=LOAD_BALANCER_RULE)
def create_load_balancer_rule(ctx: Context, args: dict[str, Any]) -> Reply:
    started = load_balancers.create_load_balancer_rule(ctx.uow, ctx.caller, _spec(args))
    return AsyncReply(started.job, started.value.base.uuid)


@command(
    "updateLoadBalancerRule",
    "Changes a load balancer rule's algorithm, name, description or source CIDRs.",
    (
        uuid_param("id", "The rule", required=True),
        str_param("algorithm", "roundrobin, leastconn or source"),
        str_param("name", "The new name"),
        str_param("description", "The new description (empty: none)", length=DESCRIPTION_LENGTH),
        list_param("cidrlist", "The source IPv4 CIDRs allowed from now on, comma separated (0.0.0.0/0: all)"),
    ),
    job=_load_balancer,
    answers=LOAD_BALANCER_RULE,
)
def update_load_balancer_rule(ctx: Context, args: dict[str, Any]) -> Reply:
    change = LoadBalancerChange(algorithm=args.get("algorithm") or None, name=args.get("name"),
                                description=args.get("description"), cidrs=args.get("cidrlist"))
    return AsyncReply(load_balancers.update_load_balancer_rule(ctx.uow, ctx.caller, args["id"], change))


@command("deleteLoadBalancerRule", "Deletes a load balancer rule with its members.",
         (uuid_param("id", "The rule", required=True),), job=success)
def delete_load_balancer_rule(ctx: Context, args: dict[str, Any]) -> Reply:
    return AsyncReply(load_balancers.delete_load_balancer_rule(ctx.uow, ctx.caller, args["id"]))


_MEMBERS = (
    uuid_param("id", "The rule", required=True),
    uuid_list_param("virtualmachineids", "VMs whose primary IP (on assign) or every mapped IP (on remove) is meant"),
    map_param("vmidipmap", "VM id and guest IP pairs: vmidipmap[0].vmid=<uuid>&vmidipmap[0].vmip=<ip>"),
)


@command("assignToLoadBalancerRule", "Maps VM guest IPs (primary or secondary) to a load balancer rule.",
         _MEMBERS, job=success)
def assign_to_load_balancer_rule(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = mappings(args.get("virtualmachineids", []), args.get("vmidipmap", []))
    return AsyncReply(load_balancers.assign_to_load_balancer_rule(ctx.uow, ctx.caller, args["id"], wanted))


@command("removeFromLoadBalancerRule", "Unmaps VMs or single VM guest IPs from a load balancer rule.",
         _MEMBERS, job=success)
def remove_from_load_balancer_rule(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = mappings(args.get("virtualmachineids", []), args.get("vmidipmap", []))
    return AsyncReply(load_balancers.remove_from_load_balancer_rule(ctx.uow, ctx.caller, args["id"], wanted))


@command(
    "createLoadBalancerRuleWithMembers",
    "nicstack extension: creates a load balancer rule and maps its members (VM guest IPs, primary or secondary) "
    "in one transaction, so that a refused member leaves no rule behind.",
    (*_CREATE, *_MEMBERS[1:]),
    job=_load_balancer,
    answers=LOAD_BALANCER_RULE,
)
def create_load_balancer_rule_with_members(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = mappings(args.get("virtualmachineids", []), args.get("vmidipmap", []))
    started = load_balancers.create_load_balancer_rule_with_members(ctx.uow, ctx.caller, _spec(args), wanted)
    return AsyncReply(started.job, started.value.base.uuid)


@command(
    "listLoadBalancerRules",
    "Lists load balancer rules.",
    (
        uuid_param("id", "The rule"),
        str_param("name", "Rules of this name"),
        uuid_param("publicipid", "Rules of this public IP"),
        uuid_param("virtualmachineid", "Rules that map this VM"),
        uuid_param("networkid", "Rules of this network"),
        uuid_param("zoneid", "Rules in this zone"),
        TAGS_FILTER,
        *OWNER,
        *PAGING,
    ),
    answers=LOAD_BALANCER_RULE,
)
def list_load_balancer_rules(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = LoadBalancerFilter(
        owner=owner_filter(args), uuid=args.get("id"), ip_uuid=args.get("publicipid"),
        vm_uuid=args.get("virtualmachineid"), network_uuid=args.get("networkid"), zone_uuid=args.get("zoneid"),
        name=args.get("name"), keyword=args.get("keyword"), page=page_of(args),
        tags=tuple(tag_pairs(args.get("tags", []), values_required=False)),
    )
    found, total = rule_lists.list_load_balancer_rules(ctx.uow, ctx.caller, wanted)
    with ctx.uow.reading() as uow:
        views = with_tags(uow, "LoadBalancer", [load_balancer_view(r) for r in found])
    return ListReply("loadbalancerrule", views, total)


@command(
    "listLoadBalancerRuleInstances",
    "Lists the VMs of a load balancer rule; with lbvmips=true, each with its mapped guest IPs.",
    (
        uuid_param("id", "The rule", required=True),
        bool_param("lbvmips", "List the mapped IPs of each VM (entries under lbrulevmidip)"),
        bool_param("applied", "True: the members (nicstack has no unapplied ones)"),
        *PAGING,
    ),
    answers=VIRTUAL_MACHINE.named("loadbalancerruleinstance"),
)
def list_load_balancer_rule_instances(ctx: Context, args: dict[str, Any]) -> Reply:
    found = load_balancers.rule_instances(ctx.uow, ctx.caller, args["id"])
    if args.get("applied") is False:
        found = []
    if args.get("lbvmips"):
        items = [{"loadbalancerruleinstance": vm_view(vm), "lbvmipaddresses": ips} for vm, ips in found]
        return listing("lbrulevmidip", items, args)
    return listing("loadbalancerruleinstance", [vm_view(vm) for vm, _ in found], args)
