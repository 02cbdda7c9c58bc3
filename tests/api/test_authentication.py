"""Authentication over HTTP with hand-built requests: signatures, expires, sessions, wire basics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import requests

from nicstack.api.signature import sign
from tests.conftest import Cloud
from tests.support.client import UNKNOWN_COMMAND, Client
from tests.support.world import Tenant, make_tenant

pytestmark = pytest.mark.api

AUTH_TEXT = "unable to verify user credentials and/or request signature"
JSON = "application/json; charset=UTF-8"
# A command every role may call, answered synchronously.
PROBE = "listNetworks"
PROBE_KEY = "listnetworksresponse"


def expires_in(delta: timedelta, fmt: str = "%Y-%m-%dT%H:%M:%S+0000") -> str:
    return (datetime.now(UTC) + delta).strftime(fmt)


def v3(client: Client, command: str = PROBE, *, expires: str | None = None, raw: str = "",
       **params: str) -> dict[str, str]:
    """Parameters of a v3-signed request, as `cs` builds them."""
    p = {"command": command, "response": "json", "apiKey": client.api_key, "signatureVersion": "3",
         "expires": expires if expires is not None else expires_in(timedelta(minutes=5)), **params}
    p["signature"] = sign(client.secret_key, p, raw)
    return p


def v2(client: Client, command: str = PROBE, **params: str) -> dict[str, str]:
    """Parameters signed without signatureVersion and expires, as libcloud signs."""
    p = {"command": command, "response": "json", "apiKey": client.api_key, **params}
    p["signature"] = sign(client.secret_key, p)
    return p


def query(params: dict[str, str] | list[tuple[str, str]], safe: str = "") -> str:
    return urlencode(params, quote_via=quote, safe=safe)


def get(url: str, params: dict[str, str] | list[tuple[str, str]], safe: str = "",
        http: Any = requests) -> requests.Response:
    response: requests.Response = http.get(f"{url}?{query(params, safe)}", timeout=30)
    return response


def post(url: str, body: dict[str, str] | list[tuple[str, str]], query_string: str = "") -> requests.Response:
    target = f"{url}?{query_string}" if query_string else url
    return requests.post(target, data=query(body), timeout=30,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})


def accepted(response: requests.Response, key: str = PROBE_KEY) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == JSON
    body = response.json()
    assert list(body) == [key], body
    inner: dict[str, Any] = body[key]
    return inner


def refused(response: requests.Response, status: int, text: str | None = None,
            key: str = PROBE_KEY) -> dict[str, Any]:
    """The error envelope: HTTP status = errorcode, one key, uuidList [], a text."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == JSON
    body = response.json()
    assert list(body) == [key], body
    inner: dict[str, Any] = body[key]
    assert inner["errorcode"] == status
    assert inner["uuidList"] == []
    assert isinstance(inner["errortext"], str) and inner["errortext"]
    assert "Traceback" not in inner["errortext"]
    if text is not None:
        assert inner["errortext"] == text
    return inner


@pytest.fixture(scope="module")
def tenant(cloud: Cloud) -> Tenant:
    return make_tenant(cloud.admin)


# -- signature version 3 and expires ----------------------------------------------------


@pytest.mark.parametrize(
    "fmt", ["%Y-%m-%dT%H:%M:%S+0000", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S+00:00"],
    ids=["cs-plus-0000", "cloudstack-go-Z", "iso-plus-00-00"],
)
def test_a_v3_request_is_accepted_with_expires_in_every_client_format(cloud: Cloud, fmt: str) -> None:
    accepted(get(cloud.url, v3(cloud.admin, expires=expires_in(timedelta(minutes=5), fmt))))


def test_an_expired_v3_request_is_refused_with_cloudstacks_text(cloud: Cloud) -> None:
    old = v3(cloud.admin, expires=expires_in(-timedelta(minutes=1)))
    refused(get(cloud.url, old), 401, AUTH_TEXT)
    ancient = v3(cloud.admin, expires="2001-01-01T00:00:00+0000")
    refused(get(cloud.url, ancient), 401, AUTH_TEXT)


def test_a_v3_request_without_expires_is_refused(cloud: Cloud) -> None:
    p = {"command": PROBE, "response": "json", "apiKey": cloud.admin.api_key, "signatureVersion": "3"}
    p["signature"] = sign(cloud.admin.secret_key, p)
    refused(get(cloud.url, p), 401, AUTH_TEXT)


@pytest.mark.parametrize("expires", ["garbage", "", "2026-13-45T00:00:00+0000", "tomorrow"])
def test_a_v3_request_with_a_malformed_expires_is_refused(cloud: Cloud, expires: str) -> None:
    refused(get(cloud.url, v3(cloud.admin, expires=expires)), 401, AUTH_TEXT)


def test_a_v2_request_without_version_or_expires_is_accepted(cloud: Cloud) -> None:
    accepted(get(cloud.url, v2(cloud.admin)))


# -- signatures -------------------------------------------------------------------------


def test_a_parameter_tampered_with_after_signing_is_refused(cloud: Cloud) -> None:
    p = v3(cloud.admin, keyword="web")
    p["keyword"] = "db"
    refused(get(cloud.url, p), 401, AUTH_TEXT)


def test_a_parameter_added_after_signing_is_refused(cloud: Cloud) -> None:
    p = v3(cloud.admin)
    p["listall"] = "true"
    refused(get(cloud.url, p), 401, AUTH_TEXT)


def test_a_signature_made_with_the_wrong_secret_is_refused(cloud: Cloud) -> None:
    wrong = Client(cloud.url, cloud.admin.api_key, "not-the-secret")
    refused(get(cloud.url, v3(wrong)), 401, AUTH_TEXT)


def test_an_unknown_api_key_is_refused(cloud: Cloud) -> None:
    stranger = Client(cloud.url, "no-such-api-key", "whatever")
    refused(get(cloud.url, v3(stranger)), 401, AUTH_TEXT)


def test_a_request_without_signature_or_without_api_key_is_refused(cloud: Cloud) -> None:
    unsigned = v3(cloud.admin)
    del unsigned["signature"]
    refused(get(cloud.url, unsigned), 401, AUTH_TEXT)
    keyless = v3(cloud.admin)
    del keyless["apiKey"]
    refused(get(cloud.url, keyless), 401, AUTH_TEXT)
    refused(get(cloud.url, {"command": PROBE, "response": "json"}), 401, AUTH_TEXT)


BAD_CREDENTIALS = ["a\x00b", "\x1b[31m", "ünïcødé", "k" * 5000, "' OR '1'='1"]


@pytest.mark.parametrize("api_key", BAD_CREDENTIALS, ids=["nul", "escape", "unicode", "huge", "sqlish"])
def test_an_api_key_with_control_characters_unicode_or_a_huge_length_is_401(cloud: Cloud, api_key: str) -> None:
    refused(get(cloud.url, v3(Client(cloud.url, api_key, "whatever"))), 401, AUTH_TEXT)


@pytest.mark.parametrize("sessionkey", BAD_CREDENTIALS, ids=["nul", "escape", "unicode", "huge", "sqlish"])
def test_a_session_key_with_control_characters_unicode_or_a_huge_length_is_401(cloud: Cloud,
                                                                               sessionkey: str) -> None:
    http = requests.Session()
    http.cookies.set("JSESSIONID", "some-token")
    refused(session_call(cloud, sessionkey, http), 401, AUTH_TEXT)


def test_an_identical_signed_request_sent_twice_is_accepted_both_times(cloud: Cloud) -> None:
    p = v3(cloud.admin)
    first, second = get(cloud.url, p), get(cloud.url, p)
    assert accepted(first) == accepted(second)


def test_a_tilde_signed_as_percent_7e_or_left_raw_is_accepted(cloud: Cloud) -> None:
    accepted(get(cloud.url, v3(cloud.admin, keyword="a~b")))
    accepted(get(cloud.url, v3(cloud.admin, keyword="a~b", raw="~"), safe="~"))


def test_brackets_signed_raw_as_libcloud_does_are_accepted(cloud: Cloud) -> None:
    p = {"command": PROBE, "response": "json", "apiKey": cloud.admin.api_key, "keyword": "x[1]"}
    p["signature"] = sign(cloud.admin.secret_key, p, raw="[]")
    accepted(get(cloud.url, p, safe="[]"))


def test_lowercase_apikey_and_signatureversion_are_accepted(cloud: Cloud) -> None:
    p = {"command": PROBE, "response": "json", "apikey": cloud.admin.api_key, "signatureversion": "3",
         "expires": expires_in(timedelta(minutes=5))}
    p["signature"] = sign(cloud.admin.secret_key, p)
    accepted(get(cloud.url, p))


def test_a_lowercase_signatureversion_3_still_requires_expires(cloud: Cloud) -> None:
    p = {"command": PROBE, "response": "json", "apikey": cloud.admin.api_key, "signatureversion": "3"}
    p["signature"] = sign(cloud.admin.secret_key, p)
    refused(get(cloud.url, p), 401, AUTH_TEXT)


# -- transport --------------------------------------------------------------------------


def test_a_post_with_a_form_body_is_accepted(cloud: Cloud) -> None:
    accepted(post(cloud.url, v3(cloud.admin)))


def test_query_string_and_form_body_are_merged(cloud: Cloud) -> None:
    p = v3(cloud.admin, keyword="merged")
    in_query = {k: v for k, v in p.items() if k in ("command", "response", "apiKey")}
    in_body = {k: v for k, v in p.items() if k not in in_query}
    accepted(post(cloud.url, in_body, query(in_query)))


def test_for_a_parameter_repeated_in_query_and_body_the_query_value_wins(cloud: Cloud) -> None:
    p = v3(cloud.admin, keyword="first")
    # Signed with keyword=first: accepted only if the server takes the query's value.
    accepted(post(cloud.url, {"keyword": "second"}, query(p)))
    # Signed with keyword=second, but the query says first: the server must not take the body's.
    q = v3(cloud.admin, keyword="second")
    refused(post(cloud.url, {"keyword": "second"}, query({**q, "keyword": "first"})), 401, AUTH_TEXT)


def test_for_a_parameter_repeated_in_the_query_string_the_first_value_wins(cloud: Cloud) -> None:
    p = v3(cloud.admin, keyword="first")
    accepted(get(cloud.url, [*p.items(), ("keyword", "second")]))
    refused(get(cloud.url, [("keyword", "second"), *p.items()]), 401, AUTH_TEXT)


def test_an_unknown_command_is_432_for_an_authenticated_caller(cloud: Cloud) -> None:
    response = get(cloud.url, v3(cloud.admin, "noSuchCommandAnywhere"))
    refused(response, 432, UNKNOWN_COMMAND, key="nosuchcommandanywhereresponse")


def test_command_names_are_case_sensitive(cloud: Cloud) -> None:
    response = get(cloud.url, v3(cloud.admin, "listnetworks"))
    refused(response, 432, UNKNOWN_COMMAND, key="listnetworksresponse")


def test_an_unknown_command_from_an_unauthenticated_caller_is_401(cloud: Cloud) -> None:
    stranger = Client(cloud.url, "no-such-api-key", "whatever")
    refused(get(cloud.url, v3(stranger, "noSuchCommandAnywhere")), 401, AUTH_TEXT,
            key="nosuchcommandanywhereresponse")


def test_answers_are_json_with_charset_on_success_and_on_every_error(cloud: Cloud) -> None:
    responses = [
        get(cloud.url, v3(cloud.admin)),
        get(cloud.url, v3(cloud.admin, expires="2001-01-01T00:00:00+0000")),
        get(cloud.url, v3(cloud.admin, "noSuchCommandAnywhere")),
        get(cloud.url, v3(cloud.admin, "listNics")),
        requests.get(cloud.url, timeout=30),
        requests.post(cloud.url, data=b"", timeout=30),
    ]
    assert [r.headers["Content-Type"] for r in responses] == [JSON] * len(responses)
    assert [r.status_code for r in responses] == [200, 401, 432, 431, 401, 401]
    for r in responses:
        assert isinstance(r.json(), dict) and len(r.json()) == 1


def test_a_user_calling_a_root_admin_command_gets_the_unknown_command_answer(cloud: Cloud, tenant: Tenant) -> None:
    response = get(cloud.url, v3(tenant.client, "createZone", name="sneaky", networktype="Advanced",
                                 dns1="8.8.8.8", internaldns1="10.0.0.2"))
    refused(response, 432, UNKNOWN_COMMAND, key="createzoneresponse")
    assert not [z for z in cloud.admin.items("listZones", "zone") if z["name"] == "sneaky"]


def test_a_users_own_keys_are_accepted(cloud: Cloud, tenant: Tenant) -> None:
    accepted(get(cloud.url, v3(tenant.client)))


# -- UI sessions ------------------------------------------------------------------------


def login(cloud: Cloud, tenant: Tenant, http: Any = requests) -> requests.Response:
    response: requests.Response = http.post(
        cloud.url, data={"command": "login", "response": "json", "username": tenant.account,
                         "password": "pw-" + tenant.account}, timeout=30)
    return response


def session_call(cloud: Cloud, sessionkey: str, http: Any = requests, **params: str) -> requests.Response:
    return get(cloud.url, {"command": PROBE, "response": "json", "sessionkey": sessionkey, **params}, http=http)


def test_login_answers_a_session_key_and_sets_the_session_cookie(cloud: Cloud, tenant: Tenant) -> None:
    http = requests.Session()
    answer = accepted(login(cloud, tenant, http), key="loginresponse")
    assert isinstance(answer["sessionkey"], str) and answer["sessionkey"]
    assert answer["username"] == tenant.account and answer["account"] == tenant.account
    assert answer["userid"] == tenant.user_id and answer["domainid"] == tenant.domain_id
    assert "JSESSIONID" in http.cookies
    assert http.cookies["JSESSIONID"] != answer["sessionkey"]


def test_a_call_with_the_session_key_and_the_cookie_is_accepted(cloud: Cloud, tenant: Tenant) -> None:
    http = requests.Session()
    key = accepted(login(cloud, tenant, http), key="loginresponse")["sessionkey"]
    accepted(session_call(cloud, key, http))


def test_a_call_with_the_session_key_but_without_the_cookie_is_refused(cloud: Cloud, tenant: Tenant) -> None:
    http = requests.Session()
    key = accepted(login(cloud, tenant, http), key="loginresponse")["sessionkey"]
    refused(session_call(cloud, key), 401, AUTH_TEXT)
    forged = requests.Session()
    forged.cookies.set("JSESSIONID", "forged-token")
    refused(session_call(cloud, key, forged), 401, AUTH_TEXT)


def test_a_session_cookie_with_non_ascii_characters_is_refused(cloud: Cloud, tenant: Tenant) -> None:
    key = accepted(login(cloud, tenant), key="loginresponse")["sessionkey"]
    odd = requests.get(cloud.url, timeout=30, headers={"Cookie": "JSESSIONID=t\u00e9st".encode().decode("latin-1")},
                       params={"command": PROBE, "response": "json", "sessionkey": key})
    refused(odd, 401, AUTH_TEXT)


def test_the_cookie_alone_without_the_session_key_is_refused(cloud: Cloud, tenant: Tenant) -> None:
    http = requests.Session()
    accepted(login(cloud, tenant, http), key="loginresponse")
    refused(get(cloud.url, {"command": PROBE, "response": "json"}, http=http), 401, AUTH_TEXT)


def test_a_made_up_session_key_is_refused(cloud: Cloud, tenant: Tenant) -> None:
    http = requests.Session()
    accepted(login(cloud, tenant, http), key="loginresponse")
    refused(session_call(cloud, "made-up-session-key", http), 401, AUTH_TEXT)


def test_logout_ends_the_session(cloud: Cloud, tenant: Tenant) -> None:
    http = requests.Session()
    key = accepted(login(cloud, tenant, http), key="loginresponse")["sessionkey"]
    cookie = http.cookies["JSESSIONID"]
    answer = accepted(get(cloud.url, {"command": "logout", "response": "json", "sessionkey": key}, http=http),
                      key="logoutresponse")
    assert answer == {"description": "success"}
    again = requests.Session()
    again.cookies.set("JSESSIONID", cookie)
    refused(session_call(cloud, key, again), 401, AUTH_TEXT)


def test_login_with_a_wrong_password_or_unknown_user_is_refused(cloud: Cloud, tenant: Tenant) -> None:
    for username, password in ((tenant.account, "wrong"), ("no-such-user", "pw")):
        response = requests.post(cloud.url, timeout=30, data={"command": "login", "response": "json",
                                                               "username": username, "password": password})
        refused(response, 401, AUTH_TEXT, key="loginresponse")
        assert "JSESSIONID" not in response.cookies


@pytest.mark.parametrize("missing", ["username", "password"])
def test_login_without_username_or_password_is_a_missing_parameter(cloud: Cloud, tenant: Tenant,
                                                                    missing: str) -> None:
    data = {"command": "login", "response": "json", "username": tenant.account, "password": "pw-" + tenant.account}
    del data[missing]
    response = requests.post(cloud.url, data=data, timeout=30)
    refused(response, 431, f"Unable to execute API command login due to missing parameter {missing}",
            key="loginresponse")
