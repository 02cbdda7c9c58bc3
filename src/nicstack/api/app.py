"""The ASGI application: one endpoint, /client/api, GET and POST."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nicstack.api import commands  # noqa: F401 - registers every command
from nicstack.api.runtime import Runtime
from nicstack.api.wire import handle

CONTENT_TYPE = "application/json; charset=UTF-8"
MAX_BODY = 1 << 20


def merge_params(query: str, body: str) -> dict[str, str]:
    """Query string then form body; for a repeated parameter the first value wins."""
    merged: dict[str, str] = {}
    for source in (query, body):
        for key, value in parse_qsl(source, keep_blank_values=True):
            merged.setdefault(key, value)
    return merged


def create_app(runtime: Runtime) -> Starlette:
    async def api(request: Request) -> Response:
        body = ""
        if request.method == "POST":
            raw = await request.body()
            body = raw[:MAX_BODY].decode("utf-8", errors="replace")
        params = merge_params(request.url.query, body)
        answer = await run_in_threadpool(handle, runtime, params, request.cookies)
        response = Response(
            json.dumps(answer.body, separators=(",", ":"), ensure_ascii=False),
            status_code=answer.status,
            media_type=CONTENT_TYPE,
        )
        for name, value in answer.cookies.items():
            if value is None:
                response.delete_cookie(name, path="/")
            else:
                response.set_cookie(name, value, path="/", httponly=name != "sessionkey", samesite="strict")
        return response

    app = Starlette(routes=[Route("/client/api", api, methods=["GET", "POST"])])
    app.state.runtime = runtime
    return app
