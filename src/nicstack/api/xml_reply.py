"""CloudStack's XML answer form (response=xml, and CloudStack's default when `response` is absent).

The JSON answer's tree, as CloudStack's XML serializer writes it: the response key as the root element with
`cloud-stack-version`, each field an element, a list as one element per item under the list's key, booleans as
true/false, absent values (None) left out.
"""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from nicstack.api.views_world import VERSION

CONTENT_TYPE = b"text/xml; charset=UTF-8"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def wants_xml(params: dict[str, str]) -> bool:
    """CloudStack answers JSON only to response=json (any case); XML otherwise."""
    value = next((v for k, v in params.items() if k.lower() == "response"), None)
    return value is None or value.strip().lower() != "json"


def _name(key: str) -> str:
    # Every key is one of our field names; a name that could not be an element is written safely all the same.
    return key if _NAME.fullmatch(key) else re.sub(r"[^A-Za-z0-9_.-]", "_", "_" + key)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def _element(key: str, value: Any, out: list[str]) -> None:
    if value is None:
        return
    if isinstance(value, list | tuple):
        for item in value:
            _element(key, item, out)
        return
    name = _name(key)
    if isinstance(value, dict):
        out.append(f"<{name}>")
        for inner_key, inner in value.items():
            _element(inner_key, inner, out)
        out.append(f"</{name}>")
        return
    out.append(f"<{name}>{_text(value)}</{name}>")


def render_xml(body: dict[str, Any]) -> bytes:
    """The XML document of a one-key answer body ({"<command>response": {...}})."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    for root, inner in body.items():
        name = _name(root)
        out.append(f"<{name} cloud-stack-version={quoteattr(VERSION)}>")
        if isinstance(inner, dict):
            for key, value in inner.items():
                _element(key, value, out)
        else:
            out.append(_text(inner))
        out.append(f"</{name}>")
    return "".join(out).encode()
