"""The ASGI application: one endpoint, /client/api, GET and POST, spoken without a framework;
every other path belongs to the web UI (nicstack.ui.serve).

The API is one URL that answers JSON; a framework's request and response objects cost more
per call than the rest of a trivial command, so this is plain ASGI.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

from anyio import CapacityLimiter, to_thread

from nicstack.api import (
    commands,  # noqa: F401 - registers every command
    cross_site,
)
from nicstack.api.observe import PATHS, Observer
from nicstack.api.runtime import Runtime
from nicstack.api.wire import Answer, handle, internal_error
from nicstack.ui.serve import Ui

log = logging.getLogger("nicstack.api")

CONTENT_TYPE = b"application/json; charset=UTF-8"
API_PATH = "/client/api"
MAX_BODY = 1 << 20
# Handlers of a threaded runtime (PostgreSQL): more threads than this only switch the GIL
# more often and stretch the latency tail. An inline runtime (SQLite) runs them on the loop.
HANDLER_THREADS = 8

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def merge_params(query: str, body: str) -> dict[str, str]:
    """Query string then form body; for a repeated parameter the first value wins."""
    merged: dict[str, str] = {}
    for source in (query, body):
        for key, value in parse_qsl(source, keep_blank_values=True):
            merged.setdefault(key, value)
    return merged


def _cookies(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in headers:
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except CookieError:
                continue
            found.update({key: morsel.value for key, morsel in jar.items()})
    return found


def _set_cookie(name: str, value: str | None) -> tuple[bytes, bytes]:
    if value is None:
        text = f"{name}=; Max-Age=0; Path=/; SameSite=Strict"
    else:
        flags = "" if name == "sessionkey" else "; HttpOnly"
        text = f"{name}={value}; Path=/; SameSite=Strict{flags}"
    return b"set-cookie", text.encode("latin-1")


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= MAX_BODY:
            chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _reply(send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]]) -> None:
    headers = [(b"content-type", CONTENT_TYPE), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(runtime: Runtime, receive: Receive, send: Send) -> None:
    """Start the inline job worker with the server, and stop it with the server."""
    worker: asyncio.Task[None] | None = None
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if runtime.inline:
                runtime.db.commit_in_groups(asyncio.get_running_loop())
                worker = asyncio.create_task(runtime.worker.run_on_loop(), name="nicstack-jobs")
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if worker is not None:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
                runtime.db.stop_grouping()
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app(runtime: Runtime) -> ASGIApp:
    limiters: list[CapacityLimiter] = []  # made inside the event loop, on the first request
    observer = Observer(runtime)
    ui = Ui()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(runtime, receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["path"] in PATHS:
            await observer.serve(scope, send)
            return
        if scope["path"] != API_PATH:
            # Everything else is the web UI's: its pages and files, or its "not found" page.
            page = ui.answer(scope["method"], scope["path"], scope["query_string"], scope["headers"])
            await send({"type": "http.response.start", "status": page.status, "headers": page.headers})
            await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else page.body})
            return
        if scope["method"] not in ("GET", "POST"):
            await _reply(send, 405, b'{"error": "use GET or POST"}', [(b"allow", b"GET, POST")])
            return
        request = observer.begin(scope)
        body = await _read_body(receive) if scope["method"] == "POST" else b""
        params = merge_params(scope["query_string"].decode("latin-1"), body.decode("utf-8", errors="replace"))
        cookies = _cookies(scope["headers"])
        answer: Answer
        refusal = cross_site.refusal(scope["headers"], params)
        if refusal is not None:
            answer = refusal
        elif runtime.inline:
            answer = handle(runtime, params, cookies)
            try:
                # The answer may tell of writes: it leaves only once they are committed.
                await runtime.db.durable()
            except Exception:
                log.exception("commit failed after command %s", params.get("command", ""))
                answer = internal_error(params.get("command", ""), answer.caller)
        else:
            if not limiters:
                limiters.append(CapacityLimiter(HANDLER_THREADS))
            answer = await to_thread.run_sync(handle, runtime, params, cookies, limiter=limiters[0])
        payload = json.dumps(answer.body, separators=(",", ":"), ensure_ascii=False).encode()
        # Logged before the answer leaves: whoever reads the answer finds its line written.
        observer.finish(request, scope["method"], params, answer)
        extra = [request.header, *(_set_cookie(k, v) for k, v in answer.cookies.items())]
        await _reply(send, answer.status, payload, extra)

    return app
