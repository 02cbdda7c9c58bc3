"""Virtual router commands: getRouterConfig (nicstack's, root admin) and restartNetwork."""

from __future__ import annotations

from typing import Any

from nicstack.api.context import Context
from nicstack.api.params import bool_param, uuid_param
from nicstack.api.registry import ROOT, command, success
from nicstack.api.replies import AsyncReply, ObjectReply, Reply
from nicstack.api.views_rules import router_config_view
from nicstack.services import routers


@command(
    "getRouterConfig",
    "Returns the rendered configuration of a virtual router (iptables-restore and haproxy.cfg documents) and "
    "its generation, which changes exactly when the documents do. Give networkid or vpcid.",
    (uuid_param("networkid", "An isolated network (a VPC tier: its VPC's router)"), uuid_param("vpcid", "A VPC")),
    roles=ROOT,
)
def get_router_config(ctx: Context, args: dict[str, Any]) -> Reply:
    config = routers.router_config(ctx.uow, args.get("networkid"), args.get("vpcid"))
    return ObjectReply("routerconfig", router_config_view(config))


@command(
    "restartNetwork",
    "Re-derives the network's router configuration from the stored state; rules and secondary IPs persist.",
    (uuid_param("id", "The network", required=True), bool_param("cleanup", "Rebuild the router from scratch")),
    job=success,
)
def restart_network(ctx: Context, args: dict[str, Any]) -> Reply:
    return AsyncReply(routers.restart_network(ctx.uow, ctx.caller, args["id"], args.get("cleanup", False)))
