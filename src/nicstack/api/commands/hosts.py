"""Commands about what runs where: migrateVirtualMachine, and getHostConfig (a host's security-group documents)."""

from __future__ import annotations

from typing import Any

from nicstack.api.commands.nics import vm_answer
from nicstack.api.context import Context
from nicstack.api.longpoll_params import LONG_POLL, waiting
from nicstack.api.params import uuid_param
from nicstack.api.registry import ROOT, ROOT_OR_AGENT, command
from nicstack.api.replies import AsyncReply, ObjectReply, Reply
from nicstack.api.views import VIRTUAL_MACHINE
from nicstack.api.views_dataplane import dataplane_view
from nicstack.api.views_guest import HOST_CONFIG, host_config_view
from nicstack.services import agents, host_publish, vm_updates
from nicstack.services.agents import TargetRef


@command(
    "migrateVirtualMachine",
    "Moves a running VM to another host of its zone (same hypervisor; Basic zone: same pod).",
    (uuid_param("virtualmachineid", "The ID of the VM", required=True),
     uuid_param("hostid", "The destination host (default: the least loaded one the VM may use)")),
    roles=ROOT,
    job=vm_answer,
    answers=VIRTUAL_MACHINE,
)
def migrate_virtual_machine(ctx: Context, args: dict[str, Any]) -> Reply:
    started = vm_updates.migrate_virtual_machine(ctx.uow, ctx.caller, args["virtualmachineid"], args.get("hostid"))
    return AsyncReply(started.job)


@command(
    "getHostConfig",
    "A KVM or XenServer host's security-group state: whole ipset/iptables/ip6tables/ebtables/vifs documents and "
    "its generation, or with sincegeneration only the change lines since then when they are all still kept; "
    "with wait the call returns as soon as a newer generation is published, or after that many seconds. Also "
    "what the host's agent applied.",
    (uuid_param("hostid", "The host", required=True), *LONG_POLL),
    roles=ROOT_OR_AGENT,
    answers=HOST_CONFIG,
)
def get_host_config(ctx: Context, args: dict[str, Any]) -> Reply:
    target = agents.authorized(ctx.uow, ctx.caller, TargetRef(host=args["hostid"]))

    def answer() -> ObjectReply:
        config = host_publish.get_host_config(ctx.uow, args["hostid"], args.get("sincegeneration"))
        state = agents.states(ctx.uow, [target]).get(target)
        # The digest belongs to the generation shown only when nothing was published in between.
        digest = state.digest if state is not None and state.published == config.generation else None
        return ObjectReply("hostconfig", {**host_config_view(config), "digest": digest, **dataplane_view(state)})

    return waiting(ctx.uow, target, args, answer) or answer()
