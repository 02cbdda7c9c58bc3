"""The HTTP edge of /client/api: its limits, the request body, the parameters' bytes, and the
refusals answered before any command runs, each in CloudStack's JSON error envelope."""

from __future__ import annotations

import asyncio
import json
import resource
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_to_bytes

from nicstack.api.replies import JsonObject
from nicstack.api.wire import Answer, error_body, response_key
from nicstack.domain.errors import ParameterError
from nicstack.domain.values import shown

API_PATH = "/client/api"
# The key CloudStack answers under when no command can be named.
ERROR_KEY = "errorresponse"
# CloudStack's cserrorcode for a refusal with no exception class of its own (ServerApiException).
GENERIC_CS_CODE = 9999
# Descriptors the process needs besides client connections: database, log and listening sockets.
RESERVED_DESCRIPTORS = 64
MIB = 1 << 20

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]


@dataclass(frozen=True, slots=True)
class EdgeLimits:
    """What one client may hold of the server; every value is a `nicstack serve` option."""

    header_timeout: float = 10.0  # seconds from a request's first byte to the end of its headers
    keepalive_timeout: float = 5.0  # seconds an idle connection stays open
    body_timeout: float = 30.0  # seconds from the end of the headers to the end of the body
    max_body_bytes: int = MIB
    max_head_bytes: int = 32 * 1024  # request line and headers together
    max_connections: int = 1000  # clamped below the process's descriptor limit, see connection_limit()

    def connection_limit(self) -> int:
        """max_connections, but never so many that accept() runs out of file descriptors."""
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return self.max_connections
        return max(1, min(self.max_connections, soft - RESERVED_DESCRIPTORS))


@dataclass
class EdgeRefusal(Exception):
    """A request refused at the edge: the status, CloudStack's cserrorcode and a text saying why."""

    status: int
    text: str
    cs_code: int = GENERIC_CS_CODE
    headers: dict[str, str] = field(default_factory=dict)
    close: bool = True  # the rest of the request was not read: the connection cannot be reused

    def body(self) -> JsonObject:
        return {ERROR_KEY: {"uuidList": [], "errorcode": self.status, "cserrorcode": self.cs_code,
                            "errortext": self.text}}


def envelope(refusal: EdgeRefusal) -> bytes:
    return json.dumps(refusal.body(), separators=(",", ":"), ensure_ascii=False).encode()


def check_target(path: str, method: str) -> None:
    """Refuse a path under /client/api other than the endpoint itself (with or without a trailing slash: py-acs-sdk
    sends one, and CloudStack's servlet answers on /api/*), and methods other than GET and POST."""
    if path not in (API_PATH, API_PATH + "/"):
        raise EdgeRefusal(404, f"Unknown path {shown(path)}: the CloudStack API is at {API_PATH}", close=False)
    if method not in ("GET", "POST"):
        raise EdgeRefusal(405, f"Method {method} is not allowed on {API_PATH}: use GET or POST",
                          headers={"allow": "GET, POST"}, close=False)


def _declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            return int(value)  # the HTTP parser has refused anything but digits
    return None


def _too_large(size: int, limits: EdgeLimits, exact: bool) -> EdgeRefusal:
    what = f"of {size} bytes" if exact else "longer than the limit"
    return EdgeRefusal(413, f"Request body {what}: this server accepts at most {limits.max_body_bytes} bytes")


async def read_body(headers: list[tuple[bytes, bytes]], receive: Receive, limits: EdgeLimits) -> bytes:
    """The whole body, or EdgeRefusal 413 (over the limit) or 408 (it stopped arriving)."""
    declared = _declared_length(headers)
    if declared is not None and declared > limits.max_body_bytes:
        raise _too_large(declared, limits, exact=True)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(limits.body_timeout):
            while True:
                message = await receive()
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limits.max_body_bytes:  # a chunked body declares no length
                    raise _too_large(size, limits, exact=False)
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return b"".join(chunks)
    except TimeoutError:
        raise EdgeRefusal(408, f"Request body incomplete after {limits.body_timeout:g} seconds "
                          f"({size} of {declared if declared is not None else 'unknown'} bytes arrived)") from None


class UndecodableParameter(ParameterError):
    """A parameter's name or value is not UTF-8 once percent-decoded (431)."""

    def __init__(self, name: str, command: str) -> None:
        super().__init__(f"Invalid value for parameter {name}: its bytes are not valid UTF-8")
        self.command = command


def _decode(raw: str) -> str:
    return unquote_to_bytes(raw.replace("+", " ")).decode("utf-8")


def decode_params(query: bytes, body: bytes) -> dict[str, str]:
    """Query string then form body; for a repeated parameter the first value wins.

    Strict: a byte sequence that is not UTF-8 is refused (UndecodableParameter), never read as
    U+FFFD, which would let `%ff`, `%fe` and `%80` all sign and store as the same text.
    """
    merged: dict[str, str] = {}
    bad: str | None = None
    for source in (query, body):
        try:
            text = source.decode("utf-8")
        except UnicodeDecodeError:
            bad = bad or "(the request body)"
            continue
        for pair in text.split("&"):
            if not pair:
                continue
            raw_name, _, raw_value = pair.partition("=")
            try:
                name = _decode(raw_name)
            except UnicodeDecodeError:
                bad = bad or shown(raw_name)
                continue
            try:
                merged.setdefault(name, _decode(raw_value))
            except UnicodeDecodeError:
                bad = bad or name
    if bad is not None:
        raise UndecodableParameter(bad, merged.get("command", ""))
    return merged


def answer_of(refused: EdgeRefusal | UndecodableParameter) -> Answer:
    """The answer to a request refused before its command ran."""
    if isinstance(refused, UndecodableParameter):
        key = response_key(refused.command) if refused.command else ERROR_KEY
        return Answer(refused.code, error_body(key, refused, refused.command), error=refused)
    closing = {"connection": "close"} if refused.close else {}
    return Answer(refused.status, refused.body(), headers={**refused.headers, **closing})
