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

from anyio import CapacityLimiter, to_thread

from nicstack.api import (
    commands,  # noqa: F401 - registers every command
    cross_site,
)
from nicstack.api.edge import (
    API_PATH,
    EdgeLimits,
    EdgeRefusal,
    UndecodableParameter,
    answer_of,
    check_target,
    decode_params,
    read_body,
)
from nicstack.api.logins import Logins
from nicstack.api.longpoll import GenerationWatch
from nicstack.api.observe import PATHS, Observer
from nicstack.api.replies import WaitReply
from nicstack.api.runtime import Runtime
from nicstack.api.wire import Answer, handle, internal_error, resumed
from nicstack.api.xml_reply import CONTENT_TYPE as XML_CONTENT_TYPE
from nicstack.api.xml_reply import render_xml, wants_xml
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.services import agents
from nicstack.ui.serve import Ui

log = logging.getLogger("nicstack.api")

CONTENT_TYPE = b"application/json; charset=UTF-8"
# Handlers of a threaded runtime (PostgreSQL): more threads than this only switch the GIL
# more often and stretch the latency tail. An inline runtime (SQLite) runs them on the loop.
HANDLER_THREADS = 8

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


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


async def _reply(send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]],
                 content_type: bytes = CONTENT_TYPE) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(runtime: Runtime, logins: Logins, receive: Receive, send: Send) -> None:
    """Start the inline job worker with the server, and stop it (and the login hashers) with the server."""
    worker: asyncio.Task[None] | None = None
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if runtime.inline:
                runtime.db.commit_in_groups(asyncio.get_running_loop())
                worker = asyncio.create_task(runtime.worker.run_on_loop(), name="nicstack-jobs")
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            logins.close()
            if worker is not None:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
                runtime.db.stop_grouping()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _parameters(scope: Scope, receive: Receive, limits: EdgeLimits) -> dict[str, str]:
    check_target(scope["path"], scope["method"])
    body = await read_body(scope["headers"], receive, limits) if scope["method"] == "POST" else b""
    return decode_params(scope["query_string"], body)


def _description(answer: Answer) -> list[tuple[bytes, bytes]]:
    """CloudStack's X-Description header on an error answer: its error text (cloudmonkey prints it; without it,
    "Error 536: None"). Header-safe: one line of latin-1, anything else as '?'."""
    if answer.status < 400 or len(answer.body) != 1:
        return []
    inner = next(iter(answer.body.values()))
    text = inner.get("errortext") if isinstance(inner, dict) else None
    if not isinstance(text, str):
        return []
    line = " ".join(text.split())
    return [(b"x-description", line.encode("latin-1", errors="replace"))]


def create_app(runtime: Runtime, limits: EdgeLimits | None = None) -> ASGIApp:
    limits = limits or EdgeLimits()
    limiters: list[CapacityLimiter] = []  # made inside the event loop, on the first request
    observer = Observer(runtime)
    logins = Logins(runtime)
    ui = Ui()
    watch = GenerationWatch(lambda targets: agents.published(SqlUnitOfWork(runtime.db), targets),
                            in_thread=not runtime.inline)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(runtime, logins, receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["path"] in PATHS:
            await observer.serve(scope, send)
            return
        path = scope["path"]
        if path != API_PATH and not path.startswith(API_PATH + "/"):
            # Everything else is the web UI's: its pages and files, or its "not found" page.
            page = ui.answer(scope["method"], path, scope["query_string"], scope["headers"])
            await send({"type": "http.response.start", "status": page.status, "headers": page.headers})
            await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else page.body})
            return
        request = observer.begin(scope)
        params: dict[str, str] = {}
        try:
            params = await _parameters(scope, receive, limits)
        except (EdgeRefusal, UndecodableParameter) as refused:
            answer = answer_of(refused)
        else:
            answer = await _answer(params, scope)
        if runtime.inline:
            try:
                # The answer may tell of writes: it leaves only once they are committed.
                await runtime.db.durable()
            except Exception:
                log.exception("commit failed after command %s", params.get("command", ""))
                answer = internal_error(params.get("command", ""), answer.caller)
        if (waiting := answer.waiting) is not None:
            answer = await _resume(params.get("command", ""), waiting, answer.caller)
        # Refusals at the edge (no parameters read) stay JSON; every answer of a read request speaks its form.
        xml = bool(params) and wants_xml(params)
        payload = render_xml(answer.body) if xml else json.dumps(answer.body, separators=(",", ":"),
                                                                  ensure_ascii=False).encode()
        # Logged before the answer leaves: whoever reads the answer finds its line written.
        observer.finish(request, scope["method"], params, answer)
        extra = [request.header, *(_set_cookie(k, v) for k, v in answer.cookies.items())]
        extra += [(k.encode(), v.encode()) for k, v in answer.headers.items()]
        extra += _description(answer)
        await _reply(send, answer.status, payload, extra, XML_CONTENT_TYPE if xml else CONTENT_TYPE)

    async def _answer(params: dict[str, str], scope: Scope) -> Answer:
        refusal = cross_site.refusal(scope["headers"], params)
        if refusal is not None:
            return refusal
        if params.get("command") == "login":
            client = scope.get("client")
            return await logins.answer(params, client[0] if client else "unknown")
        cookies = _cookies(scope["headers"])
        if runtime.inline:
            return handle(runtime, params, cookies)
        if not limiters:
            limiters.append(CapacityLimiter(HANDLER_THREADS))
        return await to_thread.run_sync(handle, runtime, params, cookies, limiter=limiters[0])

    async def _resume(name: str, waiting: WaitReply, caller: Caller | None) -> Answer:
        """A parked long poll: wait for a newer generation (or the timeout), then answer."""
        await watch.wait(waiting.targets, waiting.timeout)
        if not runtime.inline:
            return await to_thread.run_sync(resumed, name, waiting, caller, limiter=limiters[0])
        answer = resumed(name, waiting, caller)
        try:
            await runtime.db.durable()
        except Exception:
            log.exception("commit failed after command %s", name)
            answer = internal_error(name, caller)
        return answer

    return app
