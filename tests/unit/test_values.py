"""Strict parsing: one spelling per uuid and integer, no control or bidirectional characters in text."""

from __future__ import annotations

import re

import pytest

from nicstack.api.params import Param, ParamType, int_param, parse, str_param, uuid_list_param, uuid_param
from nicstack.domain.errors import ParameterError
from nicstack.domain.values import canonical_int, canonical_uuid, unsafe_character

pytestmark = pytest.mark.unit

UUID = "5fa99316-f7d1-56e1-9a57-907d68da32ad"


@pytest.mark.parametrize("text", [UUID, UUID.upper()])
def test_a_uuid_in_8_4_4_4_12_form_is_accepted_and_stored_lowercase(text: str) -> None:
    assert canonical_uuid(text, "id") == UUID


@pytest.mark.parametrize("text", [
    "{" + UUID + "}", "urn:uuid:" + UUID, UUID.replace("-", ""), " " + UUID, UUID + " ", UUID + "\n",
    UUID[:-1], UUID + "0", UUID.replace("-", "_"), "5fa99316-f7d1-56e1-9a57-907d68da32az", "",
])
def test_every_other_spelling_of_a_uuid_is_refused_naming_the_parameter(text: str) -> None:
    with pytest.raises(ParameterError, match=r"for parameter nicid: not a uuid \(expected 8-4-4-4-12"):
        canonical_uuid(text, "nicid")


@pytest.mark.parametrize(("text", "value"), [("5", 5), ("-5", -5), ("0", 0), ("2147483647", 2**31 - 1)])
def test_an_integer_in_plain_decimal_is_accepted(text: str, value: int) -> None:
    assert canonical_int(text, "page") == value


@pytest.mark.parametrize("text", ["+5", " 5", "5 ", " 5 ", "05", "-0", "5.0", "1e3", "0x10", "\u0665", "", "-"])
def test_every_other_spelling_of_an_integer_is_refused(text: str) -> None:
    with pytest.raises(ParameterError, match="for parameter page: not an integer"):
        canonical_int(text, "page")


@pytest.mark.parametrize(("text", "code"), [
    ("a\tb", "U+0009"), ("a\nb", "U+000A"), ("a\rb", "U+000D"), ("a\x00b", "U+0000"), ("\x1b[31m", "U+001B"),
    ("a\x7fb", "U+007F"), ("a\x85b", "U+0085"), ("invoice\u202efdp.exe", "U+202E"), ("a\u2066b", "U+2066"),
    ("a\u200fb", "U+200F"), ("a\u2028b", "U+2028"), ("a\u061cb", "U+061C"),
])
def test_control_and_bidirectional_formatting_characters_are_named(text: str, code: str) -> None:
    why = unsafe_character(text)
    assert why is not None and code in why


@pytest.mark.parametrize("text", ["web-1", "ünïcødé", "数据库", "a b", "'; DROP TABLE nics", "🙂", "עברית"])
def test_ordinary_text_in_any_script_is_fine(text: str) -> None:
    assert unsafe_character(text) is None


PARAMS: tuple[Param, ...] = (
    uuid_param("id", "x"), int_param("page", "x", minimum=1), str_param("name", "x"),
    uuid_list_param("virtualmachineids", "x"), Param("vmidipmap", ParamType.MAP, "x"),
)


def test_parse_applies_the_canonical_forms_and_lowercases_uuids() -> None:
    parsed = parse(PARAMS, {"id": UUID.upper(), "page": "2", "name": "web", "virtualmachineids": f"{UUID},{UUID}"})
    assert parsed == {"id": UUID, "page": 2, "name": "web", "virtualmachineids": [UUID, UUID]}


@pytest.mark.parametrize(("raw", "message"), [
    ({"page": "+2"}, "parameter page: not an integer"),
    ({"page": " 2 "}, "parameter page: not an integer"),
    ({"id": "{" + UUID + "}"}, "parameter id: not a uuid"),
    ({"virtualmachineids": f"{UUID},urn:uuid:{UUID}"}, "parameter virtualmachineids: not a uuid"),
    ({"name": "web\r\nX-Injected: 1"}, "parameter name: contains the control character U+000D"),
    ({"name": "web\t1"}, "parameter name: contains the control character U+0009"),
    ({"name": "gnp.\u202eexe"}, "parameter name: contains the formatting character U+202E"),
    ({"vmidipmap[0].vmip": "10.1.1.5\n"}, "parameter vmidipmap[0].vmip: contains the control character U+000A"),
])
def test_parse_refuses_lenient_spellings_and_unsafe_text_with_a_431_naming_the_value(
    raw: dict[str, str], message: str
) -> None:
    with pytest.raises(ParameterError, match=re.escape(message)) as refused:
        parse(PARAMS, raw)
    assert refused.value.code == 431
    assert "\u202e" not in refused.value.text and "\r" not in refused.value.text  # quoted escaped, never raw
