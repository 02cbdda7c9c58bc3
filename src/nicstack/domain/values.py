"""The one spelling nicstack accepts for the values clients send: uuids, whole numbers, text.

Lenient parsing gives one value many spellings (`+5`, ` 5 `, `{uuid}`, `urn:uuid:...`), so a
signature, a log line or a cache key no longer names one thing; and control or bidirectional
formatting characters stored in a name make every later listing of it lie about its text.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata

from nicstack.domain.errors import ParameterError

# RFC 4122's string form; its hex digits are "case insensitive on input", stored lowercase.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Decimal digits with an optional minus, no leading zeros, no plus, no spaces.
_INTEGER = re.compile(r"0|-?[1-9][0-9]{0,18}")
# Control characters (C0 with TAB, CR and LF; DEL; C1), then bidirectional embeddings,
# overrides, isolates and marks, which reorder how text is shown (U+202E turns "txt.exe"
# around), and the line and paragraph separators, which break lines as CR and LF do.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f]|[\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def shown(value: str, limit: int = 80) -> str:
    """The value quoted for an error text: escaped, and cut when long."""
    cut = value if len(value) <= limit else value[: limit - 3] + "..."
    return repr(cut)


def invalid(param: str, value: str, why: str) -> ParameterError:
    return ParameterError(f"Invalid value {shown(value)} for parameter {param}: {why}")


def canonical_uuid(value: str, param: str) -> str:
    """A uuid as 8-4-4-4-12 hex digits (braces, `urn:uuid:`, spaces or no hyphens are refused)."""
    if not _UUID.fullmatch(value):
        raise invalid(param, value, "not a uuid (expected 8-4-4-4-12 hexadecimal digits)")
    return value.lower()


def canonical_int(value: str, param: str) -> int:
    """A whole number in plain decimal: `5` and `-5`, never `+5`, ` 5 `, `05` or `5.0`."""
    if not _INTEGER.fullmatch(value):
        raise invalid(param, value, "not an integer (plain decimal digits, no sign '+', spaces or leading zeros)")
    return int(value)


def unsafe_character(value: str) -> str | None:
    """What makes the text unfit to store and show again (None when it is fine).

    Refused: every control character (C0 with TAB, CR and LF; DEL; C1) and the formatting
    characters that reorder or break displayed text.
    """
    found = _UNSAFE.search(value)
    if found is None:
        return None
    char = found.group()
    if unicodedata.category(char) == "Cc":
        return f"contains the control character U+{ord(char):04X}"
    return f"contains the formatting character U+{ord(char):04X} ({unicodedata.name(char)})"


# CloudStack's default vm.userdata.max.length: 32 KiB of base64 (about 24 KiB of data).
USER_DATA_LENGTH = 32768


def user_data(value: str, param: str = "userdata") -> str:
    """Base64 user data as deployVirtualMachine takes it, checked (a guest's cloud-init decodes it)."""
    text = "".join(value.split())  # line-wrapped base64 (`base64` wraps at 76) is the same data
    if len(text) > USER_DATA_LENGTH:
        raise invalid(param, value, f"longer than {USER_DATA_LENGTH} base64 characters")
    try:
        base64.b64decode(text, validate=True)
    except binascii.Error:
        raise invalid(param, value, "not base64 (encode the user data, e.g. with `base64 -w0 file`)") from None
    return text
