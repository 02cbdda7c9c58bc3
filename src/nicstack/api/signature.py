"""CloudStack request signatures: the canonical string, its client variants, and `expires`."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote

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
    variants = {canonical(params, raw) for raw in _VARIANTS}
    ok = False
    for text in variants:
        digest = hmac.new(secret.encode(), text.encode(), hashlib.sha1).digest()
        # Compare every variant so timing does not tell which one matched.
        ok |= hmac.compare_digest(base64.b64encode(digest), given)
    return ok


_EXPIRES_FORMATS = ("%Y-%m-%dT%H:%M:%S%z",)


def parse_expires(text: str) -> datetime | None:
    """Parse `expires` as sent by cs (+0000), cloudstack-go (Z) or others (+00:00)."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+0000"
    for fmt in _EXPIRES_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
