"""Typed values to JSON and back: what a job carries from the request that made it to the worker that runs it.

Frozen dataclasses, enums, datetimes, `ipaddress` values, tuples, frozensets and optionals are
encoded by their declared types, so a value decodes to exactly the type it was made as. A
payload names its dataclass by a registered tag, never by a module path from the data.
"""

from __future__ import annotations

import dataclasses
import types
from datetime import datetime
from enum import Enum
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")
_TAGS: dict[str, type] = {}
_TAG_OF: dict[type, str] = {}
_ADDRESSES = (IPv4Address, IPv6Address)
_NETWORKS = (IPv4Network, IPv6Network)
_SCALARS = (bool, int, float, str)
_TEXTS = _ADDRESSES + _NETWORKS


def tagged(tag: str) -> Any:
    """Class decorator: a dataclass that may travel in a payload under `tag`."""

    def register(cls: type[T]) -> type[T]:
        if tag in _TAGS and _TAGS[tag] is not cls:
            raise RuntimeError(f"payload tag {tag} registered twice")
        _TAGS[tag], _TAG_OF[cls] = cls, tag
        return cls

    return register


def register(tag: str, cls: type) -> None:
    """Register a dataclass defined elsewhere (e.g. a domain entity) under `tag`."""
    tagged(tag)(cls)


def encode(value: object) -> Any:
    """JSON-ready data for a registered dataclass (with its tag) or a plain value."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        tag = _TAG_OF.get(type(value))
        if tag is None:
            raise TypeError(f"{type(value).__name__} is not registered for payloads")
        return {"$type": tag, **_fields(value)}
    return _plain(value)


def decode(data: Any) -> Any:
    """The value `encode` made."""
    if isinstance(data, dict) and "$type" in data:
        cls = _TAGS.get(data["$type"])
        if cls is None:
            raise ValueError(f"unknown payload type {data['$type']!r}")
        return _build(cls, data)
    return data


_NAMES: dict[type, tuple[str, ...]] = {}


def _fields(value: Any) -> dict[str, Any]:
    cls = type(value)
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in dataclasses.fields(value))
    return {name: _plain(getattr(value, name)) for name in names}


def _plain(value: Any) -> Any:
    # Tuples of types, built once: a job's payload holds hundreds of values (a bulk add's addresses).
    if value is None or isinstance(value, _SCALARS):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, _TEXTS):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, frozenset | set):
        return sorted((_plain(v) for v in value), key=lambda v: (type(v).__name__, v))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return encode(value) if type(value) in _TAG_OF else _fields(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


# Each dataclass's fields with their resolved types, found once: resolving the annotations costs more
# than decoding the whole payload of an addIpToNic job.
_HINTS: dict[type, tuple[tuple[str, Any], ...]] = {}


def _build(cls: type[T], data: dict[str, Any]) -> T:
    fields = _HINTS.get(cls)
    if fields is None:
        hints = get_type_hints(cls)
        fields = _HINTS[cls] = tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    return cls(**{name: _typed(hint, data[name]) for name, hint in fields if name in data})


def _typed(hint: Any, data: Any) -> Any:
    if isinstance(data, dict) and "$type" in data:
        return decode(data)
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        if data is None:
            return None
        options = [a for a in get_args(hint) if a is not type(None)]
        if len(options) == 1:
            return _typed(options[0], data)
        if all(o in _ADDRESSES for o in options):
            return ip_address(data)
        if all(o in _NETWORKS for o in options):
            return ip_network(data)
        return data
    if origin is tuple:
        args = get_args(hint)
        inner = args[0] if args else Any
        return tuple(_typed(inner, v) for v in data)
    if origin is frozenset:
        return frozenset(_typed(get_args(hint)[0], v) for v in data)
    if origin is dict:
        return {k: _typed(get_args(hint)[1], v) for k, v in data.items()}
    if hint is Any or data is None:
        return data
    if isinstance(hint, type):
        if issubclass(hint, Enum):
            return hint(data)
        if hint is datetime:
            return datetime.fromisoformat(data)
        if hint in _ADDRESSES:
            return ip_address(data)
        if hint in _NETWORKS:
            return ip_network(data)
        if dataclasses.is_dataclass(hint):
            return _build(hint, data)
    return data
