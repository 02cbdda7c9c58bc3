"""Tags on the wire: `tags` in the responses of taggable resources and the `tags[n].key/value` list filter."""

from __future__ import annotations

from collections.abc import Sequence

from nicstack.api.params import Param, map_param
from nicstack.api.replies import JsonObject
from nicstack.api.schema import kind
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.tags import ResourceTag

TAGS_FILTER: Param = map_param("tags", "Only resources with all these tags: tags[0].key=<key>&tags[0].value=<value>")


def tag_view(tag: ResourceTag) -> JsonObject:
    """CloudStack's ResourceTagResponse."""
    view: JsonObject = {
        "key": tag.key, "value": tag.value, "resourcetype": tag.resource_type, "resourceid": tag.resource_uuid,
        "account": tag.account_name, "domainid": tag.domain_uuid, "domain": tag.domain_name,
    }
    if tag.customer is not None:
        view["customer"] = tag.customer
    return view


def with_tags(uow: SqlUnitOfWork, resource_type: str, views: Sequence[JsonObject]) -> list[JsonObject]:
    """The views with their `tags` filled from the store (each view's `id` is the resource's uuid)."""
    found = uow.tags.of(resource_type, [str(v["id"]) for v in views])
    return [{**v, "tags": [tag_view(tag) for tag in found.get(str(v["id"]), [])]} for v in views]


TAG = kind("tag", {
    "key": "string",
    "value": "string",
    "resourcetype": "string",
    "resourceid": "string",
    "account": "string",
    "domainid": "string",
    "domain": "string",
    "customer": "string",
})
# The `tags` of a taggable resource.
TAGS = ("list", TAG.fields)
