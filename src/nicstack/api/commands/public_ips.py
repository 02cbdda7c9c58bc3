"""Public address commands: zone public ranges, associateIpAddress, disassociateIpAddress, listPublicIpAddresses."""

from __future__ import annotations

from typing import Any

from nicstack.api.commands.free_ips import guest_addresses
from nicstack.api.context import Context
from nicstack.api.params import bool_param, str_param, uuid_param
from nicstack.api.registry import ADMINS, ROOT, command, success
from nicstack.api.replies import AsyncReply, JsonObject, ListReply, ObjectReply, Reply, SuccessReply
from nicstack.api.schema import SUCCESS
from nicstack.api.scope import OWNER, PAGING, owner_filter, page_of
from nicstack.api.tagging import TAGS_FILTER, with_tags
from nicstack.api.views_rules import PUBLIC_IP_ADDRESS, VLAN_IP_RANGE, guest_range_view, public_ip_view, vlan_range_view
from nicstack.api.views_world import listing
from nicstack.domain.access import Caller
from nicstack.domain.errors import MissingParameter, Unsupported
from nicstack.domain.rules import PublicIp
from nicstack.domain.tags import tag_pairs
from nicstack.services import guest_ranges, public_ip_list, public_ips, public_ranges
from nicstack.services.guest_ranges import NewGuestRange, RangeFilter, RangeSpec
from nicstack.services.public_ip_list import PublicIpFilter
from nicstack.services.public_ips import Acquire
from nicstack.services.public_ranges import NewRange


def _acquired(caller: Caller | None, ip: PublicIp) -> JsonObject:
    return {"ipaddress": public_ip_view(ip, caller is not None and caller.is_root_admin)}


@command(
    "createVlanIpRange",
    "Creates an IP range: a zone's public range (forvirtualnetwork=true), or a guest range of a shared network "
    "(networkid; Basic zone: podid) when forvirtualnetwork=false.",
    (
        uuid_param("zoneid", "The zone of the range (public ranges)"),
        str_param("gateway", "The gateway of the subnet"),
        str_param("netmask", "The netmask of the subnet"),
        str_param("startip", "The first address of the range"),
        str_param("endip", "The last address of the range (default: startip)"),
        str_param("vlan", "The VLAN of the range (e.g. vlan://100 or untagged)"),
        bool_param("forvirtualnetwork", "True for a public range (the default without networkid or podid)"),
        uuid_param("networkid", "The shared network of a guest range"),
        uuid_param("podid", "The Basic-zone pod of a guest range"),
        str_param("startipv6", "The first IPv6 address of a guest range"),
        str_param("endipv6", "The last IPv6 address of a guest range"),
        str_param("ip6gateway", "The IPv6 gateway of a guest range"),
        str_param("ip6cidr", "The IPv6 CIDR of a guest range"),
        uuid_param("physicalnetworkid", "The physical network (ignored)"),
    ),
    roles=ROOT,
    answers=VLAN_IP_RANGE,
)
def create_vlan_ip_range(ctx: Context, args: dict[str, Any]) -> Reply:
    if guest_ranges.is_guest_request(network_uuid=args.get("networkid"), pod_uuid=args.get("podid"),
                                     for_virtual_network=args.get("forvirtualnetwork")):
        spec = RangeSpec(args.get("startip"), args.get("endip"), args.get("gateway"), args.get("netmask"),
                         args.get("vlan"), args.get("startipv6"), args.get("endipv6"), args.get("ip6gateway"),
                         args.get("ip6cidr"))
        new = NewGuestRange(spec, args.get("zoneid"), args.get("networkid"), args.get("podid"))
        return ObjectReply("vlan", guest_range_view(guest_ranges.create_guest_range(ctx.uow, ctx.caller, new)))
    for name in ("zoneid", "gateway", "netmask", "startip"):
        if not args.get(name):
            raise MissingParameter(name)
    spec_public = NewRange(
        zone_uuid=args["zoneid"], gateway=args["gateway"], netmask=args["netmask"], start_ip=args["startip"],
        end_ip=args.get("endip") or None, vlan=args.get("vlan") or None,
    )
    return ObjectReply("vlan", vlan_range_view(public_ranges.create_vlan_range(ctx.uow, ctx.caller, spec_public)))


@command(
    "listVlanIpRanges",
    "Lists IP ranges: public ranges of zones and guest ranges of shared networks.",
    (uuid_param("id", "The range"), uuid_param("zoneid", "The zone"),
     bool_param("forvirtualnetwork", "True: public ranges only; false: guest ranges only"),
     uuid_param("networkid", "Guest ranges of this network"), uuid_param("podid", "Guest ranges of this pod"),
     *PAGING),
    roles=ADMINS,
    answers=VLAN_IP_RANGE,
)
def list_vlan_ip_ranges(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = RangeFilter(uuid=args.get("id"), zone_uuid=args.get("zoneid"), network_uuid=args.get("networkid"),
                         pod_uuid=args.get("podid"), for_virtual_network=args.get("forvirtualnetwork"))
    guests, public_too = guest_ranges.list_guest_ranges(ctx.uow, ctx.caller, wanted)
    items = [guest_range_view(g) for g in guests]
    if public_too:
        found = public_ranges.list_vlan_ranges(ctx.uow, uuid=wanted.uuid, zone_uuid=wanted.zone_uuid)
        items += [vlan_range_view(r) for r in found]
    return listing("vlaniprange", items, args)


@command("deleteVlanIpRange", "Deletes an IP range none of whose addresses is in use.",
         (uuid_param("id", "The range", required=True),), roles=ROOT, answers=SUCCESS)
def delete_vlan_ip_range(ctx: Context, args: dict[str, Any]) -> Reply:
    if guest_ranges.delete_guest_range(ctx.uow, ctx.caller, args["id"]) is None:
        public_ranges.delete_vlan_range(ctx.uow, ctx.caller, args["id"])
    return SuccessReply()


@command(
    "associateIpAddress",
    "Acquires a public IP from the zone's public ranges into an isolated network or a VPC, or (zoneid alone) an "
    "elastic IP of a Basic zone whose network offering has elastic IPs.",
    (
        uuid_param("networkid", "The isolated network (or VPC tier) to acquire the address for"),
        uuid_param("vpcid", "The VPC to acquire the address for"),
        uuid_param("zoneid", "The zone (must be the network's or VPC's); alone: a Basic zone's elastic IP"),
        str_param("ipaddress", "A given free public address instead of any free one"),
        bool_param("isportable", "Portable (region-wide) address: not supported, only false is accepted"),
    ),
    job=_acquired,
    answers=PUBLIC_IP_ADDRESS,
)
def associate_ip_address(ctx: Context, args: dict[str, Any]) -> Reply:
    if args.get("isportable"):
        # Terraform's cloudstack_ipaddress sends isportable=true for is_portable; ignoring it would hand out a
        # zone address that cannot move between networks, which the caller finds out only when moving it.
        raise Unsupported("Portable public IPs (isportable=true) are not supported: nicstack has no portable "
                          "IP ranges; acquire a zone public IP (isportable=false or absent)")
    spec = Acquire(args.get("networkid"), args.get("vpcid"), args.get("zoneid"), args.get("ipaddress") or None)
    started = public_ips.associate_ip_address(ctx.uow, ctx.caller, spec)
    return AsyncReply(started.job, started.value.uuid)


@command("disassociateIpAddress", "Releases a public IP and removes every rule on it.",
         (uuid_param("id", "The public IP", required=True),), job=success)
def disassociate_ip_address(ctx: Context, args: dict[str, Any]) -> Reply:
    return AsyncReply(public_ips.disassociate_ip_address(ctx.uow, ctx.caller, args["id"]))


@command(
    "listPublicIpAddresses",
    "Lists public IPs: the caller's acquired ones, and free ones with allocatedonly=false.",
    (
        uuid_param("id", "The public IP"),
        str_param("ipaddress", "The address"),
        uuid_param("zoneid", "The zone"),
        uuid_param("associatednetworkid", "Addresses serving this network"),
        uuid_param("vpcid", "Addresses of this VPC"),
        bool_param("isstaticnat", "Only addresses with (or without) static NAT"),
        bool_param("issourcenat", "Only source NAT addresses (or the others)"),
        bool_param("allocatedonly", "Only acquired addresses (default true)"),
        bool_param("forvirtualnetwork", "Public addresses of virtual networks (all of nicstack's)"),
        uuid_param("networkid", "With forvirtualnetwork=false: the addresses of this shared network's ranges"),
        TAGS_FILTER,
        *OWNER,
        *PAGING,
    ),
    answers=PUBLIC_IP_ADDRESS,
)
def list_public_ip_addresses(ctx: Context, args: dict[str, Any]) -> Reply:
    if args.get("forvirtualnetwork") is False or "networkid" in args:
        return guest_addresses(ctx, args)
    address = args.get("ipaddress")
    wanted = PublicIpFilter(
        owner=owner_filter(args), uuid=args.get("id"), address=None if address is None else address.strip(),
        zone_uuid=args.get("zoneid"), network_uuid=args.get("associatednetworkid"), vpc_uuid=args.get("vpcid"),
        is_static_nat=args.get("isstaticnat"), is_source_nat=args.get("issourcenat"),
        allocated_only=args.get("allocatedonly", True), keyword=args.get("keyword"), page=page_of(args),
        tags=tuple(tag_pairs(args.get("tags", []), values_required=False)),
    )
    found, total = public_ip_list.list_public_ips(ctx.uow, ctx.caller, wanted)
    with ctx.uow.reading() as uow:
        views = with_tags(uow, "PublicIpAddress", [public_ip_view(ip, ctx.caller.is_root_admin) for ip in found])
    return ListReply("publicipaddress", views, total)
