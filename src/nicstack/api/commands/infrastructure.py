"""Infrastructure commands: zones, pods and hypervisor hosts."""

from __future__ import annotations

from typing import Any

from nicstack.api import views_world as views
from nicstack.api.context import Context
from nicstack.api.params import bool_param, str_param, uuid_param
from nicstack.api.registry import ADMINS, ROOT, command
from nicstack.api.replies import ListReply, ObjectReply, Reply
from nicstack.api.scope import PAGING
from nicstack.api.views_dataplane import dataplane_view
from nicstack.api.views_world import HOST, POD, ZONE
from nicstack.services import agents, infrastructure
from nicstack.services.infrastructure import HostFilter, NewHost, NewPod, NewZone, PodFilter, ZoneFilter


@command(
    "createZone",
    "Creates a zone",
    (
        str_param("name", "The name of the zone", required=True),
        str_param("networktype", "Network type of the zone: Basic or Advanced", required=True),
        str_param("dns1", "The first DNS server of the zone", required=True),
        str_param("internaldns1", "The first internal DNS server of the zone", required=True),
        bool_param("securitygroupenabled", "True if the Advanced zone uses security groups (Basic: always)"),
        str_param("guestcidraddress", "The guest CIDR address of an Advanced zone"),
        str_param("dns2", "The second DNS server (ignored)"),
        str_param("internaldns2", "The second internal DNS server (ignored)"),
    ),
    roles=ROOT,
    answers=ZONE,
)
def create_zone(ctx: Context, args: dict[str, Any]) -> Reply:
    spec = NewZone(
        name=args["name"], network_type=args["networktype"], dns1=args["dns1"], internal_dns1=args["internaldns1"],
        security_groups_enabled=args.get("securitygroupenabled"), guest_cidr=args.get("guestcidraddress"),
    )
    return ObjectReply("zone", views.zone(infrastructure.create_zone(ctx.uow, ctx.caller, spec)))


@command(
    "listZones",
    "Lists zones",
    (
        uuid_param("id", "The ID of the zone"),
        str_param("name", "The name of the zone"),
        str_param("networktype", "The network type of the zone: Basic or Advanced"),
        bool_param("available", "True to list only zones open for deployment"),
        bool_param("showcapacities", "Show capacities (ignored)"),
        *PAGING,
    ),
    answers=ZONE,
)
def list_zones(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = ZoneFilter(
        uuid=args.get("id"), network_type=args.get("networktype"), available=bool(args.get("available")),
        name=args.get("name"), keyword=args.get("keyword"),
    )
    found = infrastructure.list_zones(ctx.uow, ctx.caller, wanted)
    return views.listing("zone", [views.zone(z) for z in found], args)


@command(
    "createPod",
    "Creates a new Pod.",
    (
        uuid_param("zoneid", "The Zone ID in which the Pod will be created", required=True),
        str_param("name", "The name of the Pod", required=True),
        str_param("gateway", "The gateway for the Pod", required=True),
        str_param("netmask", "The netmask for the Pod", required=True),
        str_param("startip", "The starting IP address for the Pod"),
        str_param("endip", "The ending IP address for the Pod"),
    ),
    roles=ROOT,
    answers=POD,
)
def create_pod(ctx: Context, args: dict[str, Any]) -> Reply:
    spec = NewPod(
        zone_uuid=args["zoneid"], name=args["name"], gateway=args["gateway"], netmask=args["netmask"],
        start_ip=args.get("startip"), end_ip=args.get("endip"),
    )
    return ObjectReply("pod", views.pod(infrastructure.create_pod(ctx.uow, ctx.caller, spec)))


@command(
    "listPods",
    "Lists all Pods.",
    (
        uuid_param("id", "List Pods by ID"),
        str_param("name", "List Pods by name"),
        uuid_param("zoneid", "List Pods by Zone ID"),
        *PAGING,
    ),
    roles=ADMINS,
    answers=POD,
)
def list_pods(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = PodFilter(uuid=args.get("id"), zone_uuid=args.get("zoneid"), name=args.get("name"),
                       keyword=args.get("keyword"))
    return views.listing("pod", [views.pod(p) for p in infrastructure.list_pods(ctx.uow, wanted)], args)


@command(
    "addHost",
    "Adds a new host.",
    (
        uuid_param("zoneid", "The Zone ID for the host", required=True),
        uuid_param("podid", "The Pod ID for the host", required=True),
        str_param("hypervisor", "Hypervisor type of the host: KVM, XenServer or VMware", required=True),
        str_param("url", "The host URL: http://<address> or <address>", required=True),
        str_param("username", "The username for the host", required=True),
        str_param("password", "The password for the host", required=True),
        uuid_param("clusterid", "The cluster ID for the host (ignored: nicstack has no clusters)"),
        str_param("clustername", "The cluster name for the host (ignored)"),
    ),
    roles=ROOT,
    answers=HOST,
)
def add_host(ctx: Context, args: dict[str, Any]) -> Reply:
    # The credentials are required for compatibility and never stored: nicstack's agent
    # runs on the host and authenticates itself.
    spec = NewHost(zone_uuid=args["zoneid"], pod_uuid=args["podid"], hypervisor=args["hypervisor"], url=args["url"])
    return ListReply("host", [views.host(infrastructure.add_host(ctx.uow, ctx.caller, spec))], 1)


@command(
    "listHosts",
    "Lists hosts.",
    (
        uuid_param("id", "The ID of the host"),
        str_param("name", "The name of the host"),
        uuid_param("zoneid", "The Zone ID for the host"),
        uuid_param("podid", "The Pod ID for the host"),
        str_param("hypervisor", "The hypervisor type of the host"),
        str_param("type", "The host type (Routing)"),
        str_param("state", "The state of the host"),
        *PAGING,
    ),
    roles=ADMINS,
    answers=HOST,
)
def list_hosts(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = HostFilter(
        uuid=args.get("id"), zone_uuid=args.get("zoneid"), pod_uuid=args.get("podid"),
        hypervisor=args.get("hypervisor"), type=args.get("type", "Routing"), name=args.get("name"),
        state=args.get("state"), keyword=args.get("keyword"),
    )
    hosts = infrastructure.list_hosts(ctx.uow, wanted)
    # What each host's security-group agent applied (nicstack's fields; VMware hosts have none).
    states = agents.states(ctx.uow, [f"host:{h.uuid}" for h in hosts])
    return views.listing("host", [{**views.host(h), **dataplane_view(states.get(f"host:{h.uuid}"))} for h in hosts],
                         args)
