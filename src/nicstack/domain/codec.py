"""Typed values to JSON and back: what a job carries from the request that made it to the worker that runs it.

Frozen dataclasses, enums, datetimes, `ipaddress` values, tuples, frozensets and optionals are
encoded by their declared types, so a value decodes to exactly the type it was made as. A
payload names its dataclass by a registered tag, never by a module path from the data.
"""

from __future__ import annotations

import dataclasses
import functools
import types
from collections.abc import Callable
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


# Each dataclass's fields with a decoder for each field's resolved type, made once: resolving annotations,
# and walking a type's form for every value, cost more than decoding the whole payload of an addIpToNic job.
_FIELDS: dict[type, tuple[tuple[str, Callable[[Any], Any]], ...]] = {}


def _build(cls: type[T], data: dict[str, Any]) -> T:
    fields = _FIELDS.get(cls)
    if fields is None:
        hints = get_type_hints(cls)
        fields = _FIELDS[cls] = tuple((f.name, _decoder(hints[f.name]))
                                      for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    return cls(**{name: typed(data[name]) for name, typed in fields if name in data})


def _same(data: Any) -> Any:
    return data


@functools.cache
def _decoder(hint: Any) -> Callable[[Any], Any]:
    """What decodes a value declared as `hint`; a tagged value decodes as its tag says, whatever the hint."""
    inner = _form_decoder(hint)

    def typed(data: Any) -> Any:
        if isinstance(data, dict) and "$type" in data:
            return decode(data)
        return inner(data)

    return typed


def _optional(decode_one: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda data: None if data is None else decode_one(data)


def _form_decoder(hint: Any) -> Callable[[Any], Any]:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
        if len(options) == 1:
            return _optional(_decoder(options[0]))
        if all(o in _ADDRESSES for o in options):
            return _optional(ip_address)
        if all(o in _NETWORKS for o in options):
            return _optional(ip_network)
        return _same
    if origin is tuple:
        args = get_args(hint)
        item = _decoder(args[0] if args else Any)
        return lambda data: tuple(map(item, data))
    if origin is frozenset:
        member = _decoder(get_args(hint)[0])
        return lambda data: frozenset(map(member, data))
    if origin is dict:
        value = _decoder(get_args(hint)[1])
        return lambda data: {k: value(v) for k, v in data.items()}
    if hint is Any or not isinstance(hint, type):
        return _same
    if issubclass(hint, Enum):
        return _optional(hint)
    if hint is datetime:
        return _optional(datetime.fromisoformat)
    if hint in _ADDRESSES:
        return _optional(ip_address)
    if hint in _NETWORKS:
        return _optional(ip_network)
    if dataclasses.is_dataclass(hint):
        return _optional(functools.partial(_build, hint))
    return _same
