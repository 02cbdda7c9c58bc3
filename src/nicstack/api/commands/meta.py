"""What the server offers: listCapabilities and listApis."""

from __future__ import annotations

from typing import Any

from nicstack.api import views_world as views
from nicstack.api.context import Context
from nicstack.api.params import str_param
from nicstack.api.registry import COMMANDS, command
from nicstack.api.replies import ObjectReply, Reply
from nicstack.api.schema import kind
from nicstack.api.views_world import API
from nicstack.domain.errors import ParameterError
from nicstack.services import infrastructure

# CloudStack's default throttling settings; nicstack does not throttle, and clients only show them.
API_LIMIT_INTERVAL = 1
API_LIMIT_MAX = 25


CAPABILITY = kind("capability", {
    "cloudstackversion": "string",
    "securitygroupsenabled": "boolean",
    "userpublictemplateenabled": "boolean",
    "supportELB": "string",
    "projectinviterequired": "boolean",
    "allowusercreateprojects": "boolean",
    "customdiskofferingminsize": "integer",
    "customdiskofferingmaxsize": "integer",
    "kvmsnapshotenabled": "boolean",
    "regionsecondaryenabled": "boolean",
    "dynamicrolesenabled": "boolean",
    "allowuserviewdestroyedvm": "boolean",
    "allowuserexpungerecovervm": "boolean",
    "apilimitinterval": "integer",
    "apilimitmax": "integer",
})



@command("listCapabilities", "Lists capabilities", answers=CAPABILITY)
def list_capabilities(ctx: Context, args: dict[str, Any]) -> Reply:
    return ObjectReply(
        "capability",
        {
            "cloudstackversion": f"{views.VERSION} (nicstack)",
            "securitygroupsenabled": infrastructure.security_groups_enabled(ctx.uow),
            "userpublictemplateenabled": True,
            # A string in CloudStack's response (and in cloudstack-go's struct), not a boolean.
            "supportELB": "false",
            "projectinviterequired": False,
            "allowusercreateprojects": False,
            "customdiskofferingminsize": 1,
            "customdiskofferingmaxsize": 1024,
            "kvmsnapshotenabled": False,
            "regionsecondaryenabled": False,
            "dynamicrolesenabled": False,
            "allowuserviewdestroyedvm": False,
            # Users may destroy with expunge=true and recover their VMs here (spec 03, scenario 20): say so, as
            # CloudStack does with allow.user.expunge.recover.vm=true.
            "allowuserexpungerecovervm": True,
            "apilimitinterval": API_LIMIT_INTERVAL,
            "apilimitmax": API_LIMIT_MAX,
        },
    )


@command("listApis", "Lists all available APIs and their parameters", (str_param("name", "API name"),), answers=API)
def list_apis(ctx: Context, args: dict[str, Any]) -> Reply:
    visible = sorted((c for c in COMMANDS.values() if ctx.caller.role in c.roles), key=lambda c: c.name)
    if "name" in args:
        visible = [c for c in visible if c.name == args["name"]]
        if not visible:
            raise ParameterError(f"No API named {args['name']!r} is available to the caller")
    relations = views.related(COMMANDS.values())
    return views.listing("api", [views.api(c, relations) for c in visible], {})
