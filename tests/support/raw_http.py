"""HTTP spoken by hand over a socket, for the requests no well-behaved client would send."""

from __future__ import annotations

import http.client
import json
import socket
from dataclasses import dataclass
from typing import Any


@dataclass
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def error(self, key: str = "errorresponse") -> dict[str, Any]:
        """The inside of a CloudStack error envelope; asserts the envelope's shape."""
        assert self.headers.get("content-type", "").startswith("application/json"), (self.headers, self.body[:200])
        body = self.json()
        assert list(body) == [key], body
        inner: dict[str, Any] = body[key]
        assert inner["errorcode"] == self.status and inner["uuidList"] == [], body
        assert isinstance(inner["cserrorcode"], int) and inner["errortext"], body
        return inner


def connect(port: int, source: str | None = None, timeout: float = 10) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                    source_address=(source, 0) if source else None)


def read_answer(sock: socket.socket) -> RawAnswer:
    response = http.client.HTTPResponse(sock)
    response.begin()
    body = response.read()
    return RawAnswer(response.status, {k.lower(): v for k, v in response.getheaders()}, body)


def closed_by_server(sock: socket.socket, within: float) -> bool:
    """True when the server closes the connection within `within` seconds (and sends nothing more)."""
    sock.settimeout(within)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def exchange(port: int, data: bytes, timeout: float = 10) -> RawAnswer:
    """Send raw bytes on a new connection and read the one answer."""
    with connect(port, timeout=timeout) as sock:
        sock.sendall(data)
        return read_answer(sock)


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])
