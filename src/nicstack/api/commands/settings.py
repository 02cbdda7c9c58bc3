"""Configuration commands: listConfigurations and updateConfiguration (root admin)."""

from __future__ import annotations

from typing import Any

from nicstack.api import views_world as views
from nicstack.api.context import Context
from nicstack.api.params import str_param
from nicstack.api.registry import ROOT, command
from nicstack.api.replies import ObjectReply, Reply
from nicstack.api.scope import PAGING
from nicstack.api.views_world import CONFIGURATION
from nicstack.services import settings


@command(
    "listConfigurations",
    "Lists all configurations.",
    (
        str_param("name", "Lists configurations whose name contains this text"),
        str_param("category", "Lists configurations by category"),
        *PAGING,
    ),
    roles=ROOT,
    answers=CONFIGURATION,
)
def list_configurations(ctx: Context, args: dict[str, Any]) -> Reply:
    found = settings.list_configurations(ctx.uow, args.get("name"), args.get("category"))
    return views.listing("configuration", [views.configuration(s, value) for s, value in found], args)


@command(
    "updateConfiguration",
    "Updates a configuration.",
    (
        str_param("name", "The name of the configuration", required=True),
        str_param("value", "The value of the configuration", required=True, length=4096),
    ),
    roles=ROOT,
    answers=CONFIGURATION,
)
def update_configuration(ctx: Context, args: dict[str, Any]) -> Reply:
    setting, value = settings.update_configuration(ctx.uow, ctx.caller, args["name"], args["value"])
    return ObjectReply("configuration", views.configuration(setting, value))
