"""VM commands: deploy, list, power, destroy/recover/expunge, NICs."""

from __future__ import annotations

from typing import Any

from nicstack.api.commands.nics import vm_answer
from nicstack.api.context import Context
from nicstack.api.params import (
    bool_param,
    list_param,
    map_param,
    str_param,
    user_data_param,
    uuid_list_param,
    uuid_param,
)
from nicstack.api.registry import ADMINS, command, success
from nicstack.api.replies import AsyncReply, ListReply, ObjectReply, Reply
from nicstack.api.scope import OWNER, PAGING, owner_filter, page_of
from nicstack.api.tagging import TAGS_FILTER, with_tags
from nicstack.api.views import VIRTUAL_MACHINE, vm_view
from nicstack.domain.jobs import Started
from nicstack.domain.model import Vm
from nicstack.domain.tags import tag_pairs
from nicstack.domain.values import canonical_uuid, user_data
from nicstack.services import vm_list, vms
from nicstack.services.vm_list import VmFilter
from nicstack.services.vms import NewVm, NicRequest


def _vm_job(started: Started[Vm], *, create: bool = False) -> Reply:
    return AsyncReply(started.job, started.value.uuid if create else None)


def _nic_requests(args: dict[str, Any]) -> tuple[NicRequest, ...]:
    mapped = args.get("iptonetworklist", [])
    if mapped:
        return tuple(
            NicRequest(canonical_uuid(m.get("networkid", ""), f"iptonetworklist[{n}].networkid"), m.get("ip"),
                       m.get("ipv6"), m.get("mac"), "iptonetworklist")
            for n, m in enumerate(mapped)
        )
    ids: list[str] = args.get("networkids", [])
    return tuple(
        NicRequest(nid, args.get("ipaddress") if i == 0 else None, args.get("ip6address") if i == 0 else None)
        for i, nid in enumerate(ids)
    )


@command(
    "deployVirtualMachine",
    "Creates and (by default) starts a VM with one NIC per network.",
    (
        uuid_param("zoneid", "The zone to deploy in", required=True),
        uuid_param("serviceofferingid", "The service offering", required=True),
        uuid_param("templateid", "The template", required=True),
        uuid_list_param("networkids", "The networks, the first one holding the default NIC"),
        map_param("iptonetworklist", "networkid/ip/ipv6/mac per network, instead of networkids"),
        str_param("ipaddress", "The primary IPv4 of the default NIC"),
        str_param("ip6address", "The primary IPv6 of the default NIC"),
        str_param("name", "The host name"),
        str_param("displayname", "The display name"),
        uuid_param("hostid", "The host to place the VM on (admin)"),
        bool_param("startvm", "Start the VM (default true)"),
        str_param("hypervisor", "Hypervisor type (placement follows the chosen host)"),
        str_param("account", "Deploy for this account (admin), with domainid"),
        uuid_param("domainid", "The domain of the account"),
        uuid_list_param("securitygroupids", "Security groups of the VM, by ID (security-group networks)"),
        list_param("securitygroupnames", "Security groups of the VM, by name (security-group networks)"),
        user_data_param("The user data, base64 (the guest reads it decoded at /latest/user-data)"),
        str_param("keypair", "The SSH key pair of the VM's owner to give the VM (stored and returned)"),
        list_param("keypairs", "SSH key pairs of the VM's owner, by name (stored and returned)"),
    ),
    job=vm_answer,
    answers=VIRTUAL_MACHINE,
)
def deploy_virtual_machine(ctx: Context, args: dict[str, Any]) -> Reply:
    spec = NewVm(
        zone_uuid=args["zoneid"], service_offering_uuid=args["serviceofferingid"], template_uuid=args["templateid"],
        nics=_nic_requests(args), name=args.get("name"), display_name=args.get("displayname"),
        host_uuid=args.get("hostid") if ctx.caller.is_admin else None, start=args.get("startvm", True),
        account=args.get("account"), domain_uuid=args.get("domainid"),
        security_group_ids=tuple(args.get("securitygroupids", ())),
        security_group_names=tuple(args.get("securitygroupnames", ())),
        user_data=user_data(args["userdata"]) if "userdata" in args else None,
        keypairs=(*((args["keypair"],) if args.get("keypair") else ()), *args.get("keypairs", ())),
    )
    return _vm_job(vms.deploy(ctx.uow, ctx.caller, spec), create=True)


@command(
    "listVirtualMachines",
    "Lists VMs with their NICs and secondary IPs.",
    (
        uuid_param("id", "The ID of the VM"),
        str_param("name", "The VM name"),
        str_param("state", "The VM state"),
        uuid_param("zoneid", "The zone"),
        uuid_param("networkid", "VMs with a NIC in this network"),
        uuid_param("hostid", "VMs on this host (admin)"),
        TAGS_FILTER,
        *OWNER,
        *PAGING,
    ),
    answers=VIRTUAL_MACHINE,
)
def list_virtual_machines(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = VmFilter(
        owner=owner_filter(args), uuid=args.get("id"), zone_uuid=args.get("zoneid"), host_uuid=args.get("hostid"),
        network_uuid=args.get("networkid"), name=args.get("name"), state=args.get("state"),
        keyword=args.get("keyword"), page=page_of(args),
        tags=tuple(tag_pairs(args.get("tags", []), values_required=False)),
    )
    found, total = vm_list.list_virtual_machines(ctx.uow, ctx.caller, wanted)
    with ctx.uow.reading() as uow:
        views = with_tags(uow, "UserVm", [vm_view(v) for v in found])
    return ListReply("virtualmachine", views, total)


_ID = (uuid_param("id", "The ID of the VM", required=True),)


@command("startVirtualMachine", "Starts a stopped VM.", (*_ID, uuid_param("hostid", "Start on this host (admin)")),
         job=vm_answer, answers=VIRTUAL_MACHINE)
def start_virtual_machine(ctx: Context, args: dict[str, Any]) -> Reply:
    host = args.get("hostid") if ctx.caller.is_admin else None
    return _vm_job(vms.power(ctx.uow, ctx.caller, args["id"], "start", host))


@command("stopVirtualMachine", "Stops a running VM.", (*_ID, bool_param("forced", "Force stop")), job=vm_answer,
         answers=VIRTUAL_MACHINE)
def stop_virtual_machine(ctx: Context, args: dict[str, Any]) -> Reply:
    return _vm_job(vms.power(ctx.uow, ctx.caller, args["id"], "stop"))


@command("rebootVirtualMachine", "Reboots a running VM.", _ID, job=vm_answer, answers=VIRTUAL_MACHINE)
def reboot_virtual_machine(ctx: Context, args: dict[str, Any]) -> Reply:
    return _vm_job(vms.power(ctx.uow, ctx.caller, args["id"], "reboot"))


@command(
    "destroyVirtualMachine",
    "Destroys a VM; with expunge=true its addresses and rules are released at once.",
    (*_ID, bool_param("expunge", "Expunge immediately")),
    job=vm_answer,
    answers=VIRTUAL_MACHINE,
)
def destroy_virtual_machine(ctx: Context, args: dict[str, Any]) -> Reply:
    return _vm_job(vms.destroy(ctx.uow, ctx.caller, args["id"], args.get("expunge", False)))


@command("recoverVirtualMachine", "Recovers a destroyed (not expunged) VM, stopped.", _ID, answers=VIRTUAL_MACHINE)
def recover_virtual_machine(ctx: Context, args: dict[str, Any]) -> Reply:
    return ObjectReply("virtualmachine", vm_view(vms.recover(ctx.uow, ctx.caller, args["id"])))


@command("expungeVirtualMachine", "Expunges a destroyed VM: releases its addresses and rules.", _ID,
         roles=ADMINS, job=success)
def expunge_virtual_machine(ctx: Context, args: dict[str, Any]) -> Reply:
    return AsyncReply(vms.expunge(ctx.uow, ctx.caller, args["id"]))


_VM = uuid_param("virtualmachineid", "The ID of the VM", required=True)


@command(
    "addNicToVirtualMachine",
    "Adds a NIC in another network to a VM.",
    (_VM, uuid_param("networkid", "The network", required=True), str_param("ipaddress", "Its primary IPv4"),
     str_param("macaddress", "Its MAC address")),
    job=vm_answer,
    answers=VIRTUAL_MACHINE,
)
def add_nic_to_virtual_machine(ctx: Context, args: dict[str, Any]) -> Reply:
    request = NicRequest(args["networkid"], args.get("ipaddress"), None, args.get("macaddress"))
    return _vm_job(vms.add_nic(ctx.uow, ctx.caller, args["virtualmachineid"], request))


@command("removeNicFromVirtualMachine", "Removes a non-default NIC from a VM, releasing its addresses.",
         (_VM, uuid_param("nicid", "The NIC", required=True)), job=vm_answer, answers=VIRTUAL_MACHINE)
def remove_nic_from_virtual_machine(ctx: Context, args: dict[str, Any]) -> Reply:
    return _vm_job(vms.remove_nic(ctx.uow, ctx.caller, args["virtualmachineid"], args["nicid"]))


@command("updateDefaultNicForVirtualMachine", "Makes a NIC the VM's default NIC.",
         (_VM, uuid_param("nicid", "The NIC", required=True)), job=vm_answer, answers=VIRTUAL_MACHINE)
def update_default_nic(ctx: Context, args: dict[str, Any]) -> Reply:
    return _vm_job(vms.update_default_nic(ctx.uow, ctx.caller, args["virtualmachineid"], args["nicid"]))

