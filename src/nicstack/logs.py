"""Structured logging: one JSON object per line on stderr, quiet (warnings) by default.

Besides free-text lines, three kinds of event line carry fields an operator filters on, all at
level info: `request` (one per API request, written by the HTTP edge), `job` (one per finished
async job) and `publication` (one per data-plane generation published). Every line written while a
request is handled carries its `request_id`. No line carries a secret key, a signature or a
password: the request line names the command and the caller, never the parameters, and job
results pass through `redact`.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

LEVELS = ("debug", "info", "warning", "error")
# uvicorn's loggers: they write through the root handler, in the same JSON format.
UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
REDACTED = "[redacted]"
# Lowercased names of values never logged, wherever they appear in a logged object.
SECRET_NAMES = frozenset({"password", "currentpassword", "secretkey", "secret_key", "signature", "sessionkey",
                          "session_key", "csrf_token"})

request_id: ContextVar[str | None] = ContextVar("nicstack_request_id", default=None)

_requests = logging.getLogger("nicstack.requests")
_jobs = logging.getLogger("nicstack.jobs")
_dataplane = logging.getLogger("nicstack.dataplane")


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, then the record's event fields (`extra={"fields": {...}}`)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        current = request_id.get()
        if current is not None:
            entry["request_id"] = current
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            entry.update(fields)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level: str = "warning") -> None:
    """Send every logger's lines, uvicorn's included, to stderr as JSON at `level` and above."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in UVICORN:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    # Alembic's plugin set-up lines say nothing an operator acts on; its migration lines stay.
    logging.getLogger("alembic.runtime.plugins").setLevel(max(root.level, logging.WARNING))


def redact(value: Any) -> Any:
    """A copy of a JSON-like value with the values of secret-named keys replaced."""
    if isinstance(value, Mapping):
        return {k: REDACTED if str(k).lower() in SECRET_NAMES else redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def scrub(text: str, params: Mapping[str, str]) -> str:
    """`text` without the values of the secret parameters among `params` (an error may quote one)."""
    for name, value in params.items():
        if name.lower() in SECRET_NAMES and len(value) >= 4:
            text = text.replace(value, REDACTED)
    return text


def requests_logged() -> bool:
    """Whether request lines are written: callers skip building them otherwise (the hot path)."""
    return _requests.isEnabledFor(logging.INFO)


def request(fields: Mapping[str, Any]) -> None:
    """The line of one answered API request (fields chosen by the HTTP edge, see api/observe.py)."""
    command = fields.get("command") or "-"
    _requests.info("%s %s %s", fields.get("method", ""), command, fields.get("status", ""),
                   extra={"fields": {"event": "request", **fields}})


def job_finished(job_uuid: str, command: str, attempts: int, succeeded: bool, result: Any,
                 duration_ms: float | None = None) -> None:
    """The line of one job's outcome: its result when it succeeded, its error envelope when it failed."""
    outcome: dict[str, Any] = {"event": "job", "job_id": job_uuid, "command": command, "attempts": attempts,
                               "status": "succeeded" if succeeded else "failed"}
    if succeeded:
        outcome["result"] = redact(result)
    else:
        outcome["error"] = redact(result)
    if duration_ms is not None:
        outcome["duration_ms"] = round(duration_ms, 3)
    _jobs.info("job %s %s %s", job_uuid, command, outcome["status"], extra={"fields": outcome})


def published(target: str, generation: int, digest: str, detail: Mapping[str, Any] | None = None) -> None:
    """The line of one data-plane publication: `target` ("router:<uuid>", "host:<uuid>") now at `generation`."""
    fields = {"event": "publication", "target": target, "generation": generation, "digest": digest, **(detail or {})}
    _dataplane.info("published %s generation %d", target, generation, extra={"fields": fields})
