"""VPC commands: createVPC, listVPCs, updateVPC, deleteVPC, restartVPC, listVPCOfferings (tiers: createNetwork)."""

from __future__ import annotations

from typing import Any

from nicstack.api.context import Context
from nicstack.api.params import bool_param, str_param, uuid_param
from nicstack.api.registry import command, success
from nicstack.api.replies import AsyncReply, ListReply, Reply
from nicstack.api.scope import OWNER, PAGING, owner_filter, page_of
from nicstack.api.tagging import TAGS_FILTER, with_tags
from nicstack.api.views_rules import VPC, VPC_OFFERING, vpc_offering_view, vpc_view
from nicstack.api.views_world import listing
from nicstack.domain.tags import tag_pairs
from nicstack.services import vpc_list
from nicstack.services import vpcs as service
from nicstack.services.vpc_list import VpcFilter, VpcOfferingFilter
from nicstack.services.vpcs import NewVpc


@command(
    "createVPC",
    "Creates a VPC: a CIDR whose tiers (createNetwork with vpcid) share one virtual router.",
    (
        str_param("name", "The VPC's name", required=True),
        str_param("displaytext", "The display text"),
        str_param("cidr", "The VPC's IPv4 CIDR; tiers lie inside it", required=True),
        uuid_param("vpcofferingid", "The VPC offering", required=True),
        uuid_param("zoneid", "The zone", required=True),
        str_param("networkdomain", "The DNS domain of the VPC's networks"),
        str_param("account", "The owning account (admin), with domainid"),
        uuid_param("domainid", "The domain of the owning account"),
        bool_param("start", "Start the VPC's router now (it is configuration here: ignored)"),
    ),
    # A new VPC has no tiers yet.
    job=lambda _caller, vpc: {"vpc": vpc_view(vpc, [])},
    answers=VPC,
)
def create_vpc(ctx: Context, args: dict[str, Any]) -> Reply:
    spec = NewVpc(
        name=args["name"], display_text=args.get("displaytext") or args["name"], cidr=args["cidr"],
        offering_uuid=args["vpcofferingid"], zone_uuid=args["zoneid"], network_domain=args.get("networkdomain"),
        account=args.get("account"), domain_uuid=args.get("domainid"),
    )
    started = service.create_vpc(ctx.uow, ctx.caller, spec)
    return AsyncReply(started.job, started.value.uuid)


@command(
    "listVPCs",
    "Lists VPCs with their tiers.",
    (
        uuid_param("id", "The VPC"),
        str_param("name", "VPCs of this name"),
        uuid_param("zoneid", "VPCs in this zone"),
        str_param("cidr", "VPCs of this CIDR"),
        uuid_param("vpcofferingid", "VPCs of this offering"),
        str_param("state", "VPCs in this state"),
        TAGS_FILTER,
        *OWNER,
        *PAGING,
    ),
    answers=VPC,
)
def list_vpcs(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = VpcFilter(
        owner=owner_filter(args), uuid=args.get("id"), zone_uuid=args.get("zoneid"),
        offering_uuid=args.get("vpcofferingid"), name=args.get("name"), cidr=args.get("cidr"),
        state=args.get("state"), keyword=args.get("keyword"), page=page_of(args),
        tags=tuple(tag_pairs(args.get("tags", []), values_required=False)),
    )
    found, total = vpc_list.list_vpcs(ctx.uow, ctx.caller, wanted)
    with ctx.uow.reading() as uow:
        views = with_tags(uow, "Vpc", [vpc_view(vpc, tiers) for vpc, tiers in found])
    return ListReply("vpc", views, total)


@command("deleteVPC", "Deletes a VPC without tiers, releasing its public IPs.",
         (uuid_param("id", "The VPC", required=True),), job=success)
def delete_vpc(ctx: Context, args: dict[str, Any]) -> Reply:
    return AsyncReply(service.delete_vpc(ctx.uow, ctx.caller, args["id"]))


@command(
    "restartVPC",
    "Re-derives the VPC router's configuration from the stored state; rules and addresses persist.",
    (uuid_param("id", "The VPC", required=True), bool_param("cleanup", "Rebuild the router from scratch")),
    job=success,
)
def restart_vpc(ctx: Context, args: dict[str, Any]) -> Reply:
    return AsyncReply(service.restart_vpc(ctx.uow, ctx.caller, args["id"], args.get("cleanup", False)))


@command(
    "listVPCOfferings",
    "Lists VPC offerings.",
    (uuid_param("id", "The offering"), str_param("name", "The offering's name"),
     bool_param("isdefault", "Only the default offering"), *PAGING),
    answers=VPC_OFFERING,
)
def list_vpc_offerings(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = VpcOfferingFilter(uuid=args.get("id"), name=args.get("name"), is_default=args.get("isdefault"),
                               keyword=args.get("keyword"))
    found = vpc_list.list_vpc_offerings(ctx.uow, wanted)
    return listing("vpcoffering", [vpc_offering_view(f) for f in found], args)


@command(
    "updateVPC",
    "Changes a VPC's name or display text.",
    (uuid_param("id", "The VPC", required=True), str_param("name", "The new name"),
     str_param("displaytext", "The new display text")),
    job=lambda _caller, answer: {"vpc": vpc_view(answer.vpc, answer.tiers)},
    answers=VPC,
)
def update_vpc(ctx: Context, args: dict[str, Any]) -> Reply:
    started = service.update_vpc(ctx.uow, ctx.caller, args["id"], name=args.get("name"),
                                 display_text=args.get("displaytext"))
    return AsyncReply(started.job, started.value.vpc.uuid)
