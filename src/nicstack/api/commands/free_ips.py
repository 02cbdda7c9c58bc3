"""listFreeIpAddresses: a network's free addresses as compact ranges with counts, never who holds the rest."""

from __future__ import annotations

from typing import Any

from nicstack.api.context import Context
from nicstack.api.params import int_param, uuid_param
from nicstack.api.registry import command
from nicstack.api.replies import ListReply, ObjectReply, Reply
from nicstack.api.scope import page_of
from nicstack.api.views_guest import FREE_IP_ADDRESS, free_view, range_address_view
from nicstack.services import free_ips, lookup

DEFAULT_LIMIT = 100


@command(
    "listFreeIpAddresses",
    "Lists a network's free addresses as compact ranges, with total/used/free counts per address family "
    "(a Basic zone's network: optionally one pod's). Shows which addresses are free, never who holds the others.",
    (
        uuid_param("networkid", "The network", required=True),
        uuid_param("podid", "Basic zones: only this pod's ranges"),
        int_param("limit", f"At most this many free ranges per family (default {DEFAULT_LIMIT})", maximum=10000),
    ),
    response_key="freeipaddressesresponse",
    answers=FREE_IP_ADDRESS,
)
def list_free_ip_addresses(ctx: Context, args: dict[str, Any]) -> Reply:
    net, families = free_ips.free_addresses(ctx.uow, ctx.caller, args["networkid"], args.get("limit", DEFAULT_LIMIT),
                                            args.get("podid"))
    return ObjectReply("freeipaddress", free_view(net, families))


def guest_addresses(ctx: Context, args: dict[str, Any]) -> Reply:
    """listPublicIpAddresses forvirtualnetwork=false: a shared network's range addresses, Free or Allocated."""
    found, total = free_ips.range_addresses(
        ctx.uow, ctx.caller, network_uuid=args.get("networkid"), address=args.get("ipaddress"),
        allocated_only=args.get("allocatedonly", True), page=page_of(args),
    )
    if not found:
        return ListReply("publicipaddress", [], total)
    with ctx.uow.reading() as uow:
        net = lookup.network(uow, ctx.caller, args["networkid"])
    return ListReply("publicipaddress", [range_address_view(net, item) for item in found], total)
