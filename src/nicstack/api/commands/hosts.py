"""Commands about what runs where: migrateVirtualMachine, and getHostConfig (a host's security-group documents)."""

from __future__ import annotations

from typing import Any

from nicstack.api.commands.nics import vm_answer
from nicstack.api.context import Context
from nicstack.api.params import int_param, uuid_param
from nicstack.api.registry import ROOT, command
from nicstack.api.replies import AsyncReply, ObjectReply, Reply
from nicstack.api.views_guest import host_config_view
from nicstack.services import host_publish, vm_updates


@command(
    "migrateVirtualMachine",
    "Moves a running VM to another host of its zone (same hypervisor; Basic zone: same pod).",
    (uuid_param("virtualmachineid", "The ID of the VM", required=True),
     uuid_param("hostid", "The destination host (default: the least loaded one the VM may use)")),
    roles=ROOT,
    job=vm_answer,
)
def migrate_virtual_machine(ctx: Context, args: dict[str, Any]) -> Reply:
    started = vm_updates.migrate_virtual_machine(ctx.uow, ctx.caller, args["virtualmachineid"], args.get("hostid"))
    return AsyncReply(started.job)


@command(
    "getHostConfig",
    "A KVM or XenServer host's security-group state: whole ipset/iptables/ip6tables/ebtables documents and its "
    "generation, or with sincegeneration only the change lines since then when they are all still kept.",
    (uuid_param("hostid", "The host", required=True),
     int_param("sincegeneration", "The generation the host has loaded")),
    roles=ROOT,
)
def get_host_config(ctx: Context, args: dict[str, Any]) -> Reply:
    config = host_publish.get_host_config(ctx.uow, args["hostid"], args.get("sincegeneration"))
    return ObjectReply("hostconfig", host_config_view(config))
