"""Data-plane agent commands: credentials for one router's or host's agent, and the agent's report."""

from __future__ import annotations

from typing import Any

from nicstack.api.context import Context
from nicstack.api.params import Param, int_param, str_param, uuid_param
from nicstack.api.registry import ROOT, ROOT_OR_AGENT, command
from nicstack.api.replies import ObjectReply, Reply, SuccessReply
from nicstack.api.schema import SUCCESS, kind
from nicstack.api.views_dataplane import DATAPLANE, dataplane_view
from nicstack.services import agents
from nicstack.services.agents import TargetRef

_TARGET: tuple[Param, ...] = (
    uuid_param("hostid", "A KVM or XenServer host (its security-group agent)"),
    uuid_param("networkid", "An isolated or shared network (a VPC tier: its VPC's router)"),
    uuid_param("vpcid", "A VPC (its router)"),
)


def _ref(args: dict[str, Any]) -> TargetRef:
    return TargetRef(args.get("hostid"), args.get("networkid"), args.get("vpcid"))


AGENT = kind("agent", {
    "id": "string",
    "username": "string",
    "target": "string",
    "targettype": "string",
    "targetid": "string",
    "apikey": "string",
    "secretkey": "string",
})


DATAPLANE_STATUS = kind("dataplanestatus", {
    "target": "string",
    **DATAPLANE,
    "applieddigest": "string",
})



@command(
    "createAgent",
    "Issues API credentials for the data-plane agent of one router or host: they may read that target's "
    "documents and report on them, nothing else. Asked again for the same target, the keys are replaced (the old "
    "ones stop working). Give exactly one of hostid, networkid or vpcid.",
    _TARGET,
    roles=ROOT,
    answers=AGENT,
)
def create_agent(ctx: Context, args: dict[str, Any]) -> Reply:
    keys = agents.create_agent(ctx.uow, ctx.caller, _ref(args))
    kind, uuid = keys.target.split(":", 1)
    return ObjectReply("agent", {
        "id": keys.user_uuid, "username": keys.username, "target": keys.target, "targettype": kind,
        "targetid": uuid, "apikey": keys.api_key, "secretkey": keys.secret_key,
    })


@command(
    "deleteAgent",
    "Revokes the credentials of one router's or host's data-plane agent. Give exactly one of hostid, networkid "
    "or vpcid.",
    _TARGET,
    roles=ROOT,
    answers=SUCCESS,
)
def delete_agent(ctx: Context, args: dict[str, Any]) -> Reply:
    target = agents.delete_agent(ctx.uow, ctx.caller, _ref(args))
    return SuccessReply(text=f"Agent credentials of {target} revoked")


@command(
    "reportAppliedConfig",
    "An agent reports the generation and digest of the documents it holds applied, and the error of its last "
    "attempt if it failed; every report is also its heartbeat. Give exactly one of hostid, networkid or vpcid.",
    (
        *_TARGET,
        int_param("generation", "The generation applied (0: none yet)", required=True),
        str_param("digest", "The digest of the generation applied (getRouterConfig / getHostConfig give it)",
                  length=64),
        str_param("agent", "The agent's name, e.g. its host name and process id"),
        str_param("error", "Why the last apply failed (absent: it succeeded)", length=4096),
    ),
    roles=ROOT_OR_AGENT,
    answers=DATAPLANE_STATUS,
)
def report_applied_config(ctx: Context, args: dict[str, Any]) -> Reply:
    state = agents.report(ctx.uow, ctx.caller, _ref(args), args["generation"], args.get("digest") or "",
                          args.get("agent") or "", args.get("error") or None)
    return ObjectReply("dataplanestatus", {"target": state.target, **dataplane_view(state)})
