"""The agent's side of the API: signed calls on one keep-alive connection, long polls included."""

from __future__ import annotations

import http.client
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from nicstack.api.signature import signed_query, wire_values

# Beyond a long poll's own wait: what the server may take to answer once it wakes.
MARGIN = 15.0


class TransportError(Exception):
    """The server could not be reached, or answered something that is not the API (retry later)."""


class ApiError(Exception):
    """The API refused the call; `status` is CloudStack's error code, `text` its error text."""

    def __init__(self, command: str, status: int, text: str) -> None:
        self.status = status
        self.text = text
        super().__init__(f"{command} answered HTTP {status}: {text}")


class Api:
    """One agent's signed client; not thread-safe."""

    def __init__(self, url: str, api_key: str, secret_key: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an API URL: {url!r} (want http[s]://host[:port]/client/api)")
        self.url = url
        self._https = parts.scheme == "https"
        self._host, self._port, self._path = parts.hostname, parts.port, parts.path or "/client/api"
        self._keys = (api_key, secret_key)
        self._conn: http.client.HTTPConnection | None = None

    def call(self, command: str, params: Mapping[str, Any], wait: float = 0.0) -> dict[str, Any]:
        """The inside of the response envelope (None parameters are left out; `wait` > 0: a long poll).

        Raises ApiError (refused) or TransportError (unreachable, or not the API).
        """
        given = {k: v for k, v in params.items() if v is not None}
        if wait:
            given["wait"] = int(wait)
        query = signed_query(*self._keys, command, wire_values(given))
        timeout = wait + MARGIN
        for attempt in (1, 2):
            conn = self._connection(timeout)
            try:
                conn.request("GET", f"{self._path}?{query}")
                reply = conn.getresponse()
                body = reply.read()
                break
            except (OSError, http.client.HTTPException) as exc:
                # An idle keep-alive connection may have been closed by the server: one fresh try.
                self.close()
                if attempt == 2:
                    raise TransportError(f"{self.url}: {exc or type(exc).__name__}") from None
        try:
            decoded = json.loads(body)
            inner: dict[str, Any] = next(iter(decoded.values()))
        except (ValueError, AttributeError, StopIteration):
            raise TransportError(f"{self.url} answered HTTP {reply.status} without the API's JSON") from None
        if reply.status != 200:
            raise ApiError(command, reply.status, str(inner.get("errortext", decoded)))
        return inner

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        if self._conn is None:
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._conn = kind(self._host, self._port, timeout=timeout)
        self._conn.timeout = timeout
        if self._conn.sock is not None:
            self._conn.sock.settimeout(timeout)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
