"""Failed logins: CloudStack's incorrect.login.attempts.allowed disables the user; a per-source
throttle answers 429 with Retry-After, so guessing costs the guesser, not the other users.

Every test logs in from a loopback address of its own (127.0.0.0/8 is all this machine's), so
the per-source buckets of one test never spend another's.
"""

from __future__ import annotations

import http.client
import itertools
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from nicstack.domain.policy import LOGIN_ATTEMPTS_KEY, LOGIN_BURST_KEY, LOGIN_RATE_KEY
from tests.conftest import Cloud
from tests.support.client import ApiError
from tests.support.world import Tenant, configured, make_tenant

pytestmark = pytest.mark.api

AUTH_TEXT = "unable to verify user credentials and/or request signature"
_sources = (f"127.0.{n // 250 + 10}.{n % 250 + 1}" for n in itertools.count())


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def inner(self) -> dict[str, Any]:
        inner: dict[str, Any] = self.body["loginresponse"]
        return inner


def login(cloud: Cloud, username: str, password: str, source: str) -> Reply:
    parts = urlsplit(cloud.url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30, source_address=(source, 0))
    try:
        body = urlencode({"command": "login", "response": "json", "username": username, "password": password})
        conn.request("POST", parts.path, body, {"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(response.read()))
    finally:
        conn.close()


def password_of(tenant: Tenant) -> str:
    return "pw-" + tenant.account


def user_state(cloud: Cloud, tenant: Tenant) -> str:
    state: str = cloud.admin.items("listUsers", "user", id=tenant.user_id)[0]["state"]
    return state


def failing(reply: Reply) -> None:
    assert reply.status == 401, reply.body
    assert reply.inner["errortext"] == AUTH_TEXT


def test_five_wrong_passwords_disable_the_user_and_the_right_one_then_fails_the_same_way(cloud: Cloud) -> None:
    tenant, source = make_tenant(cloud.admin), next(_sources)
    for _ in range(4):
        failing(login(cloud, tenant.account, "wrong", source))
    assert user_state(cloud, tenant) == "enabled"
    failing(login(cloud, tenant.account, "wrong", source))
    assert user_state(cloud, tenant) == "disabled"
    # The same answer as any other failure: the guesser does not learn the password was right.
    failing(login(cloud, tenant.account, password_of(tenant), source))
    # A disabled user's API keys stop working too, as in CloudStack.
    with pytest.raises(ApiError) as refused:
        tenant.client.call("listNetworks")
    assert refused.value.status == 401
    events = cloud.admin.items("listEvents", "event", type="USER.DISABLE", listall=True)
    assert any(tenant.account in e["description"] and "5 failed login attempts" in e["description"] for e in events)


def test_a_good_login_resets_the_count(cloud: Cloud) -> None:
    tenant, source = make_tenant(cloud.admin), next(_sources)
    for _ in range(2):
        for _ in range(4):
            failing(login(cloud, tenant.account, "wrong", source))
        assert login(cloud, tenant.account, password_of(tenant), source).status == 200
    assert user_state(cloud, tenant) == "enabled"


def test_enable_user_lets_a_disabled_user_log_in_again_with_a_fresh_count(cloud: Cloud) -> None:
    tenant, source = make_tenant(cloud.admin), next(_sources)
    for _ in range(5):
        failing(login(cloud, tenant.account, "wrong", source))
    enabled = cloud.admin.call("enableUser", id=tenant.user_id)["user"]
    assert enabled["state"] == "enabled" and enabled["id"] == tenant.user_id
    assert login(cloud, tenant.account, password_of(tenant), source).status == 200
    for _ in range(4):
        failing(login(cloud, tenant.account, "wrong", source))
    assert user_state(cloud, tenant) == "enabled"


def test_a_user_or_another_domains_admin_cannot_enable_a_user(cloud: Cloud) -> None:
    tenant = make_tenant(cloud.admin)
    other_domain = cloud.admin.call("createDomain", name=f"sibling-{tenant.account}")["domain"]["id"]
    admin_elsewhere = make_tenant(cloud.admin, domain_id=other_domain, accounttype=2)
    unknown = admin_elsewhere.client.error("enableUser", id=tenant.user_id)
    assert unknown.status == 431 and "Invalid parameter id" in unknown.text
    assert tenant.client.error("enableUser", id=tenant.user_id).status == 432


def test_with_zero_attempts_allowed_users_are_never_disabled(cloud: Cloud) -> None:
    tenant, source = make_tenant(cloud.admin), next(_sources)
    with configured(cloud.admin, {LOGIN_ATTEMPTS_KEY: "0"}):
        for _ in range(8):
            failing(login(cloud, tenant.account, "wrong", source))
    assert user_state(cloud, tenant) == "enabled"
    assert login(cloud, tenant.account, password_of(tenant), source).status == 200


def test_a_source_past_its_burst_gets_429_with_retry_after_even_for_the_right_password(cloud: Cloud) -> None:
    tenant, source, bystander = make_tenant(cloud.admin), next(_sources), next(_sources)
    with configured(cloud.admin, {LOGIN_BURST_KEY: "3", LOGIN_RATE_KEY: "6"}):
        for n in range(3):
            failing(login(cloud, f"nobody-{n}", "guess", source))
        throttled = login(cloud, tenant.account, password_of(tenant), source)
        assert throttled.status == 429, throttled.body
        assert throttled.inner["errorcode"] == 429 and throttled.inner["cserrorcode"] == 4545
        assert throttled.inner["uuidList"] == []
        retry_after = int(throttled.headers["retry-after"])
        assert 1 <= retry_after <= 10  # 6 a minute: one attempt every 10 s
        assert f"retry after {retry_after} seconds" in throttled.inner["errortext"]
        # Other sources are not held back, and the throttled guesses disabled no one.
        assert login(cloud, tenant.account, password_of(tenant), bystander).status == 200
    assert user_state(cloud, tenant) == "enabled"


def test_good_logins_do_not_spend_the_burst(cloud: Cloud) -> None:
    tenant, source = make_tenant(cloud.admin), next(_sources)
    with configured(cloud.admin, {LOGIN_BURST_KEY: "2", LOGIN_RATE_KEY: "1"}):
        for _ in range(6):
            assert login(cloud, tenant.account, password_of(tenant), source).status == 200
