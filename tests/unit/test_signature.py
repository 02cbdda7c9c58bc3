"""Request signatures: the spec's test vector, the client variants, and `expires` parsing."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from nicstack.api.signature import canonical, parse_expires, sign, verify
from nicstack.domain.credentials import new_key

pytestmark = pytest.mark.unit

SECRET = "test-secret-key"
# The request `cs` 5.2.0 signed in spec 01 (parameter names as cs sends them).
VECTOR = {
    "apiKey": "test-api-key",
    "command": "addIpToNic",
    "expires": "2026-11-27T16:55:18+0000",
    "ipaddress": "10.1.1.50",
    "nicid": "5fa99316-f7d1-56e1-9a57-907d68da32ad",
    "response": "json",
    "signatureVersion": "3",
}
VECTOR_CANONICAL = (
    "apikey=test-api-key&command=addiptonic&expires=2026-11-27t16%3a55%3a18%2b0000&ipaddress=10.1.1.50"
    "&nicid=5fa99316-f7d1-56e1-9a57-907d68da32ad&response=json&signatureversion=3"
)
VECTOR_SIGNATURE = "in8+rshwRbbct0AQxmSeKOEEhco="


def hmac_of(text: str, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha1).digest()).decode()


def test_the_canonical_string_of_the_spec_vector_is_the_one_cloudstack_computes() -> None:
    assert canonical(VECTOR) == VECTOR_CANONICAL


def test_the_spec_vector_signs_to_the_signature_cs_sent() -> None:
    assert hmac_of(VECTOR_CANONICAL) == VECTOR_SIGNATURE
    assert sign(SECRET, VECTOR) == VECTOR_SIGNATURE


def test_the_spec_vector_verifies() -> None:
    assert verify(SECRET, VECTOR, VECTOR_SIGNATURE)


def test_the_signature_parameter_itself_is_left_out_of_the_canonical_string() -> None:
    assert canonical({**VECTOR, "signature": VECTOR_SIGNATURE}) == VECTOR_CANONICAL
    assert verify(SECRET, {**VECTOR, "signature": VECTOR_SIGNATURE}, VECTOR_SIGNATURE)


def test_parameters_are_sorted_by_name_and_the_whole_string_is_lowercased() -> None:
    text = canonical({"b": "Y", "A": "x", "a": "Z"})
    assert text == "a=x&a=z&b=y"


def test_only_java_safe_characters_stay_raw_and_a_space_is_percent_20() -> None:
    assert canonical({"k": "a b+c/d*e-f.g_h~i"}) == "k=a%20b%2bc%2fd*e-f.g_h%7ei"


def test_unicode_values_are_encoded_as_utf8_bytes() -> None:
    assert canonical({"k": "é"}) == "k=%c3%a9"


def test_a_tilde_encoded_as_percent_7e_is_accepted() -> None:
    params = {**VECTOR, "keyword": "a~b"}
    assert "keyword=a%7eb" in canonical(params)
    assert verify(SECRET, params, hmac_of(canonical(params)))


def test_a_tilde_left_raw_as_cs_and_cloudstack_go_send_it_is_accepted() -> None:
    params = {**VECTOR, "keyword": "a~b"}
    raw = canonical(params, raw="~")
    assert "keyword=a~b" in raw
    assert verify(SECRET, params, hmac_of(raw))
    assert verify(SECRET, params, sign(SECRET, params, raw="~"))


def test_brackets_left_raw_as_libcloud_sends_them_are_accepted() -> None:
    params = {"apiKey": "test-api-key", "command": "listVirtualMachines", "keyword": "x[1]", "response": "json"}
    raw = canonical(params, raw="[]")
    assert "keyword=x[1]" in raw
    assert verify(SECRET, params, hmac_of(raw))
    encoded = canonical(params)
    assert "keyword=x%5b1%5d" in encoded
    assert verify(SECRET, params, hmac_of(encoded))


def test_a_value_tampered_with_after_signing_is_rejected() -> None:
    tampered = {**VECTOR, "ipaddress": "10.1.1.51"}
    assert not verify(SECRET, tampered, VECTOR_SIGNATURE)


def test_an_added_parameter_after_signing_is_rejected() -> None:
    assert not verify(SECRET, {**VECTOR, "account": "other"}, VECTOR_SIGNATURE)


def test_a_signature_made_with_another_secret_is_rejected() -> None:
    assert not verify(SECRET, VECTOR, sign("another-secret", VECTOR))


def test_a_garbage_or_empty_signature_is_rejected() -> None:
    assert not verify(SECRET, VECTOR, "")
    assert not verify(SECRET, VECTOR, "not base64 at all ü")
    assert not verify(SECRET, VECTOR, VECTOR_SIGNATURE.lower())


EXPECTED = datetime(2026, 11, 27, 16, 55, 18, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    ["2026-11-27T16:55:18+0000", "2026-11-27T16:55:18Z", "2026-11-27T16:55:18+00:00"],
    ids=["cs-plus-0000", "cloudstack-go-Z", "iso-plus-00-00"],
)
def test_expires_is_parsed_in_every_format_real_clients_send(text: str) -> None:
    parsed = parse_expires(text)
    assert parsed is not None
    assert parsed.tzinfo is not None
    assert parsed == EXPECTED


def test_expires_with_another_offset_means_the_same_instant() -> None:
    assert parse_expires("2026-11-27T18:55:18+0200") == EXPECTED


@pytest.mark.parametrize(
    "text", ["garbage", "", "2026-13-45T00:00:00Z", "27/11/2026 16:55", "2026-11-27T25:00:00+0000", "\x00"]
)
def test_expires_that_is_not_a_date_is_none(text: str) -> None:
    assert parse_expires(text) is None


def test_generated_keys_never_start_with_a_dash_so_command_line_clients_take_them() -> None:
    # One key in 64 would start with "-" by chance; 2,000 keys make a miss near impossible.
    keys = [new_key() for _ in range(2000)]
    assert not [key for key in keys if key.startswith("-")]
    assert len(set(keys)) == len(keys)
    assert all(len(key) >= 64 for key in keys)
