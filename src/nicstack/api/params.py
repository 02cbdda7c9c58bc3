"""Parameter declarations and their parsing: bad input becomes a 431 naming the value."""

from __future__ import annotations

import re
import uuid as uuidlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from nicstack.domain.errors import MissingParameter, ParameterError
from nicstack.ipam.addresses import parse_address

MAX_LENGTH = 4096
_INT_RE = re.compile(r"^[+-]?\d{1,19}$")
_MAP_RE = re.compile(r"^([A-Za-z0-9_]+)\[(\d{1,4})\]\.([A-Za-z0-9_]+)$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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


def uuid_param(name: str, description: str, required: bool = False) -> Param:
    return Param(name, ParamType.UUID, description, required)


def str_param(name: str, description: str, required: bool = False, length: int = 255) -> Param:
    return Param(name, ParamType.STRING, description, required, length)


def ip_param(name: str, description: str, required: bool = False) -> Param:
    """An IPv4 or IPv6 address, parsed here: garbage such as 255.255.255.300 is refused naming the parameter."""
    return Param(name, ParamType.STRING, description, required, 64, address=True)


def int_param(
    name: str, description: str, required: bool = False, minimum: int | None = 0, maximum: int | None = None
) -> Param:
    return Param(name, ParamType.INTEGER, description, required, minimum=minimum, maximum=maximum)


def bool_param(name: str, description: str, required: bool = False) -> Param:
    return Param(name, ParamType.BOOLEAN, description, required)


def list_param(name: str, description: str, required: bool = False) -> Param:
    return Param(name, ParamType.LIST, description, required, length=MAX_LENGTH)


def map_param(name: str, description: str, required: bool = False) -> Param:
    return Param(name, ParamType.MAP, description, required)


def _bad(param: str, value: str, why: str) -> ParameterError:
    shown = value if len(value) <= 80 else value[:77] + "..."
    return ParameterError(f"Invalid value {shown!r} for parameter {param}: {why}")


def _parse_one(p: Param, value: str) -> Any:
    if len(value) > max(p.length, 64):
        raise _bad(p.name, value, f"longer than {p.length} characters")
    if _CONTROL_RE.search(value):
        raise _bad(p.name, value, "contains control characters")
    match p.type:
        case ParamType.UUID:
            try:
                parsed = uuidlib.UUID(value)
            except ValueError:
                raise _bad(p.name, value, "not a uuid") from None
            return str(parsed)
        case ParamType.INTEGER | ParamType.LONG:
            if not _INT_RE.match(value.strip()):
                raise _bad(p.name, value, "not an integer")
            number = int(value)
            if p.minimum is not None and number < p.minimum:
                raise _bad(p.name, value, f"must be at least {p.minimum}")
            limit = p.maximum if p.maximum is not None else 2**31 - 1
            if number > limit:
                raise _bad(p.name, value, f"must be at most {limit}")
            return number
        case ParamType.BOOLEAN:
            lowered = value.strip().lower()
            if lowered not in ("true", "false"):
                raise _bad(p.name, value, "must be true or false")
            return lowered == "true"
        case ParamType.LIST:
            return [item.strip() for item in value.split(",") if item.strip()]
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
            rows.setdefault(int(m.group(2)), {})[m.group(3).lower()] = value
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
        if value is None or (value.strip() == "" and p.type is not ParamType.STRING):
            if p.required:
                raise MissingParameter(p.name)
            continue
        if value == "" and p.required:
            raise MissingParameter(p.name)
        out[p.name] = _parse_one(p, value)
    return out
