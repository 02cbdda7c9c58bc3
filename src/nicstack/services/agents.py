"""Data-plane agents: the target a request names, who may read it, agent credentials, reports and their state.

A target is a router ("router:<network or VPC uuid>") or a security-group host ("host:<uuid>").
An agent's credentials name exactly one; asked for any other, the agent gets the answer an unknown
uuid gets, so credentials stolen from one machine tell nothing about the others.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from dataclasses import dataclass

from nicstack.db.rows import now
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.credentials import new_key
from nicstack.domain.dataplane import DataplaneState, TargetState
from nicstack.domain.errors import ParameterError, UnknownEntity, Unsupported
from nicstack.domain.kinds import GuestType, Role

_DIGEST = re.compile(r"[0-9a-f]{64}")
# Router ids are derived from their target: nicstack's router is its network's (or VPC's) data plane.
_ROUTER_IDS = uuidlib.UUID("6e6e0b5e-8a1f-4c57-9d44-6e69637374a1")


@dataclass(frozen=True, slots=True)
class TargetRef:
    """How a request names a target: one of a host, a network (a VPC tier: its VPC's router) or a VPC."""

    host: str | None = None
    network: str | None = None
    vpc: str | None = None

    def param(self) -> tuple[str, str]:
        """The (parameter, value) an error names."""
        for name, value in (("hostid", self.host), ("networkid", self.network), ("vpcid", self.vpc)):
            if value is not None:
                return name, value
        raise ParameterError("Give exactly one of hostid, networkid or vpcid")


@dataclass(frozen=True, slots=True)
class AgentKeys:
    user_uuid: str
    username: str
    target: str
    api_key: str
    secret_key: str


def router_id(target: str) -> str:
    """The stable id listRouters shows for a router target."""
    return str(uuidlib.uuid5(_ROUTER_IDS, target))


def _router(uow: SqlUnitOfWork, network: str | None, vpc: str | None) -> str:
    if network is not None:
        net = uow.networks.network_by(uuid=network)
        if net is None:
            raise UnknownEntity("networkid", network)
        if net.vpc_uuid is not None:
            return f"router:{net.vpc_uuid}"
        if net.guest_type not in (GuestType.ISOLATED, GuestType.SHARED):
            raise Unsupported(f"Network {net.name} is a {net.guest_type} network: it has no virtual router")
        return f"router:{net.uuid}"
    assert vpc is not None
    found = uow.vpcs.vpc_by(uuid=vpc)
    if found is None:
        raise UnknownEntity("vpcid", vpc)
    return f"router:{found.uuid}"


def resolve(uow: SqlUnitOfWork, caller: Caller, ref: TargetRef) -> str:
    """The target `ref` names, if the caller may read it; UnknownEntity (as for an unknown uuid) otherwise."""
    given = [v for v in (ref.host, ref.network, ref.vpc) if v is not None]
    if len(given) != 1:
        raise ParameterError("Give exactly one of hostid, networkid or vpcid")
    param, value = ref.param()
    own = uow.agents.target_of(caller.user_id) if caller.role is Role.AGENT else None
    try:
        if ref.host is not None:
            host = uow.infra.host_by(uuid=ref.host)
            if host is None:
                raise UnknownEntity(param, value)
            target = f"host:{host.uuid}"
        else:
            target = _router(uow, ref.network, ref.vpc)
    except (UnknownEntity, Unsupported):
        if caller.role is Role.AGENT:
            raise UnknownEntity(param, value) from None
        raise
    if caller.role is Role.AGENT and target != own:
        raise UnknownEntity(param, value)
    return target


def create_agent(uow: SqlUnitOfWork, caller: Caller, ref: TargetRef) -> AgentKeys:
    """Credentials for the agent of one target; asked again for the same target, its keys are replaced."""
    with uow:
        target = resolve(uow, caller, ref)
        username = "agent-" + target.replace(":", "-")
        api_key, secret_key = new_key(), new_key()
        _, user_uuid = uow.agents.bind(target, username, api_key, secret_key)
        uow.events.record(caller, "AGENT.CREATE", f"Agent credentials issued for {target} (user {username})")
        return AgentKeys(user_uuid, username, target, api_key, secret_key)


def delete_agent(uow: SqlUnitOfWork, caller: Caller, ref: TargetRef) -> str:
    """Revoke the agent credentials of one target; ParameterError when it has none."""
    with uow:
        target = resolve(uow, caller, ref)
        if not uow.agents.unbind(target):
            raise ParameterError(f"{target} has no agent credentials")
        uow.events.record(caller, "AGENT.DELETE", f"Agent credentials of {target} revoked")
        return target


def report(uow: SqlUnitOfWork, caller: Caller, ref: TargetRef, generation: int, digest: str, agent: str,
           error: str | None) -> TargetState:
    """Store what an agent holds now. Raises ParameterError for a generation that was never published, or a
    digest that is not the published one of the newest generation (the agent must resynchronise)."""
    with uow:
        target = resolve(uow, caller, ref)
        state = uow.agents.states([target])[target]
        if generation > state.published:
            raise ParameterError(f"Generation {generation} of {target} was never published (the newest is "
                                 f"{state.published}): fetch the whole documents again")
        if digest and not _DIGEST.fullmatch(digest):
            raise ParameterError(f"Invalid digest {digest!r}: give the 64 hex digits of the applied content")
        if generation == state.published and generation > 0 and digest != state.digest:
            raise ParameterError(f"Digest {digest} is not the digest of generation {generation} of {target}: fetch "
                                 "the whole documents again")
        uow.agents.record(target, generation, digest, agent or "unnamed agent", error)
        return uow.agents.states([target])[target]


def states(uow: SqlUnitOfWork, targets: list[str]) -> dict[str, TargetState]:
    with uow.reading():
        return uow.agents.states(targets)


def summary(state: TargetState | None) -> DataplaneState:
    return DataplaneState.NO_AGENT if state is None else state.summary(now())


def published(uow: SqlUnitOfWork, targets: set[str]) -> dict[str, int]:
    """The published generation of each target that has one (what parked long polls watch)."""
    with uow.reading():
        return uow.agents.generations(targets)


def authorized(uow: SqlUnitOfWork, caller: Caller, ref: TargetRef) -> str:
    """The target `ref` names, if the caller may read it (see `resolve`)."""
    with uow.reading():
        return resolve(uow, caller, ref)
