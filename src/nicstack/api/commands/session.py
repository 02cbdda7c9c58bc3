"""UI sessions: login (answered before authentication) and logout."""

from __future__ import annotations

import re
import uuid as uuidlib
from collections.abc import Mapping
from typing import Any

from nicstack.api.context import Context
from nicstack.api.params import str_param
from nicstack.api.registry import command
from nicstack.api.replies import RawReply, Reply
from nicstack.api.runtime import Runtime
from nicstack.api.wire import SESSION_COOKIE, Answer
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.errors import AuthenticationFailed, MissingParameter
from nicstack.services import identity

# Longer values are not credentials anyone was given: refuse them before hashing.
_MAX_FIELD = 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _get(params: Mapping[str, str], name: str) -> str | None:
    """Parameter names are case-insensitive (`domainId` or `domainid`); the first spelling wins."""
    for key, value in params.items():
        if key.lower() == name.lower():
            return value
    return None


def login(rt: Runtime, params: Mapping[str, str]) -> Answer:
    """Check a username and password and open a UI session (401 AuthenticationFailed otherwise)."""
    username, password = _get(params, "username"), _get(params, "password")
    if not username:
        raise MissingParameter("username")
    if not password:
        raise MissingParameter("password")
    domain, domain_uuid = _get(params, "domain") or "/", _get(params, "domainId") or None
    for value in (username, domain, domain_uuid or ""):
        # No account has such a name, and some databases refuse NUL in a query: say "no" early.
        if len(value) > _MAX_FIELD or _CONTROL.search(value):
            raise AuthenticationFailed
    if len(password) > _MAX_FIELD:
        raise AuthenticationFailed
    if domain_uuid is not None:
        try:
            domain_uuid = str(uuidlib.UUID(domain_uuid))
        except ValueError:
            raise AuthenticationFailed from None
    session = identity.login(SqlUnitOfWork(rt.db), username, password, domain, domain_uuid)
    user = session.user
    body = {
        "timeout": session.timeout, "sessionkey": session.key, "username": user.username, "userid": user.uuid,
        "domainid": user.account.domain_uuid, "account": user.account.name, "type": str(int(user.account.role)),
        "firstname": user.firstname, "lastname": user.lastname, "registered": "false",
    }
    # The cookie carries the CSRF token, the parameter the session key: a forged cross-site
    # request has the cookie but cannot know the key (auth.by_session checks both).
    return Answer(200, {"loginresponse": body}, {SESSION_COOKIE: session.csrf_token, "sessionkey": session.key})


@command(
    "logout",
    "Logs out the user",
    (str_param("sessionkey", "The session to end (sent by the UI with every call)"),),
)
def logout(ctx: Context, args: dict[str, Any]) -> Reply:
    identity.logout(ctx.uow, ctx.caller, args.get("sessionkey"))
    return RawReply({"description": "success"})
