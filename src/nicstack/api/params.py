"""Parameter declarations and their parsing: bad input becomes a 431 naming the value."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from nicstack.domain.errors import MissingParameter
from nicstack.domain.values import USER_DATA_LENGTH, canonical_int, canonical_uuid, invalid, unsafe_character
from nicstack.ipam.addresses import parse_address

MAX_LENGTH = 4096
_MAP_RE = re.compile(r"^([A-Za-z0-9_]+)\[(\d{1,4})\]\.([A-Za-z0-9_]+)$")


class ParamType(StrEnum):
    """The type names CloudStack's listApis reports."""

    UUID = "uuid"
    STRING = "string"
    INTEGER = "integer"
    LONG = "long"
    BOOLEAN = "boolean"
    LIST = "list"
    MAP = "map"


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: ParamType
    description: str
    required: bool = False
    length: int = 255
    minimum: int | None = None
    maximum: int | None = None
    # A string on the wire (listApis says so, as CloudStack does), an ipaddress value inside.
    address: bool = False
    items: ParamType | None = None  # a list's element type (listApis still says "list")


def uuid_param(name: str, description: str, required: bool = False) -> Param:
    return Param(name, ParamType.UUID, description, required)


def str_param(name: str, description: str, required: bool = False, length: int = 255) -> Param:
    return Param(name, ParamType.STRING, description, required, length)


def ip_param(name: str, description: str, required: bool = False) -> Param:
    """An IPv4 or IPv6 address, parsed here: garbage such as 255.255.255.300 is refused naming the parameter."""
    return Param(name, ParamType.STRING, description, required, 64, address=True)


def ip_list_param(name: str, description: str, required: bool = False) -> Param:
    """Comma-separated IPv4 or IPv6 addresses, each parsed here."""
    return Param(name, ParamType.LIST, description, required, length=MAX_LENGTH, address=True)


def user_data_param(description: str) -> Param:
    """`userdata`: base64 up to CloudStack's default limit (checked with `domain.values.user_data`)."""
    return Param("userdata", ParamType.STRING, description, length=USER_DATA_LENGTH)


def int_param(
    name: str, description: str, required: bool = False, minimum: int | None = 0, maximum: int | None = None
) -> Param:
    return Param(name, ParamType.INTEGER, description, required, minimum=minimum, maximum=maximum)


def bool_param(name: str, description: str, required: bool = False) -> Param:
    return Param(name, ParamType.BOOLEAN, description, required)


def list_param(name: str, description: str, required: bool = False) -> Param:
    return Param(name, ParamType.LIST, description, required, length=MAX_LENGTH)


def uuid_list_param(name: str, description: str, required: bool = False) -> Param:
    """Comma-separated uuids (CloudStack's `type = LIST, collectionType = UUID`)."""
    return Param(name, ParamType.LIST, description, required, length=MAX_LENGTH, items=ParamType.UUID)


def map_param(name: str, description: str, required: bool = False) -> Param:
    return Param(name, ParamType.MAP, description, required)


def checked_text(param: str, value: str) -> str:
    """The value, unless it holds characters no name, description or key may hold (431 naming them)."""
    why = unsafe_character(value)
    if why is not None:
        raise invalid(param, value, why)
    return value


def _parse_one(p: Param, value: str) -> Any:
    if len(value) > max(p.length, 64):
        raise invalid(p.name, value, f"longer than {p.length} characters")
    checked_text(p.name, value)
    match p.type:
        case ParamType.UUID:
            return canonical_uuid(value, p.name)
        case ParamType.INTEGER | ParamType.LONG:
            number = canonical_int(value, p.name)
            if p.minimum is not None and number < p.minimum:
                raise invalid(p.name, value, f"must be at least {p.minimum}")
            limit = p.maximum if p.maximum is not None else 2**31 - 1
            if number > limit:
                raise invalid(p.name, value, f"must be at most {limit}")
            return number
        case ParamType.BOOLEAN:
            lowered = value.strip().lower()
            if lowered not in ("true", "false"):
                raise invalid(p.name, value, "must be true or false")
            return lowered == "true"
        case ParamType.LIST:
            items = [item.strip() for item in value.split(",") if item.strip()]
            if p.items is ParamType.UUID:
                return [canonical_uuid(item, p.name) for item in items]
            if p.address:
                return [parse_address(item, p.name) for item in items]
            return items
        case _ if p.address:
            return parse_address(value, p.name)
        case _:
            return value


def _parse_map(name: str, raw: Mapping[str, str]) -> list[dict[str, str]]:
    """`name[0].key=value` parameters as a list of dicts, in index order."""
    rows: dict[int, dict[str, str]] = {}
    for key, value in raw.items():
        m = _MAP_RE.match(key)
        if m and m.group(1).lower() == name.lower():
            rows.setdefault(int(m.group(2)), {})[m.group(3).lower()] = checked_text(key, value)
    return [rows[i] for i in sorted(rows)]


def parse(params: tuple[Param, ...], raw: Mapping[str, str]) -> dict[str, Any]:
    """Parse the declared parameters; unknown parameters are ignored, as CloudStack does."""
    lowered = {k.lower(): v for k, v in reversed(list(raw.items()))}
    out: dict[str, Any] = {}
    for p in params:
        if p.type is ParamType.MAP:
            rows = _parse_map(p.name, raw)
            if rows:
                out[p.name] = rows
            elif p.required:
                raise MissingParameter(p.name)
            continue
        value = raw.get(p.name, lowered.get(p.name.lower()))
        # Only the empty value means "not given": " " or "\t" for a number is a wrong value, not none.
        if value is None or (value == "" and p.type is not ParamType.STRING):
            if p.required:
                raise MissingParameter(p.name)
            continue
        if value == "" and p.required:
            raise MissingParameter(p.name)
        out[p.name] = _parse_one(p, value)
    return out
