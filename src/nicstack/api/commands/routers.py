"""Virtual router commands: listRouters, getRouterConfig (root admin and the router's agent), restartNetwork."""

from __future__ import annotations

from typing import Any

from nicstack.api.context import Context
from nicstack.api.longpoll_params import LONG_POLL, waiting
from nicstack.api.params import bool_param, str_param, uuid_param
from nicstack.api.registry import ROOT, ROOT_OR_AGENT, command, success
from nicstack.api.replies import AsyncReply, JsonObject, ObjectReply, Reply
from nicstack.api.schema import fields, kind
from nicstack.api.scope import PAGING
from nicstack.api.views_dataplane import DATAPLANE, dataplane_view
from nicstack.api.views_rules import ROUTER_CONFIG, router_config_view
from nicstack.api.views_world import listing, wire_date
from nicstack.services import agents, routers
from nicstack.services.agents import TargetRef
from nicstack.services.router_list import RouterFilter, RouterInfo, list_routers

ROUTER = kind("router", {
    "id": "string",
    "name": "string",
    "state": "string",
    "role": "string",
    "zoneid": "string",
    "zonename": "string",
    "account": "string",
    "domainid": "string",
    "domain": "string",
    "publicip": "string",
    "publicnetmask": "string",
    "gateway": "string",
    "guestipaddress": "string",
    "guestnetmask": "string",
    "guestnetworkid": "string",
    "guestnetworkname": "string",
    "isredundantrouter": "boolean",
    "redundantstate": "string",
    "requiresupgrade": "boolean",
    "created": "date",
    "nic": ("list", fields({
        "ipaddress": "string",
        "netmask": "string",
        "gateway": "string",
        "traffictype": "string",
        "isdefault": "boolean",
        "networkid": "string",
        "networkname": "string",
    })),
    "vpcid": "string",
    "vpcname": "string",
    **DATAPLANE,
})



@command(
    "getRouterConfig",
    "Returns the rendered configuration of a virtual router (iptables-restore, haproxy.cfg and addresses "
    "documents), its generation, which changes exactly when the documents do, and what its agent applied. Give "
    "networkid or vpcid; with sincegeneration the documents come only when newer, and with wait the call "
    "returns as soon as a newer generation is published, or after that many seconds.",
    (uuid_param("networkid", "An isolated or shared network (a VPC tier: its VPC's router)"),
     uuid_param("vpcid", "A VPC"), *LONG_POLL),
    roles=ROOT_OR_AGENT,
    answers=ROUTER_CONFIG,
)
def get_router_config(ctx: Context, args: dict[str, Any]) -> Reply:
    target = agents.authorized(ctx.uow, ctx.caller, TargetRef(network=args.get("networkid"), vpc=args.get("vpcid")))
    since = args.get("sincegeneration")

    def answer() -> ObjectReply:
        config = routers.router_config(ctx.uow, args.get("networkid"), args.get("vpcid"))
        state = agents.states(ctx.uow, [target]).get(target)
        return ObjectReply("routerconfig", {**router_config_view(config, since), **dataplane_view(state)})

    return waiting(ctx.uow, target, args, answer) or answer()


@command(
    "restartNetwork",
    "Re-derives the network's router configuration from the stored state; rules and secondary IPs persist.",
    (uuid_param("id", "The network", required=True), bool_param("cleanup", "Rebuild the router from scratch")),
    job=success,
)
def restart_network(ctx: Context, args: dict[str, Any]) -> Reply:
    return AsyncReply(routers.restart_network(ctx.uow, ctx.caller, args["id"], args.get("cleanup", False)))


def router_view(r: RouterInfo) -> JsonObject:
    first = r.guests[0] if r.guests else None
    nics = [{"networkid": g.network_uuid, "networkname": g.network_name, "ipaddress": g.gateway,
             "netmask": g.netmask, "traffictype": "Guest", "isdefault": False} for g in r.guests]
    if r.public_ip is not None:
        nics.insert(0, {"ipaddress": r.public_ip, "netmask": r.public_netmask, "gateway": r.public_gateway,
                        "traffictype": "Public", "isdefault": True})
    return {
        "id": r.id, "name": r.name, "state": r.state, "role": "VIRTUAL_ROUTER", "zoneid": r.zone_uuid,
        "zonename": r.zone_name, "account": r.owner.account_name if r.owner else None,
        "domainid": r.owner.domain_uuid if r.owner else None, "domain": r.owner.domain_name if r.owner else None,
        "publicip": r.public_ip, "publicnetmask": r.public_netmask, "gateway": r.public_gateway,
        "guestipaddress": first.gateway if first else None, "guestnetmask": first.netmask if first else None,
        "guestnetworkid": first.network_uuid if first else None,
        "guestnetworkname": first.network_name if first else None,
        "vpcid": r.vpc_uuid, "vpcname": r.vpc_name, "isredundantrouter": False, "redundantstate": "UNKNOWN",
        "requiresupgrade": False, "created": wire_date(r.created), "nic": nics, **dataplane_view(r.dataplane),
    }


@command(
    "listRouters",
    "Lists the virtual routers (one per isolated or shared network, one per VPC) with their addresses and, per router, "
    "the published and applied configuration generations, the last error and the last heartbeat of its agent.",
    (
        uuid_param("id", "The ID of the router"),
        str_param("name", "The name of the router"),
        uuid_param("zoneid", "The Zone ID of the router"),
        uuid_param("networkid", "The router of this network"),
        uuid_param("vpcid", "The router of this VPC"),
        str_param("state", "Running or Stopped"),
        *PAGING,
    ),
    roles=ROOT,
    answers=ROUTER,
)
def list_routers_command(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = RouterFilter(args.get("id"), args.get("name"), args.get("zoneid"), args.get("networkid"),
                          args.get("vpcid"), args.get("state"), args.get("keyword"))
    return listing("router", [router_view(r) for r in list_routers(ctx.uow, wanted)], args)
