"""CloudStack request signatures: the canonical string, its client variants, `expires`, and signing a request."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

# Java's URLEncoder keeps only these raw (plus alphanumerics); '+' becomes '%20'.
_JAVA_SAFE = "*-._"
# Real clients leave some characters raw: cs and cloudstack-go '~', libcloud '[' and ']'.
_VARIANTS = ("", "~", "[]")


def _java_encode(value: str, raw: str) -> str:
    """Java's URLEncoder with '+' -> '%20'; characters in `raw` stay unescaped.

    Python's `quote` never escapes '~' (it is always safe there), Java's URLEncoder does.
    """
    encoded = quote(value, safe=_JAVA_SAFE + raw)
    return encoded if "~" in raw else encoded.replace("~", "%7E")


def canonical(params: Mapping[str, str], raw: str = "") -> str:
    """The lowercased, sorted, Java-encoded string CloudStack signs (without `signature`)."""
    items = sorted((k, v) for k, v in params.items() if k.lower() != "signature")
    return "&".join(f"{k}={_java_encode(v, raw)}" for k, v in items).lower()


def sign(secret: str, params: Mapping[str, str], raw: str = "") -> str:
    digest = hmac.new(secret.encode(), canonical(params, raw).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def verify(secret: str, params: Mapping[str, str], signature: str) -> bool:
    """True when `signature` matches any variant of the canonical string real clients produce."""
    given = signature.encode()
    values = "".join(params.values())
    # A variant differs from the plain encoding only when a value holds one of its raw
    # characters; most requests have none, and encoding the parameters is the costly part.
    variants = [canonical(params, raw) for raw in _VARIANTS if not raw or any(c in values for c in raw)]
    key = secret.encode()
    ok = False
    for text in variants:
        digest = hmac.new(key, text.encode(), hashlib.sha1).digest()
        ok |= hmac.compare_digest(base64.b64encode(digest), given)
    return ok


def parse_expires(text: str) -> datetime | None:
    """Parse `expires` as sent by cs (+0000), cloudstack-go (Z) or others (+00:00); no zone means UTC."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def expires_in(seconds: float = 600) -> str:
    """A signature-v3 `expires` value as cs writes it."""
    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S+0000")


def wire_values(params: Mapping[str, Any]) -> dict[str, str]:
    """Parameter values as clients send them: booleans as true/false, anything else as its str()."""
    return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in params.items()}


def signed_query(api_key: str, secret_key: str, command: str, params: Mapping[str, str],
                 valid_for: float = 600) -> str:
    """The query string of a v3-signed request valid for `valid_for` seconds, encoded as cs encodes it."""
    p = {"command": command, "response": "json", "apiKey": api_key, "signatureVersion": "3",
         "expires": expires_in(valid_for), **params}
    p["signature"] = sign(secret_key, p)
    return urlencode(p, quote_via=quote)
