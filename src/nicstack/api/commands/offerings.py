"""Catalogue commands: network offerings, service offerings and templates."""

from __future__ import annotations

from typing import Any

from nicstack.api import views_world as views
from nicstack.api.context import Context
from nicstack.api.params import bool_param, str_param, uuid_param
from nicstack.api.registry import command
from nicstack.api.replies import Reply
from nicstack.api.scope import PAGING
from nicstack.api.views_world import NETWORK_OFFERING, SERVICE_OFFERING, TEMPLATE
from nicstack.domain.model import Zone
from nicstack.services import offerings
from nicstack.services.offerings import NetworkOfferingFilter, ServiceOfferingFilter, TemplateFilter


@command(
    "listNetworkOfferings",
    "Lists all available network offerings.",
    (
        uuid_param("id", "List network offerings by ID"),
        str_param("name", "List network offerings by name"),
        str_param("guestiptype", "List network offerings by guest type: Shared, Isolated or L2"),
        bool_param("forvpc", "True to list only offerings usable for VPC tiers"),
        uuid_param("zoneid", "List network offerings available in the zone"),
        str_param("state", "List network offerings by state (Enabled, Disabled, All)"),
        bool_param("isdefault", "True to list only default offerings"),
        *PAGING,
    ),
    answers=NETWORK_OFFERING,
)
def list_network_offerings(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = NetworkOfferingFilter(
        uuid=args.get("id"), zone_uuid=args.get("zoneid"), name=args.get("name"), guest_type=args.get("guestiptype"),
        for_vpc=args.get("forvpc"), is_default=args.get("isdefault"), state=args.get("state"),
        keyword=args.get("keyword"),
    )
    found = offerings.list_network_offerings(ctx.uow, wanted)
    return views.listing("networkoffering", [views.network_offering(o) for o in found], args)


@command(
    "listServiceOfferings",
    "Lists all available service offerings.",
    (
        uuid_param("id", "ID of the service offering"),
        str_param("name", "Name of the service offering"),
        *PAGING,
    ),
    answers=SERVICE_OFFERING,
)
def list_service_offerings(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = ServiceOfferingFilter(uuid=args.get("id"), name=args.get("name"), keyword=args.get("keyword"))
    found = offerings.list_service_offerings(ctx.uow, wanted)
    return views.listing("serviceoffering", [views.service_offering(o) for o in found], args)


@command(
    "listTemplates",
    "List all public, private, and privileged templates.",
    (
        str_param(
            "templatefilter",
            "featured, self, selfexecutable, sharedexecutable, executable, community or all",
            required=True,
        ),
        uuid_param("id", "The template ID"),
        str_param("name", "The template name"),
        uuid_param("zoneid", "List templates by zone ID"),
        str_param("hypervisor", "The hypervisor for which to restrict the search (ignored)"),
        *PAGING,
    ),
    answers=TEMPLATE,
)
def list_templates(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = TemplateFilter(
        which=args["templatefilter"], uuid=args.get("id"), zone_uuid=args.get("zoneid"), name=args.get("name"),
        keyword=args.get("keyword"),
    )
    found = offerings.list_templates(ctx.uow, ctx.caller, wanted)
    # Cross-zone templates are listed once per zone, as CloudStack does.
    places: list[Zone | None] = [*found.zones] or [None]
    items = [views.template(tpl, z, found.owner) for tpl in found.templates for z in places]
    return views.listing("template", items, args)
