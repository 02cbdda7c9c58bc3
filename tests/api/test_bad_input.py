"""Test plan scenario 29: bad input to every command gets a clean CloudStack error, nothing else.

For every command of the registry, as the root admin and as a plain user, requests with a
missing required parameter, malformed and unknown uuids, wrong types, huge values, unicode,
control characters and repeated parameters must each answer a CloudStack error envelope with
a 4xx/43x status (never 500 or 530, never a traceback), and must leave the database as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import pytest
import requests
from sqlalchemy import select

import nicstack.api.app  # noqa: F401 - registers every command
from nicstack.api.params import Param, ParamType
from nicstack.api.registry import COMMANDS, ROOT, Command
from nicstack.db import tables as t
from nicstack.domain.kinds import Role
from nicstack.domain.policy import LOGIN_ATTEMPTS_KEY, LOGIN_BURST_KEY
from tests.conftest import Cloud
from tests.support.client import UNKNOWN_COMMAND, Client
from tests.support.probes import changes, send, snapshot
from tests.support.world import Tenant, configured, make_tenant

pytestmark = pytest.mark.api

# Texts that mean internals leaked into an answer.
LEAKS = ("traceback", "sqlalchemy", "psycopg", "sqlite3", 'file "/')

SQLISH = "1; DROP TABLE nics"
UNICODE = "ünïcødé"
HUGE = "a" * 5000
MALFORMED_UUIDS = ("abc", SQLISH, UNICODE, HUGE)
CONTROL = ("a\x00b", "\x1b[31m")
MAX_REQUESTS = 30

SESSION_COMMANDS = frozenset({"login", "logout"})
GENERIC = sorted(name for name in COMMANDS if name not in SESSION_COMMANDS)


@dataclass(frozen=True)
class Case:
    """One bad request: its parameters in order (repeats allowed) and what must come back."""

    what: str
    pairs: tuple[tuple[str, str], ...]
    status: int | None = None  # the exact status required, else any clean refusal
    text: str | None = None  # the exact errortext required


def clean_refusal(status: int) -> bool:
    """4xx, or one of CloudStack's 531-537: never 500, never 530 (an internal error)."""
    return 400 <= status <= 499 or 531 <= status <= 537


def filler(p: Param) -> tuple[str, str]:
    """A well-formed value of the parameter's type (it names nothing that exists)."""
    match p.type:
        case ParamType.UUID | ParamType.LIST:
            return p.name, str(uuid.uuid4())
        case ParamType.INTEGER | ParamType.LONG:
            return p.name, "1"
        case ParamType.BOOLEAN:
            return p.name, "true"
        case ParamType.MAP:
            return f"{p.name}[0].value", "x"
        case _:
            return p.name, "x"


def with_required(
    command: Command, *pairs: tuple[str, str], without: str | None = None
) -> tuple[tuple[str, str], ...]:
    """The given pairs plus well-formed values for every other required parameter."""
    given = {name for name, _ in pairs}
    rest = [filler(p) for p in command.params if p.required and p.name != without and p.name not in given]
    return (*pairs, *rest)


def cases_for(command: Command) -> list[Case]:
    """At most MAX_REQUESTS bad requests that together touch every parameter of the command."""
    # CloudStack names a command in its texts by its response name less "response" (addIpToNic: addiptovmnic).
    name = command.response_key.removesuffix("response")
    by_type: dict[ParamType, list[Param]] = {}
    for p in command.params:
        by_type.setdefault(p.type, []).append(p)
    uuids, strings = by_type.get(ParamType.UUID, []), by_type.get(ParamType.STRING, [])
    integers = by_type.get(ParamType.INTEGER, []) + by_type.get(ParamType.LONG, [])
    booleans = by_type.get(ParamType.BOOLEAN, [])
    cases: list[Case] = []

    for p in command.params:
        if p.required:
            cases.append(Case(f"{p.name} missing", with_required(command, without=p.name), 431,
                              f"Unable to execute API command {name} due to missing parameter {p.name}"))
    required = [p for p in command.params if p.required and p.type is not ParamType.MAP]
    if required:
        first = required[0]
        cases.append(Case(f"{first.name} empty", with_required(command, (first.name, "")), 431))

    for i, p in enumerate(uuids):
        # The first uuid parameter gets every malformed value, the others one each in turn.
        values = MALFORMED_UUIDS if i == 0 else (MALFORMED_UUIDS[i % len(MALFORMED_UUIDS)],)
        for value in values:
            malformed = with_required(command, (p.name, value))
            cases.append(Case(f"{p.name}={value[:20]!r} (malformed uuid)", malformed, 431))
        cases.append(Case(f"{p.name} unknown uuid", with_required(command, (p.name, str(uuid.uuid4())))))

    for p in integers:
        for value in ("abc", "99999999999999999999"):
            cases.append(Case(f"{p.name}={value} (not an int)", with_required(command, (p.name, value)), 431))
    for p in booleans:
        cases.append(Case(f"{p.name}=yes (not a boolean)", with_required(command, (p.name, "yes")), 431))

    targets = [p.name for p in (strings or uuids)]
    for i in range(max(len(targets), len(CONTROL)) if targets else 0):
        target, value = targets[i % len(targets)], CONTROL[i % len(CONTROL)]
        controlled = with_required(command, (target, value))
        cases.append(Case(f"{target}={value!r} (control characters)", controlled, 431))
    if strings:
        p = strings[0]
        cases.append(Case(f"{p.name} 5000 characters", with_required(command, (p.name, HUGE)), 431))

    repeated = uuids[0] if uuids else (integers[0] if integers else None)
    if repeated is not None:
        good = filler(repeated)[1]
        cases.append(Case(f"{repeated.name} repeated, malformed first (the first value wins)",
                          with_required(command, (repeated.name, "abc"), (repeated.name, good)), 431))
        if repeated.type is ParamType.UUID:
            cases.append(Case(f"{repeated.name} repeated, unknown first",
                              with_required(command, (repeated.name, str(uuid.uuid4())), (repeated.name, "abc"))))
    return cases[:MAX_REQUESTS]


def problems_of(response: requests.Response, key: str, case: Case) -> list[str]:
    """What is wrong with the answer to a bad request (empty when it is a clean refusal)."""
    status = response.status_code
    where = f"{case.what}: HTTP {status}"
    try:
        body = response.json()
    except ValueError:
        return [f"{where}, body is not JSON: {response.text[:200]!r}"]
    if not clean_refusal(status):
        return [f"{where} is not a clean refusal (4xx or 531-537): {str(body)[:300]}"]
    found: list[str] = []
    if case.status is not None and status != case.status:
        found.append(f"{where}, expected {case.status}: {str(body)[:300]}")
    if not response.headers.get("Content-Type", "").startswith("application/json"):
        found.append(f"{where}, Content-Type {response.headers.get('Content-Type')!r}")
    if not isinstance(body, dict) or list(body) != [key]:
        found.append(f"{where}, expected exactly the key {key}: {str(body)[:300]}")
        return found
    inner = body[key]
    if not isinstance(inner, dict):
        return [*found, f"{where}, envelope is not an object: {inner!r}"]
    if inner.get("errorcode") != status:
        found.append(f"{where}, errorcode {inner.get('errorcode')!r} differs from the status")
    if inner.get("uuidList") != []:
        found.append(f"{where}, uuidList {inner.get('uuidList')!r} is not []")
    if not isinstance(inner.get("cserrorcode"), int):
        found.append(f"{where}, cserrorcode {inner.get('cserrorcode')!r} is not an integer")
    text = inner.get("errortext")
    if not isinstance(text, str) or not text.strip():
        found.append(f"{where}, errortext {text!r} is empty")
    elif any(leak in text.lower() for leak in LEAKS):
        found.append(f"{where}, errortext leaks internals: {text[:300]!r}")
    elif case.text is not None and text != case.text:
        found.append(f"{where}, errortext {text!r}, expected {case.text!r}")
    return found


@pytest.fixture(scope="module")
def tenant(cloud: Cloud) -> Tenant:
    return make_tenant(cloud.admin)


def caller(role: str, cloud: Cloud, tenant: Tenant) -> tuple[Client, Role]:
    return (cloud.admin, Role.ROOT_ADMIN) if role == "admin" else (tenant.client, Role.USER)


@pytest.mark.parametrize("role", ["admin", "user"])
@pytest.mark.parametrize("name", GENERIC)
def test_bad_input_to_the_command_is_refused_cleanly_and_changes_nothing(
    cloud: Cloud, tenant: Tenant, role: str, name: str
) -> None:
    command = COMMANDS[name]
    client, role_of_caller = caller(role, cloud, tenant)
    allowed = role_of_caller in command.roles
    cases = cases_for(command)
    if not allowed:
        # Whatever the parameters, a command the caller may not use does not exist for it.
        cases = [Case(c.what, c.pairs, 432, UNKNOWN_COMMAND) for c in cases]
    before = snapshot(cloud.db)
    found: list[str] = []
    for case in cases:
        found += problems_of(send(client, name, case.pairs), command.response_key, case)
    found += changes(before, snapshot(cloud.db))
    assert not found, f"{name} as {role}:\n" + "\n".join(found)


def test_a_user_gets_the_unknown_command_answer_for_every_root_admin_command(cloud: Cloud, tenant: Tenant) -> None:
    root_only = sorted(name for name, c in COMMANDS.items() if c.roles == ROOT)
    found = []
    for name in root_only:
        case = Case("no parameters", (), 432, UNKNOWN_COMMAND)
        found += problems_of(send(tenant.client, name, ()), COMMANDS[name].response_key, case)
    assert not found, "\n".join(found)


# -- login and logout -------------------------------------------------------------------

LOGIN_KEY = "loginresponse"


def login(cloud: Cloud, pairs: Iterable[tuple[str, str]]) -> requests.Response:
    data = urlencode([("command", "login"), ("response", "json"), *pairs], quote_via=quote)
    return requests.post(cloud.url, data=data, timeout=30,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})


@pytest.fixture
def no_login_limits(cloud: Cloud) -> Iterator[None]:
    """Bad input, not guessing, is under test here: the lockout and the throttle have tests of their own."""
    with configured(cloud.admin, {LOGIN_ATTEMPTS_KEY: "0", LOGIN_BURST_KEY: "0"}):
        yield


@pytest.mark.usefixtures("no_login_limits")
def test_login_with_bad_input_is_refused_cleanly_and_opens_no_session(cloud: Cloud, tenant: Tenant) -> None:
    user, password = tenant.account, "pw-" + tenant.account
    bad_values = (*CONTROL, HUGE, UNICODE, SQLISH, "' OR '1'='1", "admin'--")
    cases = [
        Case("username missing", (("password", password),), 431,
             "Unable to execute API command login due to missing parameter username"),
        Case("password missing", (("username", user),), 431,
             "Unable to execute API command login due to missing parameter password"),
        Case("username empty", (("username", ""), ("password", password)), 431),
        *(Case(f"username={v[:20]!r}", (("username", v), ("password", password))) for v in bad_values),
        *(Case(f"password={v[:20]!r}", (("username", user), ("password", v)), 401) for v in bad_values),
        *(Case(f"domain={v[:20]!r}", (("username", user), ("password", password), ("domain", v)))
          for v in bad_values),
        *(Case(f"domainId={v[:20]!r}", (("username", user), ("password", password), ("domainId", v)))
          for v in (*MALFORMED_UUIDS, *CONTROL, str(uuid.uuid4()))),
        Case("username repeated, a wrong one first",
             (("username", "no-such-user"), ("username", user), ("password", password)), 401),
        Case("password repeated, a wrong one first",
             (("username", user), ("password", "wrong"), ("password", password)), 401),
    ]
    before = snapshot(cloud.db)
    with cloud.db.read() as conn:
        sessions_before = conn.execute(select(t.sessions.c.key)).scalars().all()
    found: list[str] = []
    for case in cases:
        response = login(cloud, case.pairs)
        found += problems_of(response, LOGIN_KEY, case)
        if "JSESSIONID" in response.cookies:
            found.append(f"{case.what}: a session cookie was set")
    found += changes(before, snapshot(cloud.db))
    with cloud.db.read() as conn:
        sessions_after = conn.execute(select(t.sessions.c.key)).scalars().all()
    if sorted(sessions_after) != sorted(sessions_before):
        found.append("a session was opened")
    assert not found, "login:\n" + "\n".join(found)


@pytest.mark.parametrize("role", ["admin", "user"])
def test_logout_with_a_bad_session_key_is_refused_cleanly_and_changes_nothing(
    cloud: Cloud, tenant: Tenant, role: str
) -> None:
    client, _ = caller(role, cloud, tenant)
    cases = [Case(f"sessionkey={v[:20]!r}", (("sessionkey", v),))
             for v in (*CONTROL, HUGE, UNICODE, SQLISH, "' OR '1'='1", str(uuid.uuid4()))]
    cases.append(Case("sessionkey repeated", (("sessionkey", "a\x00b"), ("sessionkey", "x"))))
    before = snapshot(cloud.db)
    with cloud.db.read() as conn:
        sessions_before = conn.execute(select(t.sessions.c.key)).scalars().all()
    found: list[str] = []
    for case in cases:
        found += problems_of(send(client, "logout", case.pairs), "logoutresponse", case)
    found += changes(before, snapshot(cloud.db))
    with cloud.db.read() as conn:
        if sorted(conn.execute(select(t.sessions.c.key)).scalars().all()) != sorted(sessions_before):
            found.append("sessions changed")
    assert not found, f"logout as {role}:\n" + "\n".join(found)


def test_a_session_key_for_another_users_session_cannot_log_it_out(cloud: Cloud, tenant: Tenant) -> None:
    http = requests.Session()
    credentials = {"username": tenant.account, "password": "pw-" + tenant.account}
    answer = http.post(cloud.url, timeout=30, data={"command": "login", "response": "json", **credentials})
    assert answer.status_code == 200, answer.text
    key = answer.json()[LOGIN_KEY]["sessionkey"]
    other = make_tenant(cloud.admin)
    # Another user's signed logout naming this session must not end it.
    send(other.client, "logout", (("sessionkey", key),))
    params = {"command": "listNetworks", "response": "json", "sessionkey": key}
    still = http.get(cloud.url, timeout=30, params=params)
    assert still.status_code == 200, still.text
