"""The feature's commands: addIpToNic, removeIpFromNic, listNics, updateVmNicIp."""

from __future__ import annotations

from typing import Any

from nicstack.api.context import Context
from nicstack.api.params import str_param, uuid_param
from nicstack.api.registry import command
from nicstack.api.replies import AsyncReply, JsonObject, ListReply, Reply
from nicstack.api.scope import PAGING, page_of
from nicstack.api.views import nic_view, secondary_ip_view, vm_view
from nicstack.db.uow import SqlUnitOfWork
from nicstack.services import dataplane, secondary_ips
from nicstack.services.secondary_ips import SecondaryIpView


def _renumbered(ctx: Context, params: dict[str, Any]) -> JsonObject:
    # The address was changed in the request; hosts enforcing the VM's addresses learn it now.
    result = dict(params["result"])
    dataplane.vm_changed(ctx.uow, result["virtualmachine"]["id"])
    return result


def _configure(ctx: Context, params: dict[str, Any]) -> JsonObject:
    # The data-plane step: hosts enforcing the VM's anti-spoofing (and its groups' rules) get the address.
    result = dict(params["result"])
    sec = result["nicsecondaryip"]
    dataplane.configure_secondary_ip(ctx.uow, ctx.caller, sec["virtualmachineid"], sec["ipaddress"], added=True)
    return result


def _released(ctx: Context, params: dict[str, Any]) -> JsonObject:
    # Runs after the release committed: the data plane drops the address only once it is free.
    if "vm" in params:
        dataplane.configure_secondary_ip(ctx.uow, ctx.caller, params["vm"], params["address"], added=False)
    return {"success": True}


@command(
    "addIpToNic",
    "Assigns a secondary IP to a NIC: the given one, or any free one of the NIC's network.",
    (
        uuid_param("nicid", "The ID of the NIC to which the IP is added", required=True),
        str_param("ipaddress", "A free IPv4 or IPv6 address of the NIC's network; any free one if absent"),
    ),
    response_key="addiptovmnicresponse",
    job=_configure,
)
def add_ip_to_nic(ctx: Context, args: dict[str, Any]) -> Reply:
    created: list[str] = []

    def then(uow: SqlUnitOfWork, view: SecondaryIpView) -> str:
        created.append(view.uuid)
        result = {"nicsecondaryip": secondary_ip_view(view)}
        return ctx.start_job(uow, {"result": result}, ("IpAddress", view.uuid))

    job = secondary_ips.add_ip_to_nic(ctx.uow, ctx.caller, args["nicid"], args.get("ipaddress") or None, then)
    return AsyncReply(job, created[0])


@command(
    "removeIpFromNic",
    "Releases a secondary IP of a NIC, unless a rule still targets it.",
    (uuid_param("id", "The ID of the secondary IP address", required=True),),
    job=_released,
)
def remove_ip_from_nic(ctx: Context, args: dict[str, Any]) -> Reply:
    def then(uow: SqlUnitOfWork, view: SecondaryIpView) -> str:
        params = {"id": view.uuid, "vm": view.vm_uuid, "address": view.address}
        return ctx.start_job(uow, params, ("IpAddress", view.uuid))

    return AsyncReply(secondary_ips.remove_ip_from_nic(ctx.uow, ctx.caller, args["id"], then))


@command(
    "listNics",
    "Lists the NICs of a VM with their secondary IPs.",
    (
        uuid_param("virtualmachineid", "The ID of the VM", required=True),
        uuid_param("nicid", "The ID of one NIC"),
        uuid_param("networkid", "Only the NIC in this network"),
        *PAGING,
    ),
)
def list_nics(ctx: Context, args: dict[str, Any]) -> Reply:
    _vm, nics = secondary_ips.list_nics(
        ctx.uow, ctx.caller, args["virtualmachineid"], args.get("nicid"), args.get("networkid"), args.get("keyword")
    )
    page = page_of(args)
    shown = nics[page[0] : page[0] + page[1]] if page else nics
    return ListReply("nic", [nic_view(n) for n in shown], len(nics))


@command(
    "updateVmNicIp",
    "Changes the primary IP address of a NIC to the given one, or to any free one.",
    (
        uuid_param("nicid", "The ID of the NIC", required=True),
        str_param("ipaddress", "The new primary address; any free one if absent"),
    ),
    job=_renumbered,
)
def update_vm_nic_ip(ctx: Context, args: dict[str, Any]) -> Reply:
    vm = secondary_ips.update_vm_nic_ip(ctx.uow, ctx.caller, args["nicid"], args.get("ipaddress") or None)
    with ctx.uow as uow:
        job = ctx.start_job(uow, {"result": {"virtualmachine": vm_view(vm)}}, ("VirtualMachine", vm.uuid))
    return AsyncReply(job)
