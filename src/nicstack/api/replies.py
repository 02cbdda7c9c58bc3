"""What a command answers, before it becomes a JSON envelope."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

JsonObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ObjectReply:
    name: str
    body: JsonObject


@dataclass(frozen=True, slots=True)
class ListReply:
    name: str
    items: Sequence[JsonObject]
    count: int


@dataclass(frozen=True, slots=True)
class SuccessReply:
    success: bool = True
    text: str | None = None


@dataclass(frozen=True, slots=True)
class AsyncReply:
    jobid: str
    id: str | None = None


@dataclass(frozen=True, slots=True)
class RawReply:
    """A body given verbatim under the response key (login, listApis...)."""

    body: JsonObject = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WaitReply:
    """An answer that may wait (a long poll): the server answers `resume()` as soon as the published
    generation of one of `targets` passes the one given for it, or after `timeout` seconds. The wait
    holds no transaction and no thread."""

    targets: Mapping[str, int]
    timeout: float
    resume: Callable[[], ObjectReply]


Reply = ObjectReply | ListReply | SuccessReply | AsyncReply | RawReply | WaitReply


def drop_nulls(value: Any) -> Any:
    """Remove keys whose value is None, recursively: clients must never see JSON null."""
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value


def render(reply: Reply) -> JsonObject:
    """The inside of `<command>response` for a reply."""
    match reply:
        case ObjectReply(name, body):
            return {name: drop_nulls(body)}
        case ListReply(name, items, count):
            # An empty list is {}: Ansible crashes on {"count": 0, "x": []}.
            return {"count": count, name: [drop_nulls(i) for i in items]} if items else {}
        case SuccessReply(success, text):
            return {"success": success} if text is None else {"success": success, "displaytext": text}
        case AsyncReply(jobid, id_):
            return {"id": id_, "jobid": jobid} if id_ is not None else {"jobid": jobid}
        case RawReply(body):
            cleaned: JsonObject = drop_nulls(body)
            return cleaned
        case WaitReply():
            raise TypeError("a waiting reply is answered by the app once it resumes, never rendered")
