"""nicstack extensions for the web UI: a network's address usage and a NIC's secondary-IP limit.

Neither exists in CloudStack, and no CloudStack client calls them; both are listed by listApis.
Counts are decimal strings: an IPv6 /64 holds more addresses than a JSON number carries
exactly in JavaScript.
"""

from __future__ import annotations

from typing import Any

from nicstack.api.context import Context
from nicstack.api.params import int_param, uuid_param
from nicstack.api.registry import command
from nicstack.api.replies import JsonObject, ObjectReply, Reply
from nicstack.api.schema import fields, kind
from nicstack.ipam.addresses import make_address
from nicstack.ipam.usage import FREE, Usage
from nicstack.services import address_usage
from nicstack.services.address_usage import FamilyUsage

DEFAULT_RUNS = 500
DEFAULT_CELLS = 256


def _family(family: int, found: Usage) -> JsonObject:
    first_free = next((r.start for r in found.runs if r.kind == FREE), None)
    return {
        "total": str(found.total), "used": str(found.used), "free": str(found.counts.get(FREE, 0)),
        "counts": {kind: str(n) for kind, n in sorted(found.counts.items())},
        "firstfree": str(make_address(family, first_free)) if first_free is not None else None,
        "runs": [{"start": str(make_address(family, r.start)), "end": str(make_address(family, r.end)),
                  "count": str(r.count), "kind": r.kind} for r in found.runs],
        "truncated": found.truncated,
        "cells": [{"start": str(make_address(family, c.start)), "end": str(make_address(family, c.end)),
                   "size": str(c.size), "free": str(c.free),
                   "held": {kind: str(n) for kind, n in sorted(c.held.items())}} for c in found.cells],
    }


def usage_view(families: list[FamilyUsage]) -> JsonObject:
    return {f"ipv{f.family}": _family(f.family, f.usage) for f in families}


NETWORK_ADDRESS_USAGE = kind("networkaddressusage", {
    "networkid": "string",
    "networkname": "string",
    "type": "string",
    "ipv4": ("object", fields({
        "total": "string",
        "used": "string",
        "free": "string",
        "counts": "map",
        "firstfree": "string",
        "runs": ("list", fields({
            "start": "string",
            "end": "string",
            "count": "string",
            "kind": "string",
        })),
        "truncated": "boolean",
        "cells": ("list", fields({
            "start": "string",
            "end": "string",
            "size": "string",
            "free": "string",
            "held": "map",
        })),
    })),
})


SECONDARY_IP_LIMIT = kind("secondaryiplimit", {
    "nicid": "string",
    "limit": "integer",
    "used": "integer",
    "available": "integer",
})



@command(
    "listNetworkAddressUsage",
    "nicstack extension: a network's addresses by use, per family: counts per kind, runs of consecutive "
    "addresses of one kind (primary, secondary, router, reserved, free; a shared network: taken or free) and "
    "equal cells for a picture. Counts are decimal strings.",
    (
        uuid_param("networkid", "The network", required=True),
        int_param("runs", f"At most this many runs per family (default {DEFAULT_RUNS})", maximum=100000),
        int_param("cells", f"At most this many cells per family (default {DEFAULT_CELLS})", minimum=1, maximum=4096),
    ),
    answers=NETWORK_ADDRESS_USAGE,
)
def list_network_address_usage(ctx: Context, args: dict[str, Any]) -> Reply:
    net, families = address_usage.address_usage(ctx.uow, ctx.caller, args["networkid"],
                                                args.get("runs", DEFAULT_RUNS), args.get("cells", DEFAULT_CELLS))
    body = {"networkid": net.uuid, "networkname": net.name, "type": str(net.guest_type), **usage_view(families)}
    return ObjectReply("networkaddressusage", body)


@command(
    "getSecondaryIpLimit",
    "nicstack extension: how many secondary IPs a NIC holds and may hold "
    "(vm.network.nic.max.secondary.ipaddresses), readable by the NIC's owner.",
    (uuid_param("nicid", "The NIC", required=True),),
    answers=SECONDARY_IP_LIMIT,
)
def get_secondary_ip_limit(ctx: Context, args: dict[str, Any]) -> Reply:
    found = address_usage.secondary_ip_limit(ctx.uow, ctx.caller, args["nicid"])
    return ObjectReply("secondaryiplimit", {"nicid": found.nic_uuid, "limit": found.limit, "used": found.used,
                                            "available": max(found.limit - found.used, 0)})
