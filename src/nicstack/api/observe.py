"""The HTTP edge's side for operators: a request id and one JSON log line per API request, the
metrics, and the two endpoints a load balancer and Prometheus call, GET /healthz and GET /metrics.

Neither endpoint takes credentials: /healthz says only whether this process and its database
answer; /metrics holds counts and the uuids of routers and hosts, no tenant's data. Where that is
too much, a reverse proxy or a firewall keeps /metrics to the monitoring network.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import anyio
from anyio import to_thread
from prometheus_client import CONTENT_TYPE_LATEST

from nicstack import logs
from nicstack.api.metrics import Metrics, reason_of
from nicstack.api.runtime import Runtime
from nicstack.api.wire import Answer
from nicstack.db.repos import observed

HEALTH = "/healthz"
METRICS = "/metrics"
PATHS = frozenset({HEALTH, METRICS})
HEALTH_TIMEOUT = 5.0  # seconds: a load balancer's check must not hang on a database that does not answer
REQUEST_ID_HEADER = b"x-request-id"
# A request id given by a proxy in front is kept when it is a plain token; anything else is replaced.
_GIVEN_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,64}$")

Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Request:
    id: str
    started: float
    client: str

    @property
    def header(self) -> tuple[bytes, bytes]:
        return REQUEST_ID_HEADER, self.id.encode()


class Observer:
    """Created with the app; `begin` and `finish` frame each API request, `serve` answers PATHS."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.metrics = Metrics(runtime.db)

    def begin(self, scope: Mapping[str, Any]) -> Request:
        """Start timing a request and name it: lines logged while it is handled carry its id."""
        given = next((value for name, value in scope["headers"] if name == REQUEST_ID_HEADER), None)
        rid = given.decode() if given is not None and _GIVEN_ID.match(given) else secrets.token_hex(8)
        logs.request_id.set(rid)
        client = scope.get("client")
        return Request(rid, time.perf_counter(), f"{client[0]}" if client else "")

    def finish(self, request: Request, method: str, params: Mapping[str, str], answer: Answer) -> None:
        """Count the answered request and write its log line."""
        seconds = time.perf_counter() - request.started
        command = params.get("command", "")
        self.metrics.observe(command, answer.status, seconds, answer.error)
        if logs.requests_logged():
            logs.request(_fields(request, method, command, params, answer, seconds))

    async def serve(self, scope: Mapping[str, Any], send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await _send(send, 405, b"text/plain; charset=utf-8", b"use GET\n", scope, [(b"allow", b"GET, HEAD")])
        elif scope["path"] == HEALTH:
            status, body = await self._health()
            await _send(send, status, b"application/json", body, scope)
        else:
            body = await to_thread.run_sync(self.metrics.exposition)
            await _send(send, 200, CONTENT_TYPE_LATEST.encode(), body, scope)

    async def _health(self) -> tuple[int, bytes]:
        def ping() -> None:
            with self.runtime.db.read() as conn:
                observed.ping(conn)

        try:
            with anyio.fail_after(HEALTH_TIMEOUT):
                await to_thread.run_sync(ping, abandon_on_cancel=True)
        except Exception as exc:
            reason = "no answer within 5 s" if isinstance(exc, TimeoutError) else type(exc).__name__
            return 503, json.dumps({"status": "unavailable", "database": reason}).encode()
        return 200, b'{"status": "ok", "database": "ok"}'


def _fields(request: Request, method: str, command: str, params: Mapping[str, str], answer: Answer,
            seconds: float) -> dict[str, Any]:
    fields: dict[str, Any] = {"command": command, "method": method, "client": request.client,
                              "status": answer.status, "duration_ms": round(seconds * 1000, 3)}
    if answer.caller is not None:
        fields["account"] = answer.caller.account_name
        fields["account_id"] = answer.caller.account_uuid
    inner = next(iter(answer.body.values()), None)
    if answer.error is not None:
        text = inner.get("errortext", answer.error.text) if isinstance(inner, dict) else answer.error.text
        fields.update(error_code=answer.error.code, cs_error_code=answer.error.cs_code,
                      reason=reason_of(answer.error), error=logs.scrub(str(text), params))
    elif isinstance(inner, dict) and "jobid" in inner:
        fields["job_id"] = inner["jobid"]
    return fields


async def _send(send: Send, status: int, content_type: bytes, body: bytes, scope: Mapping[str, Any],
                extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
               (b"cache-control", b"no-store"), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
