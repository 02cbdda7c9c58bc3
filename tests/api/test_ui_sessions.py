"""UI sessions over HTTP: login and the session key, expiry, logout, and cross-site requests refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from sqlalchemy import update

from nicstack.db import tables as t
from nicstack.db.rows import now
from tests.conftest import Cloud
from tests.support.world import Tenant, make_tenant

pytestmark = pytest.mark.api

CROSS_SITE = "Cross-site request refused"


@pytest.fixture(scope="module")
def tenant(cloud: Cloud) -> Tenant:
    return make_tenant(cloud.admin)


def origin(cloud: Cloud) -> str:
    return cloud.url.removesuffix("/client/api")


def login(cloud: Cloud, tenant: Tenant, **headers: str) -> requests.Response:
    return requests.post(cloud.url, data={"command": "login", "username": tenant.account,
                                          "password": "pw-" + tenant.account, "response": "json"},
                         headers=headers, timeout=10)


def session_call(cloud: Cloud, signed_in: requests.Response, command: str, **headers: str) -> requests.Response:
    key = signed_in.json()["loginresponse"]["sessionkey"]
    return requests.post(cloud.url, data={"command": command, "sessionkey": key, "response": "json"},
                         cookies=signed_in.cookies, headers=headers, timeout=10)


def test_a_session_works_from_the_ui_s_own_origin(cloud: Cloud, tenant: Tenant) -> None:
    signed_in = login(cloud, tenant, Origin=origin(cloud), **{"Sec-Fetch-Site": "same-origin"})
    assert signed_in.status_code == 200
    assert signed_in.cookies.get("JSESSIONID") and signed_in.cookies.get("sessionkey")
    listed = session_call(cloud, signed_in, "listVirtualMachines", Origin=origin(cloud),
                          **{"Sec-Fetch-Site": "same-origin"})
    assert listed.status_code == 200, listed.text


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}, {"Origin": "http://attacker.example"},
    {"Origin": "null"},
], ids=["cross-site", "same-site", "foreign-origin", "null-origin"])
def test_cross_site_session_requests_and_logins_are_refused(cloud: Cloud, tenant: Tenant,
                                                            headers: dict[str, str]) -> None:
    signed_in = login(cloud, tenant)
    refused = session_call(cloud, signed_in, "listVirtualMachines", **headers)
    assert refused.status_code == 401
    assert CROSS_SITE in refused.json()["listvirtualmachinesresponse"]["errortext"]
    forged_login = login(cloud, tenant, **headers)
    assert forged_login.status_code == 401 and "sessionkey" not in forged_login.cookies
    assert CROSS_SITE in forged_login.json()["loginresponse"]["errortext"]


def test_signed_api_calls_are_not_affected_by_browser_headers(cloud: Cloud, tenant: Tenant) -> None:
    tenant.client.session = requests.Session()
    tenant.client.session.headers.update({"Origin": "http://elsewhere.example", "Sec-Fetch-Site": "cross-site"})
    try:
        assert tenant.client.raw("listVirtualMachines")[0] == 200
    finally:
        tenant.client.session = None


def test_a_session_expires(cloud: Cloud, tenant: Tenant) -> None:
    signed_in = login(cloud, tenant)
    key = signed_in.json()["loginresponse"]["sessionkey"]
    assert signed_in.json()["loginresponse"]["timeout"] > 0
    with cloud.db.write() as conn:
        conn.execute(update(t.sessions).where(t.sessions.c.key == key).values(expires=now() - timedelta(seconds=1)))
    expired = session_call(cloud, signed_in, "listVirtualMachines")
    assert expired.status_code == 401


def test_logout_ends_the_session(cloud: Cloud, tenant: Tenant) -> None:
    signed_in = login(cloud, tenant)
    assert session_call(cloud, signed_in, "logout").status_code == 200
    assert session_call(cloud, signed_in, "listVirtualMachines").status_code == 401


def test_the_session_key_alone_is_not_enough(cloud: Cloud, tenant: Tenant) -> None:
    signed_in = login(cloud, tenant)
    key = signed_in.json()["loginresponse"]["sessionkey"]
    # What a forged request from another site would carry at best: the key, without the HttpOnly cookie.
    bare = requests.post(cloud.url, data={"command": "listVirtualMachines", "sessionkey": key, "response": "json"},
                         timeout=10)
    assert bare.status_code == 401
