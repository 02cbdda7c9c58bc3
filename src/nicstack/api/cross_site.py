"""Refuse UI-session requests that a browser marks as coming from another site.

The session key travels as a parameter and its companion token in an HttpOnly, SameSite=Strict
cookie (see commands/session.py), so a forged request already lacks the key. This is the second
wall: browsers say where a request comes from (Sec-Fetch-Site; Origin in older ones), and a
login or a session call started by another site's page is refused before anything runs, so not
even a login-CSRF (signing the victim in as the attacker) gets through. Clients that are not
browsers send neither header and are not affected; API-key callers are never checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from nicstack.api.wire import Answer, refused
from nicstack.domain.errors import CrossSiteRequest

# "none": the user typed the URL or opened a bookmark; the page's own requests are same-origin.
_TRUSTED_SITES = frozenset({"same-origin", "none"})


def _header(headers: Sequence[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1").strip()
    return None


def uses_session(params: Mapping[str, str]) -> bool:
    return params.get("command") == "login" or bool(params.get("sessionkey"))


def check(headers: Sequence[tuple[bytes, bytes]], params: Mapping[str, str]) -> None:
    """Raise CrossSiteRequest for a session request (or login) that another site's page sent."""
    if not uses_session(params):
        return
    site = _header(headers, b"sec-fetch-site")
    if site is not None and site.lower() not in _TRUSTED_SITES:
        raise CrossSiteRequest(f"Cross-site request refused: a UI session is used only by nicstack's own pages "
                               f"(Sec-Fetch-Site: {site[:40]})")
    origin, host = _header(headers, b"origin"), _header(headers, b"host")
    if origin is not None and (origin == "null" or urlsplit(origin).netloc.lower() != (host or "").lower()):
        raise CrossSiteRequest(f"Cross-site request refused: a UI session is used only by nicstack's own pages "
                               f"(Origin: {origin[:80]})")


def refusal(headers: Sequence[tuple[bytes, bytes]], params: Mapping[str, str]) -> Answer | None:
    """The error answer for a cross-site session request; None for every other request."""
    try:
        check(headers, params)
    except CrossSiteRequest as exc:
        return refused(params.get("command", ""), exc)
    return None
