"""Replay: settings that require `expires` on signed requests and cap how far ahead it may lie.

Off by default, as CloudStack's enforce.post.requests.and.timestamps is: libcloud signs without
`expires`, and `cs` lets users pick a signature's lifetime.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from nicstack.domain.policy import EXPIRES_MAX_KEY, EXPIRES_REQUIRED_KEY
from tests.api.test_authentication import AUTH_TEXT, accepted, expires_in, get, refused, v2, v3
from tests.conftest import Cloud
from tests.support.world import configured

pytestmark = pytest.mark.api

YEAR_9999 = "9999-12-31T23:59:59+0000"


def test_by_default_a_request_without_expires_and_one_expiring_in_9999_are_accepted(cloud: Cloud) -> None:
    accepted(get(cloud.url, v2(cloud.admin)))
    accepted(get(cloud.url, v3(cloud.admin, expires=YEAR_9999)))


def test_with_expires_required_a_signed_request_without_it_is_refused(cloud: Cloud) -> None:
    with configured(cloud.admin, {EXPIRES_REQUIRED_KEY: "true"}):
        refused(get(cloud.url, v2(cloud.admin)), 401, AUTH_TEXT)
        # The same request with `expires` (signed) still works, with or without signatureVersion.
        accepted(get(cloud.url, v3(cloud.admin)))
        accepted(get(cloud.url, v2(cloud.admin, expires=expires_in(timedelta(minutes=5)))))
    accepted(get(cloud.url, v2(cloud.admin)))


def test_with_a_cap_an_expires_further_ahead_is_refused(cloud: Cloud) -> None:
    with configured(cloud.admin, {EXPIRES_MAX_KEY: "600"}):
        refused(get(cloud.url, v3(cloud.admin, expires=YEAR_9999)), 401, AUTH_TEXT)
        refused(get(cloud.url, v3(cloud.admin, expires=expires_in(timedelta(minutes=11)))), 401, AUTH_TEXT)
        accepted(get(cloud.url, v3(cloud.admin, expires=expires_in(timedelta(minutes=9)))))
        # Without expires_required, a request without expires is still the operator's choice to allow.
        accepted(get(cloud.url, v2(cloud.admin)))


def test_both_settings_together_bound_every_signed_request_in_time(cloud: Cloud) -> None:
    with configured(cloud.admin, {EXPIRES_REQUIRED_KEY: "true", EXPIRES_MAX_KEY: "600"}):
        refused(get(cloud.url, v2(cloud.admin)), 401, AUTH_TEXT)
        refused(get(cloud.url, v3(cloud.admin, expires=YEAR_9999)), 401, AUTH_TEXT)
        accepted(get(cloud.url, v3(cloud.admin)))


@pytest.mark.parametrize(("name", "value"), [(EXPIRES_REQUIRED_KEY, "yes"), (EXPIRES_MAX_KEY, "-1"),
                                             (EXPIRES_MAX_KEY, "ten")])
def test_the_settings_refuse_values_of_the_wrong_type(cloud: Cloud, name: str, value: str) -> None:
    error = cloud.admin.error("updateConfiguration", name=name, value=value)
    assert error.status == 431 and name in error.text


def test_the_settings_are_listed_with_their_defaults_and_types(cloud: Cloud) -> None:
    listed = {c["name"]: c for c in cloud.admin.items("listConfigurations", "configuration", name="api.signature")}
    assert listed[EXPIRES_REQUIRED_KEY]["defaultvalue"] == "false"
    assert listed[EXPIRES_REQUIRED_KEY]["type"] == "Boolean"
    assert listed[EXPIRES_MAX_KEY]["defaultvalue"] == "0"
    assert listed[EXPIRES_MAX_KEY]["type"] == "Number"
