"""Bounded fuzzing of every command `listApis` offers, as root admin, domain admin and user.

Each request carries valid values for the command's required parameters and some optional
ones, and exactly one bad value: a wrong type, a huge value, a non-canonical uuid or integer,
a control or bidirectional formatting character, or percent-encoded bytes that are not UTF-8
(sometimes repeated after it with a good value, sometimes under a differently cased name).
Every answer must be the 431 envelope naming the bad parameter; never a 5xx, never text outside
the envelope; and the database must not change. The seed is fixed, so a failure reproduces.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import requests

import nicstack.api.app  # noqa: F401 - registers every command
from nicstack.api.registry import COMMANDS
from nicstack.api.signature import sign
from nicstack.domain.kinds import Role
from tests.conftest import Cloud
from tests.support.client import Client
from tests.support.probes import changes, snapshot
from tests.support.world import make_tenant, unique

pytestmark = pytest.mark.api

SEED = 20261201
CASES_PER_COMMAND = 8
LEAKS = ("traceback", "sqlalchemy", "psycopg", "sqlite3", 'file "/', "exception")
# Replaced after encoding by bytes a client cannot put in a str: percent-encoded non-UTF-8.
RAW = "\ufffd"
RAW_BYTES = ("%ff", "%fe", "%80", "%c3%28", "%ed%a0%80", "%f8%88%80%80%80")

# Parameters read before the command's own: a bad session key is a failed authentication.
AUTHENTICATION = frozenset({"sessionkey"})

Bad = Callable[[random.Random, dict[str, Any]], str]


def _uuid_spellings(rng: random.Random, p: dict[str, Any]) -> str:
    u = str(uuid.uuid4())
    return rng.choice(["abc", "{" + u + "}", "urn:uuid:" + u, u.replace("-", ""), u + " ", " " + u, u[:-1],
                       u.replace("-", "_"), "1; DROP TABLE nics", "' OR '1'='1", "ünïcødé", "0", "-1"])


def _integer_spellings(rng: random.Random, p: dict[str, Any]) -> str:
    return rng.choice(["abc", "+5", " 5", "5 ", "05", "1.5", "1e3", "0x1f", "\u22125", "\u0665", "99999999999999999999",
                       "true", "-"])


def _boolean_spellings(rng: random.Random, p: dict[str, Any]) -> str:
    return rng.choice(["yes", "no", "1", "0", "t", "on", "truee", "nil"])


def _unsafe_text(rng: random.Random, p: dict[str, Any]) -> str:
    char = rng.choice(["\x00", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\x9b", "\u202e", "\u202d", "\u2066",
                       "\u200f", "\u2028", "\u061c"])
    return rng.choice(["web", "ünïcødé", "10.1.1.5", ""]) + char + rng.choice(["", "x", "[31m", "exe.txt"])


def _huge(rng: random.Random, p: dict[str, Any]) -> str:
    return rng.choice("ab0-") * (max(int(p.get("length") or 255), 64) + rng.choice([1, 100, 5000]))


def _not_utf8(rng: random.Random, p: dict[str, Any]) -> str:
    return rng.choice(["", "a", "ü"]) + RAW


BAD_BY_TYPE: dict[str, tuple[Bad, ...]] = {
    "uuid": (_uuid_spellings, _uuid_spellings, _unsafe_text, _huge, _not_utf8),
    "integer": (_integer_spellings, _integer_spellings, _unsafe_text, _huge, _not_utf8),
    "long": (_integer_spellings, _unsafe_text, _huge, _not_utf8),
    "boolean": (_boolean_spellings, _unsafe_text, _not_utf8),
    "string": (_unsafe_text, _unsafe_text, _huge, _not_utf8),
    "list": (_unsafe_text, _huge, _not_utf8),
    "map": (_unsafe_text, _not_utf8),
}


def good(command: str, p: dict[str, Any]) -> tuple[str, str]:
    """A value of the right type and range (naming nothing that exists)."""
    name, kind = p["name"], p["type"]
    declared = {q.name: q for q in COMMANDS[command].params}.get(name)
    if declared is not None and declared.address:
        return name, "192.0.2.1"  # an address parameter is parsed at the edge: give it one
    low = declared.minimum if declared is not None and declared.minimum is not None else 1
    # A uuid is a valid list too: of uuids (networkids) as of strings (cidrlist, parsed later).
    values = {"uuid": str(uuid.uuid4()), "integer": str(max(1, low)), "long": "1", "boolean": "true",
              "list": str(uuid.uuid4())}
    if kind == "map":
        return f"{name}[0].value", "x"
    return name, values.get(kind, unique("fz"))


@dataclass(frozen=True)
class Case:
    command: str
    target: str  # the parameter with the bad value
    what: str
    pairs: tuple[tuple[str, str], ...]
    raw: str | None  # the percent-encoded bytes RAW stands for


def cases_for(rng: random.Random, api: dict[str, Any]) -> list[Case]:
    params = [p for p in api["params"] if p["type"] in BAD_BY_TYPE]
    found: list[Case] = []
    for _ in range(CASES_PER_COMMAND if params else 0):
        target = rng.choice(params)
        bad_value = rng.choice(BAD_BY_TYPE[target["type"]])(rng, target)
        name = f"{target['name']}[0].value" if target["type"] == "map" else target["name"]
        if target["type"] != "map" and rng.random() < 0.2:
            name = name.upper()  # parameter names are looked up case-insensitively
        others = [p for p in api["params"] if p is not target and (p["required"] or rng.random() < 0.3)]
        pairs = [good(api["name"], p) for p in others]
        pairs.insert(rng.randrange(len(pairs) + 1), (name, bad_value))
        if rng.random() < 0.2:  # repeated after: the first value wins, so it is still bad
            pairs.append((name, good(api["name"], target)[1]))
        raw = rng.choice(RAW_BYTES) if RAW in bad_value else None
        what = f"{target['name']}={bad_value[:24]!r}" + (f" ({raw})" if raw else "")
        found.append(Case(api["name"], target["name"], what, tuple(pairs), raw))
    return found


def send(client: Client, case: Case) -> requests.Response:
    """v3-signed over what a client would mean; the bytes RAW stands for are put in after encoding."""
    base = {"command": case.command, "response": "json", "apiKey": client.api_key, "signatureVersion": "3",
            "expires": (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S+0000")}
    ordered = [*base.items(), *case.pairs]
    seen: dict[str, str] = {}
    for key, value in ordered:
        seen.setdefault(key, value)
    body = urlencode([*ordered, ("signature", sign(client.secret_key, seen))], quote_via=quote)
    if case.raw is not None:
        body = body.replace(quote(RAW), case.raw)
    if case.command.startswith(("list", "query", "get")):
        return requests.get(f"{client.url}?{body}", timeout=30)
    return requests.post(client.url, data=body, timeout=30,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})


def problems_of(response: requests.Response, case: Case) -> list[str]:
    where = f"{case.command} {case.what}: HTTP {response.status_code}"
    try:
        body = response.json()
    except ValueError:
        return [f"{where}, not JSON: {response.text[:200]!r}"]
    key = COMMANDS[case.command].response_key
    if not isinstance(body, dict) or list(body) != [key] or not isinstance(body[key], dict):
        return [f"{where}, not one {key} envelope: {str(body)[:300]}"]
    inner = body[key]
    text = str(inner.get("errortext", ""))
    found = []
    if case.target in AUTHENTICATION:
        # 401 when read as a credential; 431 when refused as bytes or under another spelling first.
        if response.status_code not in (401, 431) or inner.get("errorcode") != response.status_code:
            found.append(f"{where}, expected the 401 or 431 envelope: {str(body)[:300]}")
    elif response.status_code != 431 or inner.get("errorcode") != 431 or inner.get("cserrorcode") != 4350:
        found.append(f"{where}, expected the 431 parameter error: {str(body)[:300]}")
    elif f"parameter {case.target}" not in text.lower() and f"parameter {case.target}" not in text:
        found.append(f"{where}, the text does not name parameter {case.target}: {text[:300]!r}")
    if any(leak in text.lower() for leak in LEAKS):
        found.append(f"{where}, the text leaks internals: {text[:300]!r}")
    if not response.headers.get("Content-Type", "").startswith("application/json"):
        found.append(f"{where}, Content-Type {response.headers.get('Content-Type')!r}")
    return found


@pytest.fixture(scope="module")
def callers(cloud: Cloud) -> dict[str, Client]:
    domain = cloud.admin.call("createDomain", name=unique("fuzz"))["domain"]["id"]
    return {
        "root admin": cloud.admin,
        "domain admin": make_tenant(cloud.admin, domain, accounttype=int(Role.DOMAIN_ADMIN)).client,
        "user": make_tenant(cloud.admin, domain).client,
    }


@pytest.mark.parametrize("role", ["root admin", "domain admin", "user"])
def test_fuzzed_requests_to_every_listed_command_get_the_431_envelope_and_change_nothing(
    cloud: Cloud, callers: dict[str, Client], role: str
) -> None:
    client = callers[role]
    apis = client.items("listApis", "api")
    assert {a["name"] for a in apis} >= {"addIpToNic", "removeIpFromNic", "listNics"}
    rng = random.Random(f"{SEED}-{role}")
    before = snapshot(cloud.db)
    found: list[str] = []
    sent = 0
    for api in sorted(apis, key=lambda a: a["name"]):
        for case in cases_for(rng, api):
            found += problems_of(send(client, case), case)
            sent += 1
    found += changes(before, snapshot(cloud.db))
    assert sent >= 5 * len(apis)
    assert not found, f"as {role}, {len(found)} of {sent} fuzzed requests:\n" + "\n".join(found[:60])
