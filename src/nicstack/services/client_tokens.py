"""Retry-safe requests: a client token makes a retried addIpToNic answer what the first one did.

The token is the caller's (scoped to its account and the command); the request's digest is kept
with it, so the same token with a different request is refused rather than answered wrongly. Two
identical requests at once: the second finds the token taken when it commits, and runs again to
find the first one's answer.
"""

from __future__ import annotations

import hashlib
import json

from nicstack.db.repos.client_tokens import Remembered
from nicstack.domain.access import Caller
from nicstack.domain.codec import decode, encode
from nicstack.domain.errors import ParameterError
from nicstack.domain.jobs import Started
from nicstack.services.ports import UnitOfWork


def digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()


def answered(uow: UnitOfWork, caller: Caller, command: str, token: str | None, request: str) -> Started[object] | None:
    """The first answer of a request made before with this token; None when the token is new."""
    if token is None:
        return None
    found = uow.client_tokens.find(caller.account_id, command, token)
    if found is None:
        return None
    if found.request != request:
        raise ParameterError(f"Client token {token!r} was used for a different {command} request: use a new token "
                             "for a new request")
    return Started(found.job_uuid, decode(json.loads(found.result)))


def remember(uow: UnitOfWork, caller: Caller, command: str, token: str | None, request: str, job: str,
             value: object) -> None:
    """Keep the answer for the token's retries (raises TokenTaken when a twin request committed first)."""
    if token is not None:
        stored = json.dumps(encode(value), separators=(",", ":"))
        uow.client_tokens.remember(caller.account_id, command, token, Remembered(request, job, stored))
