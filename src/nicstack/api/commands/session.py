"""UI sessions: logout (login is answered before authentication, in api/logins.py)."""

from __future__ import annotations

from typing import Any

from nicstack.api.context import Context
from nicstack.api.params import str_param
from nicstack.api.registry import command
from nicstack.api.replies import RawReply, Reply
from nicstack.api.schema import kind
from nicstack.services import identity

# What logout answers (CloudStack's LogoutCmdResponse).
LOGOUT = kind("logout", {"description": "string"}, about={"description": "success if the session ended"}, flat=True)



@command(
    "logout",
    "Logs out the user",
    (str_param("sessionkey", "The session to end (sent by the UI with every call)"),),
    answers=LOGOUT,
)
def logout(ctx: Context, args: dict[str, Any]) -> Reply:
    identity.logout(ctx.uow, ctx.caller, args.get("sessionkey"))
    return RawReply({"description": "success"})
