"""listVolumes: each VM's ROOT volume (CloudStack's VolumeResponse), so clients that read disks work."""

from __future__ import annotations

from typing import Any

from nicstack.api.context import Context
from nicstack.api.params import str_param, uuid_param
from nicstack.api.registry import command
from nicstack.api.replies import JsonObject, Reply
from nicstack.api.schema import kind
from nicstack.api.scope import OWNER, PAGING, owner_filter
from nicstack.api.tagging import TAGS
from nicstack.api.views import wire_date
from nicstack.api.views_world import listing
from nicstack.services import volumes
from nicstack.services.volumes import RootVolume, VolumeFilter


def volume_view(vol: RootVolume) -> JsonObject:
    vm = vol.vm
    return {
        "id": vol.uuid, "name": vol.name, "type": "ROOT", "deviceid": 0, "size": vol.size, "state": "Ready",
        "zoneid": vm.zone_uuid, "zonename": vm.zone_name, "virtualmachineid": vm.uuid, "vmname": vm.name,
        "vmdisplayname": vm.display_name, "vmstate": str(vm.state), "hypervisor": str(vm.hypervisor),
        "serviceofferingid": vm.service_offering_uuid, "serviceofferingname": vm.service_offering_name,
        "templateid": vm.template_uuid, "templatename": vm.template_name, "storagetype": "shared",
        "provisioningtype": "thin", "created": wire_date(vm.created), "attached": wire_date(vm.created),
        "destroyed": False, "isextractable": False, "displayvolume": True, "account": vm.account_name,
        "domainid": vm.domain_uuid, "domain": vm.domain_name, "tags": [],
    }


VOLUME = kind("volume", {
    "id": "string",
    "name": "string",
    "type": "string",
    "deviceid": "integer",
    "size": "integer",
    "state": "string",
    "zoneid": "string",
    "zonename": "string",
    "virtualmachineid": "string",
    "vmname": "string",
    "vmdisplayname": "string",
    "vmstate": "string",
    "hypervisor": "string",
    "serviceofferingid": "string",
    "serviceofferingname": "string",
    "templateid": "string",
    "templatename": "string",
    "storagetype": "string",
    "provisioningtype": "string",
    "created": "date",
    "attached": "date",
    "destroyed": "boolean",
    "isextractable": "boolean",
    "displayvolume": "boolean",
    "account": "string",
    "domainid": "string",
    "domain": "string",
    "tags": TAGS,
})



@command(
    "listVolumes",
    "Lists volumes: here each VM's ROOT volume, from its template and service offering.",
    (
        uuid_param("id", "The volume"),
        uuid_param("virtualmachineid", "The volumes of this VM"),
        str_param("type", "ROOT or DATADISK (there are no data disks here)"),
        uuid_param("zoneid", "Volumes in this zone"),
        str_param("name", "The volume's name"),
        *OWNER,
        *PAGING,
    ),
    answers=VOLUME,
)
def list_volumes(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = VolumeFilter(
        uuid=args.get("id"), vm_uuid=args.get("virtualmachineid"), kind=args.get("type"),
        zone_uuid=args.get("zoneid"), name=args.get("name"), keyword=args.get("keyword"), owner=owner_filter(args),
    )
    return listing("volume", [volume_view(v) for v in volumes.list_volumes(ctx.uow, ctx.caller, wanted)], args)
