"""Catalogue commands clients read: listDiskOfferings, listOsTypes, listHypervisors."""

from __future__ import annotations

from typing import Any

from nicstack.api.context import Context
from nicstack.api.params import str_param, uuid_param
from nicstack.api.registry import command
from nicstack.api.replies import Reply
from nicstack.api.schema import kind
from nicstack.api.scope import PAGING
from nicstack.api.views import wire_date
from nicstack.api.views_world import listing
from nicstack.services import catalog

DISK_OFFERING = kind("diskoffering", {
    "id": "string",
    "name": "string",
    "displaytext": "string",
    "disksize": "integer",
    "iscustomized": "boolean",
    "storagetype": "string",
    "provisioningtype": "string",
    "created": "date",
    "displayoffering": "boolean",
    "cacheMode": "string",
})


OS_TYPE = kind("ostype", {
    "id": "string",
    "description": "string",
    "name": "string",
    "oscategoryname": "string",
    "isuserdefined": "boolean",
    "fordisplay": "boolean",
})


HYPERVISOR = kind("hypervisor", {
    "name": "string",
})



@command(
    "listDiskOfferings",
    "Lists the disk offerings (CloudStack's seeded Small, Medium, Large and Custom).",
    (uuid_param("id", "The disk offering"), str_param("name", "The offering's name"),
     uuid_param("zoneid", "Offerings of this zone (all are)"), *PAGING),
    answers=DISK_OFFERING,
)
def list_disk_offerings(ctx: Context, args: dict[str, Any]) -> Reply:
    found = catalog.list_disk_offerings(ctx.uow, args.get("id"), args.get("name"), args.get("keyword"),
                                        args.get("zoneid"))
    items = [
        {"id": o["uuid"], "name": o["name"], "displaytext": o["display_text"], "disksize": o["disk_size"],
         "iscustomized": o["is_customized"], "storagetype": o["storage_type"], "provisioningtype": "thin",
         "created": wire_date(o["created"]), "displayoffering": True, "cacheMode": "none"}
        for o in found
    ]
    return listing("diskoffering", items, args)


@command(
    "listOsTypes",
    "Lists the OS types: those of the templates, and CloudStack's generic ones.",
    (uuid_param("id", "The OS type"), str_param("description", "The OS type's description"), *PAGING),
    answers=OS_TYPE,
)
def list_os_types(ctx: Context, args: dict[str, Any]) -> Reply:
    found = catalog.list_os_types(ctx.uow, args.get("id"), args.get("description"), args.get("keyword"))
    items = [{"id": o.uuid, "description": o.description, "name": o.description, "oscategoryname": o.category,
              "isuserdefined": False, "fordisplay": True} for o in found]
    return listing("ostype", items, args)


@command(
    "listHypervisors",
    "Lists the hypervisors of the zone's hosts (KVM when there are no hosts yet).",
    (uuid_param("zoneid", "Hypervisors of this zone"),),
    answers=HYPERVISOR,
)
def list_hypervisors(ctx: Context, args: dict[str, Any]) -> Reply:
    names = catalog.list_hypervisors(ctx.uow, args.get("zoneid"))
    return listing("hypervisor", [{"name": n} for n in names], args)
