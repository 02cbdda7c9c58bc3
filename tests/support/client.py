"""A small signed CloudStack client for tests: the wire as real clients produce it (signed by the bench code)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests

from nicstack.api.signature import signed_query, wire_values

# What CloudStack's error texts say of a uuid that does not exist or is not the caller's to see (431),
# and of a command that does not exist or is not the caller's to call (432).
UNKNOWN = "due to incorrect long value format, or entity does not exist"
UNKNOWN_COMMAND = "The given command does not exist or it is not available for user"

class ApiError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        inner = next(iter(body.values())) if isinstance(body, dict) and body else {}
        self.status = status
        self.code = inner.get("errorcode") if isinstance(inner, dict) else None
        self.text = inner.get("errortext", "") if isinstance(inner, dict) else str(body)
        super().__init__(f"HTTP {status}: {self.text}")


@dataclass
class Client:
    url: str
    api_key: str
    secret_key: str
    session: requests.Session | None = None

    def raw(self, command: str, method: str = "GET", **params: Any) -> tuple[int, Any]:
        """Send a v3-signed request; returns (HTTP status, decoded JSON body)."""
        body = signed_query(self.api_key, self.secret_key, command, wire_values(params), valid_for=5 * 60)
        http = self.session or requests
        if method == "GET":
            r = http.get(f"{self.url}?{body}", timeout=30)
        else:
            r = http.post(self.url, data=body, timeout=30,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
        return r.status_code, r.json()

    def call(self, command: str, **params: Any) -> dict[str, Any]:
        """The inside of the response envelope; raises ApiError on an error status."""
        status, body = self.raw(command, **params)
        if status != 200:
            raise ApiError(status, body)
        assert len(body) == 1, body
        inner: dict[str, Any] = next(iter(body.values()))
        return inner

    def wait(self, jobid: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job = self.call("queryAsyncJobResult", jobid=jobid)
            if job["jobstatus"] != 0:
                return job
            if time.monotonic() > deadline:
                raise AssertionError(f"job {jobid} still pending after {timeout} s")
            time.sleep(0.02)

    def run(self, command: str, **params: Any) -> dict[str, Any]:
        """Call an async command and return its job result; raises ApiError when the job failed."""
        reply = self.call(command, **params)
        job = self.wait(reply["jobid"])
        if job["jobstatus"] == 2:
            raise ApiError(job["jobresultcode"], {"x": job["jobresult"]})
        result: dict[str, Any] = job["jobresult"]
        return result

    def items(self, command: str, key: str, **params: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.call(command, **params).get(key, [])
        return found

    def error(self, command: str, **params: Any) -> ApiError:
        """Call a command that must be refused; returns the error."""
        status, body = self.raw(command, **params)
        assert status != 200, f"{command} should have been refused: {body}"
        inner = next(iter(body.values()))
        assert set(inner) >= {"errorcode", "errortext", "uuidList"}, body
        assert inner["errorcode"] == status
        return ApiError(status, body)
