"""Network commands: createNetwork, listNetworks, updateNetwork, deleteNetwork."""

from __future__ import annotations

from typing import Any

from nicstack.api.context import Context
from nicstack.api.params import str_param, uuid_param
from nicstack.api.registry import command, success
from nicstack.api.replies import AsyncReply, ListReply, ObjectReply, Reply
from nicstack.api.scope import OWNER, PAGING, owner_filter, page_of
from nicstack.api.tagging import TAGS_FILTER, with_tags
from nicstack.api.views import NETWORK, network_view
from nicstack.domain.tags import tag_pairs
from nicstack.services import networks
from nicstack.services.networks import NetworkChanges, NetworkFilter, NewNetwork


@command(
    "createNetwork",
    "Creates a guest network. Isolated: from cidr, or gateway and netmask (default 10.1.1.0/24).",
    (
        str_param("name", "The network name", required=True),
        str_param("displaytext", "The display text"),
        uuid_param("networkofferingid", "The network offering", required=True),
        uuid_param("zoneid", "The zone", required=True),
        str_param("cidr", "The IPv4 CIDR (nicstack; CloudStack clients send gateway and netmask)"),
        str_param("gateway", "The IPv4 gateway"),
        str_param("netmask", "The IPv4 netmask"),
        str_param("ip6cidr", "The IPv6 CIDR"),
        str_param("ip6gateway", "The IPv6 gateway"),
        str_param("account", "The owning account (admin), with domainid"),
        uuid_param("domainid", "The domain of the owning account"),
        uuid_param("vpcid", "The VPC this network is a tier of (with a VPC network offering)"),
        str_param("startip", "Shared networks: the first IPv4 address of the network's range"),
        str_param("endip", "Shared networks: the last IPv4 address of the range (default: startip)"),
        str_param("startipv6", "Shared networks: the first IPv6 address of the range"),
        str_param("endipv6", "Shared networks: the last IPv6 address of the range (default: startipv6)"),
        str_param("vlan", "Shared networks: the VLAN id, or untagged"),
        str_param("acltype", "Shared networks: Domain (every account of the domain) or Account"),
        uuid_param("aclid", "VPC tiers: the network ACL list (default: none, only what rules open gets in)"),
        str_param("networkdomain", "The network's DNS domain"),
    ),
    answers=NETWORK,
)
def create_network(ctx: Context, args: dict[str, Any]) -> Reply:
    spec = NewNetwork(
        name=args["name"], display_text=args.get("displaytext") or args["name"], zone_uuid=args["zoneid"],
        offering_uuid=args["networkofferingid"], cidr=args.get("cidr"), gateway=args.get("gateway"),
        netmask=args.get("netmask"), ip6_cidr=args.get("ip6cidr"), ip6_gateway=args.get("ip6gateway"),
        account=args.get("account"), domain_uuid=args.get("domainid"), vpc_uuid=args.get("vpcid"),
        start_ip=args.get("startip"), end_ip=args.get("endip"), start_ipv6=args.get("startipv6"),
        end_ipv6=args.get("endipv6"), vlan=args.get("vlan"), acl_type=args.get("acltype"),
        acl_uuid=args.get("aclid"), network_domain=args.get("networkdomain"),
    )
    return ObjectReply("network", network_view(networks.create_network(ctx.uow, ctx.caller, spec)))


@command(
    "listNetworks",
    "Lists the guest networks the caller may use.",
    (
        uuid_param("id", "The network"),
        uuid_param("zoneid", "The zone"),
        str_param("type", "Isolated, Shared or L2"),
        str_param("guestiptype", "Isolated, Shared or L2"),
        uuid_param("vpcid", "Only the tiers of this VPC"),
        TAGS_FILTER,
        *OWNER,
        *PAGING,
    ),
    answers=NETWORK,
)
def list_networks(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = NetworkFilter(
        owner=owner_filter(args), uuid=args.get("id"), zone_uuid=args.get("zoneid"), vpc_uuid=args.get("vpcid"),
        kind=args.get("type") or args.get("guestiptype"), keyword=args.get("keyword"), page=page_of(args),
        tags=tuple(tag_pairs(args.get("tags", []), values_required=False)),
    )
    found, total = networks.list_networks(ctx.uow, ctx.caller, wanted)
    with ctx.uow.reading() as uow:
        views = with_tags(uow, "Network", [network_view(x) for x in found])
    return ListReply("network", views, total)


@command("deleteNetwork", "Deletes a network without NICs.", (uuid_param("id", "The network", required=True),),
         job=success)
def delete_network(ctx: Context, args: dict[str, Any]) -> Reply:
    return AsyncReply(networks.delete_network(ctx.uow, ctx.caller, args["id"]))


@command(
    "updateNetwork",
    "Changes a network's name, display text or DNS domain (nothing that would re-implement it).",
    (
        uuid_param("id", "The network", required=True),
        str_param("name", "The new name"),
        str_param("displaytext", "The new display text"),
        str_param("networkdomain", "The new DNS domain ('' clears it)"),
        uuid_param("networkofferingid", "The network's own offering (another one is refused)"),
    ),
    job=lambda _caller, net: {"network": network_view(net)},
    answers=NETWORK,
)
def update_network(ctx: Context, args: dict[str, Any]) -> Reply:
    changes = NetworkChanges(name=args.get("name"), display_text=args.get("displaytext"),
                             network_domain=args.get("networkdomain"), offering_uuid=args.get("networkofferingid"))
    started = networks.update_network(ctx.uow, ctx.caller, args["id"], changes)
    return AsyncReply(started.job, started.value.uuid)
