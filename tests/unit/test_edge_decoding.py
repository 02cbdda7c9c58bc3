"""The parameters' bytes: percent-decoded as UTF-8 or refused, never read as U+FFFD."""

from __future__ import annotations

import pytest

from nicstack.api.edge import UndecodableParameter, decode_params

pytestmark = pytest.mark.unit


def test_query_then_body_with_the_first_value_winning_and_plus_as_space() -> None:
    params = decode_params(b"command=listNics&name=a+b&name=second", b"name=body&keyword=%C3%BC%E6%95%B0&empty=")
    assert params == {"command": "listNics", "name": "a b", "keyword": "ü数", "empty": ""}


@pytest.mark.parametrize("encoded", ["%ff", "%fe", "%80", "%C3", "%ED%A0%80", "abc%C0%AF"])
def test_percent_encoded_bytes_that_are_not_utf8_are_refused_naming_the_parameter(encoded: str) -> None:
    with pytest.raises(UndecodableParameter, match="parameter name: its bytes are not valid UTF-8") as refused:
        decode_params(f"command=listNics&name={encoded}".encode(), b"")
    assert refused.value.code == 431
    assert refused.value.command == "listNics"


def test_raw_bytes_in_a_form_body_that_are_not_utf8_are_refused() -> None:
    with pytest.raises(UndecodableParameter, match=r"parameter \(the request body\)") as refused:
        decode_params(b"command=addIpToNic", b"nicid=\xff\xfe")
    assert refused.value.command == "addIpToNic"


def test_a_parameter_name_that_is_not_utf8_is_refused_quoted() -> None:
    with pytest.raises(UndecodableParameter, match="parameter 'a%ff'"):
        decode_params(b"a%ff=1", b"")
