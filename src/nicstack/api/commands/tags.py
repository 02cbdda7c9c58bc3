"""Resource tag commands: createTags, deleteTags, listTags (CloudStack's resource types and keys)."""

from __future__ import annotations

from typing import Any

from nicstack.api.context import Context
from nicstack.api.params import list_param, map_param, str_param
from nicstack.api.registry import command, success
from nicstack.api.replies import AsyncReply, ListReply, Reply
from nicstack.api.scope import OWNER, PAGING, owner_filter, page_of
from nicstack.api.tagging import TAG, tag_view
from nicstack.domain.tags import tag_pairs
from nicstack.services import tags
from nicstack.services.tags import TagChange, TagFilter

_RESOURCES = (
    list_param("resourceids", "The resources' uuids", required=True),
    str_param("resourcetype", "UserVm, Network, Vpc, PublicIpAddress, PortForwardingRule, LoadBalancer, FirewallRule "
              "or SecurityGroup (any case)", required=True),
)


@command(
    "createTags",
    "Tags resources: every tags[n].key/value pair on every resource, all or none.",
    (*_RESOURCES, map_param("tags", "The tags: tags[0].key=<key>&tags[0].value=<value>", required=True),
     str_param("customer", "The customer of the tags (stored and shown)")),
    job=success,
)
def create_tags(ctx: Context, args: dict[str, Any]) -> Reply:
    change = TagChange(args["resourcetype"], args["resourceids"], tag_pairs(args["tags"], values_required=True),
                       args.get("customer"))
    return AsyncReply(tags.create_tags(ctx.uow, ctx.caller, change))


@command(
    "deleteTags",
    "Deletes tags of resources: those given (by key, and value where given), or all of them without tags.",
    (*_RESOURCES, map_param("tags", "The tags to delete: tags[0].key=<key>(&tags[0].value=<value>)")),
    job=success,
)
def delete_tags(ctx: Context, args: dict[str, Any]) -> Reply:
    change = TagChange(args["resourcetype"], args["resourceids"],
                       tag_pairs(args.get("tags", []), values_required=False))
    return AsyncReply(tags.delete_tags(ctx.uow, ctx.caller, change))


@command(
    "listTags",
    "Lists resource tags.",
    (
        str_param("resourceid", "Tags of this resource (its uuid)"),
        str_param("resourcetype", "Tags of this resource type"),
        str_param("key", "Tags with this key"),
        str_param("value", "Tags with this value"),
        str_param("customer", "Tags of this customer"),
        *OWNER,
        *PAGING,
    ),
    answers=TAG,
)
def list_tags(ctx: Context, args: dict[str, Any]) -> Reply:
    wanted = TagFilter(
        owner=owner_filter(args), resource_type=args.get("resourcetype"), resource_uuid=args.get("resourceid"),
        key=args.get("key"), value=args.get("value"), customer=args.get("customer"), keyword=args.get("keyword"),
        page=page_of(args),
    )
    found, total = tags.list_tags(ctx.uow, ctx.caller, wanted)
    return ListReply("tag", [tag_view(tag) for tag in found], total)
