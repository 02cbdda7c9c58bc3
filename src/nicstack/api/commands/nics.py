"""The feature's commands: addIpToNic, removeIpFromNic, listNics, updateVmNicIp."""

from __future__ import annotations

from typing import Any

from nicstack.api.context import Context
from nicstack.api.params import bool_param, int_param, ip_list_param, ip_param, str_param, uuid_param
from nicstack.api.registry import command, success
from nicstack.api.replies import AsyncReply, JsonObject, ListReply, Reply
from nicstack.api.scope import PAGING, page_of
from nicstack.api.tagging import TAGS_FILTER, with_tags
from nicstack.api.views import NIC, NIC_SECONDARY_IP, VIRTUAL_MACHINE, nic_view, secondary_ip_view, vm_view
from nicstack.domain.access import Caller
from nicstack.domain.model import ReservedAddresses, Vm
from nicstack.domain.tags import tag_pairs
from nicstack.services import liveness, secondary_ips
from nicstack.services.secondary_ips import MAX_AT_ONCE, AddIp, NicFilter


def _reserved(_caller: Caller | None, value: ReservedAddresses) -> JsonObject:
    if value.several:
        return {"nicsecondaryips": [secondary_ip_view(item) for item in value.items]}
    return {"nicsecondaryip": secondary_ip_view(value.items[0])}


def vm_answer(_caller: Caller | None, value: Vm) -> JsonObject:
    return {"virtualmachine": vm_view(value)}


@command(
    "addIpToNic",
    "Assigns a secondary IP to a NIC: the given one, or any free one of the NIC's network.",
    (
        uuid_param("nicid", "The ID of the NIC to which the IP is added", required=True),
        ip_param("ipaddress", "A free IPv4 or IPv6 address of the NIC's network; any free one if absent"),
        ip_list_param("ipaddresses", "nicstack: several given addresses, all or none (the job answers "
                                     "nicsecondaryips, a list)"),
        int_param("count", "nicstack: this many free addresses, all or none (the job answers nicsecondaryips)",
                  minimum=1, maximum=MAX_AT_ONCE),
        int_param("ipversion", "nicstack: 4 or 6, the family of the free addresses (default: the network's)",
                  minimum=4, maximum=6),
        bool_param("allowreassignment", "nicstack: a given address held by another NIC of the network that the "
                                        "caller may manage moves to this NIC with its rules"),
        str_param("clienttoken", "nicstack: a retry with the same token answers the same job and addresses "
                                 "instead of reserving more", length=64),
        str_param("description", "A description of the address, stored and shown with it", length=255),
    ),
    response_key="addiptovmnicresponse",
    job=_reserved,
    answers=NIC_SECONDARY_IP,
)
def add_ip_to_nic(ctx: Context, args: dict[str, Any]) -> Reply:
    request = AddIp(args["nicid"], args.get("ipaddress"), tuple(args.get("ipaddresses", ())), args.get("count"),
                    args.get("ipversion"), bool(args.get("allowreassignment")), args.get("clienttoken") or None,
                    args.get("description") or None)
    started = secondary_ips.add_ip_to_nic(ctx.uow, ctx.caller, request)
    return AsyncReply(started.job, started.value.items[0].uuid)


@command(
    "removeIpFromNic",
    "Releases a secondary IP of a NIC, unless a rule still targets it.",
    (uuid_param("id", "The ID of the secondary IP address", required=True),),
    job=success,
)
def remove_ip_from_nic(ctx: Context, args: dict[str, Any]) -> Reply:
    return AsyncReply(secondary_ips.remove_ip_from_nic(ctx.uow, ctx.caller, args["id"]))


@command(
    "listNics",
    "Lists the NICs of a VM with their secondary IPs.",
    (
        uuid_param("virtualmachineid", "The ID of the VM", required=True),
        uuid_param("nicid", "The ID of one NIC"),
        uuid_param("networkid", "Only the NIC in this network"),
        TAGS_FILTER,
        *PAGING,
    ),
    answers=NIC,
)
def list_nics(ctx: Context, args: dict[str, Any]) -> Reply:
    query = NicFilter(args["virtualmachineid"], args.get("nicid"), args.get("networkid"), args.get("keyword"),
                      tuple(tag_pairs(args.get("tags", []), values_required=False)))
    nics = secondary_ips.list_nics(ctx.uow, ctx.caller, query)
    page = page_of(args)
    shown = nics[page[0] : page[0] + page[1]] if page else nics
    # nicstack's field: whether every data-plane agent concerned has applied each secondary IP.
    live = liveness.applied(ctx.uow, shown)
    with ctx.uow.reading() as uow:
        views = with_tags(uow, "Nic", [nic_view(n) for n in shown])
    for view in views:
        view["secondaryip"] = [{**s, "applied": live.get(s["id"], False)} for s in view["secondaryip"]]
    return ListReply("nic", views, len(nics))


@command(
    "updateVmNicIp",
    "Changes the primary IP address of a NIC to the given one, or to any free one.",
    (
        uuid_param("nicid", "The ID of the NIC", required=True),
        ip_param("ipaddress", "The new primary address; any free one if absent"),
    ),
    job=vm_answer,
    answers=VIRTUAL_MACHINE,
)
def update_vm_nic_ip(ctx: Context, args: dict[str, Any]) -> Reply:
    started = secondary_ips.update_vm_nic_ip(ctx.uow, ctx.caller, AddIp(args["nicid"], args.get("ipaddress")))
    return AsyncReply(started.job)
