"""The `tags[n]` list filter as SQL conditions: apart from the tag repository so that any listing may use it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists

from nicstack.db import tables as t

rt = t.resource_tags


def tagged(resource_type: str, uuid_column: Any, pairs: Sequence[tuple[str, str | None]]) -> list[Any]:
    """Conditions on a listing: its row (by `uuid_column`) has every tag of `pairs` (CloudStack's tags[n]
    filter: the key, and the value where given)."""
    return [
        exists().where(rt.c.resource_type == resource_type, rt.c.resource_uuid == uuid_column, rt.c.key == k,
                       *([rt.c.value == v] if v is not None else []))
        for k, v in pairs
    ]
