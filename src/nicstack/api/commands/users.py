"""User commands beyond identity.py: enabling a user again (after failed logins disabled it)."""

from __future__ import annotations

from typing import Any

from nicstack.api import views_world as views
from nicstack.api.context import Context
from nicstack.api.params import uuid_param
from nicstack.api.registry import ADMINS, command
from nicstack.api.replies import ObjectReply, Reply
from nicstack.api.views_world import USER
from nicstack.services import logins


@command(
    "enableUser",
    "Enables a user account (also one that incorrect.login.attempts.allowed failed logins disabled)",
    (uuid_param("id", "The user ID", required=True),),
    roles=ADMINS,
    answers=USER,
)
def enable_user(ctx: Context, args: dict[str, Any]) -> Reply:
    return ObjectReply("user", views.user(logins.enable_user(ctx.uow, ctx.caller, args["id"])))
