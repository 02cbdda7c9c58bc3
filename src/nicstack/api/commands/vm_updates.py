"""updateVirtualMachine (display name, user data, security groups) and getVirtualMachineUserData."""

from __future__ import annotations

from typing import Any

from nicstack.api.context import Context
from nicstack.api.params import list_param, str_param, user_data_param, uuid_list_param, uuid_param
from nicstack.api.registry import command
from nicstack.api.replies import ObjectReply, Reply
from nicstack.api.schema import kind
from nicstack.api.views import VIRTUAL_MACHINE, vm_view
from nicstack.domain.values import user_data
from nicstack.services import vm_updates

VM_USER_DATA = kind("virtualmachineuserdata", {
    "virtualmachineid": "string",
    "userdata": "string",
})



@command(
    "updateVirtualMachine",
    "Updates a VM's display name and, while it is stopped, its security groups.",
    (uuid_param("id", "The ID of the VM", required=True), str_param("displayname", "The new display name"),
     uuid_list_param("securitygroupids", "The VM's security groups by ID (replaces its groups)"),
     list_param("securitygroupnames", "The VM's security groups by name (replaces its groups)"),
     user_data_param("The new user data, base64; empty removes it")),
    answers=VIRTUAL_MACHINE,
)
def update_virtual_machine(ctx: Context, args: dict[str, Any]) -> Reply:
    new_data = user_data(args["userdata"]) if args.get("userdata") else ("" if "userdata" in args else None)
    vm = vm_updates.update_virtual_machine(ctx.uow, ctx.caller, args["id"], args.get("displayname"),
                                           args.get("securitygroupids"), args.get("securitygroupnames"), new_data)
    return ObjectReply("virtualmachine", vm_view(vm))


@command("getVirtualMachineUserData", "Returns the user data of a VM (base64).",
         (uuid_param("virtualmachineid", "The ID of the VM", required=True),), answers=VM_USER_DATA)
def get_virtual_machine_user_data(ctx: Context, args: dict[str, Any]) -> Reply:
    vm, data = vm_updates.user_data_of(ctx.uow, ctx.caller, args["virtualmachineid"])
    return ObjectReply("virtualmachineuserdata", {"virtualmachineid": vm.uuid, "userdata": data})
