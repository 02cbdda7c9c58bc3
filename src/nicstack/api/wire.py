"""Turn a parsed request into a JSON reply: authenticate, dispatch, map errors to envelopes."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from nicstack.api import auth
from nicstack.api.context import Context
from nicstack.api.params import parse
from nicstack.api.registry import COMMANDS, Command
from nicstack.api.replies import AsyncReply, JsonObject, WaitReply, render
from nicstack.api.runtime import Runtime
from nicstack.db.repos import config
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import (
    AuthenticationFailed,
    CloudError,
    InternalError,
    MissingParameter,
    UnknownEntity,
    Unsupported,
)
from nicstack.domain.policy import EXPIRES_MAX_KEY, EXPIRES_REQUIRED_KEY

log = logging.getLogger("nicstack.api")

UNKNOWN_COMMAND = "The given command does not exist or it is not available for user"
SESSION_COOKIE = "JSESSIONID"


@dataclass
class Answer:
    status: int
    body: JsonObject
    cookies: dict[str, str | None] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    # For the request's log line and metrics: who called, and why it was refused.
    caller: Caller | None = None
    error: CloudError | None = None
    # Set when the command answered with a WaitReply: the app waits, then calls `resumed`.
    waiting: WaitReply | None = None


def error_body(key: str, exc: CloudError, command: str) -> JsonObject:
    text = exc.text
    # CloudStack names the command by its response name less "response" (AddIpToVmNicCmd: addiptovmnic).
    lowered = key.removesuffix("response") if key.endswith("response") else command.lower()
    if isinstance(exc, MissingParameter):
        text = f"Unable to execute API command {lowered} due to missing parameter {exc.param}"
    elif isinstance(exc, UnknownEntity):
        text = (
            f"Unable to execute API command {lowered} due to invalid value. Invalid parameter {exc.param} "
            f"value={exc.value} due to incorrect long value format, or entity does not exist or due to "
            "incorrect parameter annotation for the field in api cmd class."
        )
    return {key: exc.envelope(text)}


def response_key(name: str) -> str:
    known = COMMANDS.get(name)
    return known.response_key if known else f"{name.lower()}response"


def _authenticate(rt: Runtime, params: Mapping[str, str], cookies: Mapping[str, str]) -> Caller:
    session_key = params.get("sessionkey")
    if session_key:
        cookie = cookies.get(SESSION_COOKIE)
        if cookie is None:
            raise AuthenticationFailed
        uow = SqlUnitOfWork(rt.db)
        with uow.reading():
            return auth.by_session(uow, session_key, cookie)
    return auth.by_signature(rt.keys.user, params, replay_policy(rt.db.engine))


def replay_policy(engine: Engine) -> auth.ReplayPolicy:
    """The settings api.signature.expires.*, as cached by the configuration repository."""
    ahead = int(config.current(engine, EXPIRES_MAX_KEY))
    return auth.ReplayPolicy(config.current(engine, EXPIRES_REQUIRED_KEY) == "true",
                             timedelta(seconds=ahead) if ahead > 0 else None)


def handle(rt: Runtime, params: Mapping[str, str], cookies: Mapping[str, str]) -> Answer:
    """Answer one API request (`login` has its own way: api/logins.py); never raises."""
    name = params.get("command", "")
    key = response_key(name)
    caller: Caller | None = None
    try:
        caller = _authenticate(rt, params, cookies)
        command = COMMANDS.get(name)
        if command is None or caller.role not in command.roles:
            raise Unsupported(UNKNOWN_COMMAND)
        answer = _dispatch(rt, caller, command, params)
        answer.caller = caller
        return answer
    except CloudError as exc:
        return Answer(exc.code, error_body(key, exc, name), caller=caller, error=exc)
    except Exception:
        log.exception("command %s failed", name)
        return internal_error(name, caller)


def refused(name: str, exc: CloudError) -> Answer:
    """The error answer for a request refused before it reached its command."""
    return Answer(exc.code, error_body(response_key(name), exc, name), error=exc)


def resumed(name: str, waiting: WaitReply, caller: Caller | None = None) -> Answer:
    """The answer of a command that waited; never raises."""
    key = response_key(name)
    try:
        return Answer(200, {key: render(waiting.resume())}, caller=caller)
    except CloudError as exc:
        return Answer(exc.code, error_body(key, exc, name), caller=caller, error=exc)
    except Exception:
        log.exception("command %s failed after waiting", name)
        return internal_error(name, caller)


def internal_error(name: str, caller: Caller | None = None) -> Answer:
    """The answer to a command that failed on our side; what it did was rolled back."""
    internal = InternalError(f"Internal error executing command {name}; the server log has the details")
    return Answer(internal.code, error_body(response_key(name), internal, name), caller=caller, error=internal)


def _dispatch(rt: Runtime, caller: Caller, command: Command, params: Mapping[str, str]) -> Answer:
    args: dict[str, Any] = parse(command.params, params)
    ctx = Context(rt, caller, command.name)
    reply = command.handler(ctx, args)
    if isinstance(reply, WaitReply):
        return Answer(200, {}, waiting=reply)
    if isinstance(reply, AsyncReply) and not command.is_async:
        raise InternalError(f"{command.name} answered a job but is not asynchronous")
    answer = Answer(200, {command.response_key: render(reply)})
    if command.name == "logout":
        answer.cookies = {SESSION_COOKIE: None, "sessionkey": None}
    return answer
