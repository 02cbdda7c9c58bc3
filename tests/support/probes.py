"""Probing a live server as an attacker would: signed requests with any parameters, in any order,
and a fingerprint of the database to show that refused requests changed nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

import requests
from sqlalchemy import select

from nicstack.api.signature import sign
from nicstack.db import tables as t
from nicstack.db.database import Database
from tests.support.client import Client

# Tables whose rows legitimately change while requests are refused (or that the server keeps): the
# job and metadata queues drain the work of earlier requests meanwhile.
UNTRACKED = frozenset({"async_jobs", "events", "management_servers", "metadata_queue", "sessions"})


def send(client: Client, command: str, pairs: Iterable[tuple[str, str]]) -> requests.Response:
    """A v3-signed request; the signature covers what the server sees (the first value of each)."""
    base = {"command": command, "response": "json", "apiKey": client.api_key, "signatureVersion": "3",
            "expires": (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S+0000")}
    ordered = [*base.items(), *pairs]
    seen: dict[str, str] = {}
    for key, value in ordered:
        seen.setdefault(key, value)
    body = urlencode([*ordered, ("signature", sign(client.secret_key, seen))], quote_via=quote)
    # cloudstack-go POSTs every command that does not read; cs GETs everything.
    if command.startswith(("list", "query", "get", "find")):
        return requests.get(f"{client.url}?{body}", timeout=30)
    return requests.post(client.url, data=body, timeout=30,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})


def snapshot(db: Database) -> dict[str, tuple[int, str]]:
    """Per tracked table: its row count and a digest of its rows."""
    state: dict[str, tuple[int, str]] = {}
    with db.read() as conn:
        for table in t.metadata.sorted_tables:
            if table.name in UNTRACKED:
                continue
            rows = sorted(repr(tuple(row)) for row in conn.execute(select(table)))
            state[table.name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return state


def changes(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    found = []
    for name in sorted(before.keys() | after.keys()):
        (n0, h0), (n1, h1) = before.get(name, (-1, "")), after.get(name, (-1, ""))
        if n0 != n1:
            found.append(f"table {name}: {n0} rows before, {n1} after")
        elif h0 != h1:
            found.append(f"table {name}: rows changed")
    return found
