"""A CloudStack API client written from the wire contract alone (standard library only), for the
conformance check: it signs the ways the real clients do, and can send what they never would.

Nothing here comes from nicstack's own code, so the check does not share its mistakes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

# Java's URLEncoder leaves these raw; cs and cloudstack-go also leave "~", libcloud "[" and "]".
_JAVA_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-*_"
VARIANTS = {"java": _JAVA_SAFE, "tilde": _JAVA_SAFE + "~", "brackets": _JAVA_SAFE + "[]"}


def _encode(value: str, safe: str) -> str:
    return "".join(ch if ch in safe else "".join(f"%{b:02X}" for b in ch.encode()) for ch in value)


def canonical(params: dict[str, str], variant: str = "java") -> str:
    """The string CloudStack signs: sorted name=ENC(value) pairs, lowercased, `signature` left out."""
    safe = VARIANTS[variant]
    pairs = sorted((k, v) for k, v in params.items() if k.lower() != "signature")
    return "&".join(f"{k}={_encode(v, safe)}" for k, v in pairs).lower()


def signature(secret: str, text: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha1).digest()).decode()


def expires_in(seconds: float, style: str = "+0000") -> str:
    when = datetime.now(UTC) + timedelta(seconds=seconds)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S")
    return {"+0000": stamp + "+0000", "Z": stamp + "Z", "+00:00": stamp + "+00:00"}[style]


@dataclass
class Reply:
    status: int
    content_type: str
    body: Any

    @property
    def inner(self) -> Any:
        """What the one top-level key holds."""
        return next(iter(self.body.values())) if isinstance(self.body, dict) and self.body else None

    @property
    def key(self) -> str | None:
        return next(iter(self.body)) if isinstance(self.body, dict) and self.body else None


@dataclass
class Api:
    url: str
    api_key: str
    secret_key: str
    seen: list[Any] = field(default_factory=list)  # every decoded body, for checks over all answers

    def signed(self, params: dict[str, str], *, variant: str = "java", v3: bool = True,
               expires: str | None = None) -> dict[str, str]:
        out = {"response": "json", "apiKey": self.api_key, **params}
        if v3:
            out.setdefault("signatureVersion", "3")
            out.setdefault("expires", expires or expires_in(300))
        out["signature"] = signature(self.secret_key, canonical(out, variant))
        return out

    def send(self, query: list[tuple[str, str]], body: list[tuple[str, str]] | None = None) -> Reply:
        """GET with `query`, or POST `body` as a form (with `query` on the URL)."""
        target = self.url + ("?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote) if query else "")
        data = urllib.parse.urlencode(body, quote_via=urllib.parse.quote).encode() if body is not None else None
        request = urllib.request.Request(target, data=data, method="POST" if data is not None else "GET")
        if data is not None:
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status, ctype, raw = answer.status, answer.headers.get("Content-Type", ""), answer.read()
        except urllib.error.HTTPError as error:
            status, ctype, raw = error.code, error.headers.get("Content-Type", ""), error.read()
        decoded = json.loads(raw) if raw else None
        self.seen.append(decoded)
        return Reply(status, ctype, decoded)

    def get(self, command: str, **params: str) -> Reply:
        return self.send(list(self.signed({"command": command, **params}).items()))

    def call(self, command: str, **params: str) -> dict[str, Any]:
        reply = self.get(command, **params)
        if reply.status != 200:
            raise AssertionError(f"{command} answered HTTP {reply.status}: {reply.body}")
        inner: dict[str, Any] = reply.inner
        return inner

    def wait(self, jobid: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job = self.call("queryAsyncJobResult", jobid=jobid)
            if job.get("jobstatus") != 0 or time.monotonic() > deadline:
                return job
            time.sleep(0.05)
