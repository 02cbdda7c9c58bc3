"""uvicorn's httptools protocol with the edge's limits: a deadline for the request head, idle
connections closed, a bound on connections, and every refusal in CloudStack's JSON envelope.

uvicorn answers a request it cannot parse with a plain-text 400, waits forever for a client
that never sends its headers, and bounds connections only by the process's descriptor limit,
past which it cannot accept anyone. These are hooks on its protocol class, so they live here;
they lean on its parser callbacks and keep-alive timer, which tests/api/test_http_edge.py
exercises against the installed uvicorn.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, ClassVar

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from nicstack.api.edge import EdgeLimits, EdgeRefusal, envelope


class _Refused(Exception):
    """Raised inside a parser callback to stop parsing; the refusal is on the protocol."""


class EdgeProtocol(HttpToolsProtocol):
    """One client connection. Subclassed per server by `protocol_class` with its limits."""

    limits: ClassVar[EdgeLimits] = EdgeLimits()
    connection_limit: ClassVar[int] = EdgeLimits().max_connections

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._in_head = False  # between a request's first byte and the end of its headers
        self._began = False  # a request began during the current data_received
        self._head_bytes = 0  # exact: URL and complete headers of the current head
        self._raw_head = 0  # raw bytes of the current head seen across whole chunks
        self._refusal: EdgeRefusal | None = None
        self._quiet_since = time.monotonic()  # when it last finished a request (or connected)

    # -- connections ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.connection_limit and not self._evict_one():
            self._refuse(EdgeRefusal(503, f"The server holds its limit of {self.connection_limit} connections: "
                                          "retry in a moment", headers={"retry-after": "1"}))
            return
        # uvicorn arms the idle timer only after a response; a client that connects and says
        # nothing is idle too.
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)

    def _waiting(self) -> bool:
        """Between requests or still sending a head: nothing of ours is in progress."""
        return self.cycle is None or self.cycle.response_complete

    def _evict_one(self) -> bool:
        """Make room by closing the connection that has been waiting on its client the longest."""
        waiting = [c for c in self.connections if isinstance(c, EdgeProtocol) and c is not self and c._waiting()]
        if not waiting:
            return False
        oldest = min(waiting, key=lambda c: c._quiet_since)
        oldest.transport.close()
        self.connections.discard(oldest)
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    # -- the request head ----------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        continued, self._began = self._in_head, False
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            return  # the API has no upgrades; the app never accepts another scope type
        except httptools.HttpParserError as exc:
            self._refuse(self._refusal or self._malformed(exc))
            return
        if self._in_head:
            # The callbacks see a header only once it is complete, and httptools buffers it
            # meanwhile: count whole chunks too, so a never-ending header cannot fill memory.
            self._raw_head = self._raw_head + len(data) if continued and not self._began else 0
            if self._raw_head > self.limits.max_head_bytes:
                self._refuse(self._head_too_large())

    @staticmethod
    def _malformed(exc: httptools.HttpParserError) -> EdgeRefusal:
        if isinstance(exc, httptools.HttpParserInvalidMethodError):
            return EdgeRefusal(405, "Unknown HTTP method: the CloudStack API takes GET or POST",
                               headers={"allow": "GET, POST"})
        reason = str(exc).strip() or type(exc).__name__
        return EdgeRefusal(400, f"Malformed HTTP request ({reason}): send a request line, headers and "
                                "percent-encoded parameters as HTTP/1.1 defines them")

    def _head_too_large(self, what: str = "Request headers") -> EdgeRefusal:
        status = 414 if what == "Request line" else 431
        return EdgeRefusal(status, f"{what} longer than the limit of {self.limits.max_head_bytes} bytes")

    def _count(self, size: int, what: str) -> None:
        self._head_bytes += size
        if self._head_bytes > self.limits.max_head_bytes:
            self._refusal = self._head_too_large(what)
            raise _Refused

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._began, self._head_bytes, self._raw_head = True, True, 0, 0
        self._head_timer = self.loop.call_later(self.limits.header_timeout, self._head_timed_out)

    def on_url(self, url: bytes) -> None:
        self._count(len(url), "Request line")
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4, "Request headers")  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._cancel_head_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        self._quiet_since = time.monotonic()
        super().on_response_complete()

    def _head_timed_out(self) -> None:
        self._head_timer = None
        self._refuse(EdgeRefusal(408, f"Request headers incomplete after {self.limits.header_timeout:g} seconds"))

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    # -- refusing --------------------------------------------------------------------------

    def _refuse(self, refusal: EdgeRefusal) -> None:
        """Answer the refusal and close; a connection with an answer in flight is only closed."""
        self._cancel_head_timer()
        self._unset_keepalive_if_required()
        if self.transport.is_closing():
            return
        if self._waiting():
            body = envelope(refusal)
            head = [STATUS_LINE[refusal.status]]
            headers = [*self.server_state.default_headers, (b"content-type", b"application/json; charset=UTF-8"),
                       (b"content-length", str(len(body)).encode()), (b"connection", b"close"),
                       *((name.encode(), value.encode()) for name, value in refusal.headers.items())]
            head += [name + b": " + value + b"\r\n" for name, value in headers]
            self.transport.write(b"".join([*head, b"\r\n", body]))
        self.transport.close()


def protocol_class(limits: EdgeLimits) -> type[EdgeProtocol]:
    """The protocol class uvicorn instantiates per connection, bound to these limits."""
    return type("BoundEdgeProtocol", (EdgeProtocol,),
                {"limits": limits, "connection_limit": limits.connection_limit()})
