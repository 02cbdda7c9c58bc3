"""The command table: each command's name, parameters, handler and who may call it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nicstack.api.params import Param
from nicstack.api.replies import JsonObject, Reply
from nicstack.api.schema import SUCCESS, Kind
from nicstack.domain.access import Caller
from nicstack.domain.kinds import Role

if TYPE_CHECKING:
    from nicstack.api.context import Context

Handler = Callable[["Context", dict[str, Any]], Reply]
# How an async command's finished job answers: the job's typed value (and its caller) as the
# one-key jobresult object, e.g. {"nicsecondaryip": {...}} or {"success": True}.
JobAnswer = Callable[[Caller | None, Any], JsonObject]

# Every role of a cloud user; an agent's credentials are not one and get only what names them.
ALL_ROLES = frozenset({Role.USER, Role.ROOT_ADMIN, Role.DOMAIN_ADMIN})
ADMINS = frozenset({Role.ROOT_ADMIN, Role.DOMAIN_ADMIN})
ROOT = frozenset({Role.ROOT_ADMIN})
ROOT_OR_AGENT = frozenset({Role.ROOT_ADMIN, Role.AGENT})


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    description: str
    params: tuple[Param, ...]
    handler: Handler
    roles: frozenset[Role]
    response_key: str
    is_async: bool = False
    job: JobAnswer | None = None
    response_name: str | None = None
    # What it answers (an async command: what its job answers), as listApis describes it.
    answers: Kind | None = None


COMMANDS: dict[str, Command] = {}


def success(_caller: Caller | None, _value: object) -> JsonObject:
    """The answer of a job that reports only that it succeeded."""
    return {"success": True}


def command(
    name: str,
    description: str,
    params: tuple[Param, ...] = (),
    *,
    roles: frozenset[Role] = ALL_ROLES,
    response_key: str | None = None,
    job: JobAnswer | None = None,
    response_name: str | None = None,
    answers: Kind | None = None,
) -> Callable[[Handler], Handler]:
    """Register a handler under a CloudStack command name (case-sensitive)."""

    def register(handler: Handler) -> Handler:
        if name in COMMANDS:
            raise RuntimeError(f"command {name} registered twice")
        COMMANDS[name] = Command(
            name=name,
            description=description,
            params=params,
            handler=handler,
            roles=roles,
            response_key=response_key or f"{name.lower()}response",
            is_async=job is not None,
            job=job,
            response_name=response_name,
            answers=answers if answers is not None or job is not success else SUCCESS,
        )
        return handler

    return register
