"""Serve the web UI: the shell page for the UI's own URLs, and its static files under /ui/.

Every file is read once, when the app is made, into a table keyed by its URL: a request can
only ever name one of those, so no path a client sends reaches the file system (no directory
traversal, whatever the encoding). The UI is a client of /client/api; nothing here touches the
database. Each answer carries a strict Content-Security-Policy (scripts, styles and requests
from this origin only, no inline code, no framing) and an ETag, so that a browser revalidates
files after an upgrade and gets 304 while they are unchanged.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

ASSET_PREFIX = "/ui/"
# The first segment of every URL the UI routes (ui/static/app.js): the shell answers these.
UI_SECTIONS = frozenset({"", "login", "instances", "networks", "public-ips", "security-groups", "events"})
_SEGMENT = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_MAX_DEPTH = 4
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
)
_NOT_FOUND = (b"<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Not found - nicstack</title>"
              b"<h1>Not found</h1><p>No page here. The web UI starts at <a href=\"/\">/</a>, "
              b"the API is at /client/api.</p></html>")


@dataclass(frozen=True, slots=True)
class File:
    body: bytes
    content_type: str
    etag: str


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


def _walk(folder: Traversable, prefix: str) -> Iterator[tuple[str, Traversable]]:
    for entry in folder.iterdir():
        if entry.is_dir():
            yield from _walk(entry, f"{prefix}{entry.name}/")
        elif entry.is_file():
            yield f"{prefix}{entry.name}", entry


def load(folder: Traversable | None = None) -> dict[str, File]:
    """Every servable file of the UI's static folder, keyed by the URL path that names it."""
    root = folder or resources.files("nicstack.ui") / "static"
    found = {}
    for name, entry in _walk(root, ""):
        suffix = name[name.rfind("."):] if "." in name else ""
        if suffix in CONTENT_TYPES:
            body = entry.read_bytes()
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            found[ASSET_PREFIX + name] = File(body, CONTENT_TYPES[suffix], etag)
    return found


def is_ui_route(path: str) -> bool:
    """Is this one of the UI's own URLs (the shell answers it; app.js shows the page)?"""
    segments = path.strip("/").split("/") if path.strip("/") else [""]
    if segments[0] not in UI_SECTIONS or len(segments) > _MAX_DEPTH or path.endswith("//"):
        return False
    return all(_SEGMENT.match(s) for s in segments[1:])


def _headers(content_type: str, length: int, extra: Sequence[tuple[str, str]] = ()) -> list[tuple[bytes, bytes]]:
    pairs = [("content-type", content_type), ("content-length", str(length)), *SECURITY_HEADERS, *extra]
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in pairs]


class Ui:
    """Answers every request that is not for the API."""

    def __init__(self, files: dict[str, File] | None = None) -> None:
        self.files = files if files is not None else load()
        self.shell = self.files[ASSET_PREFIX + "index.html"]

    def answer(self, method: str, path: str, headers: Sequence[tuple[bytes, bytes]]) -> Response:
        if method not in ("GET", "HEAD"):
            body = b"Use GET or HEAD for the web UI; the API is at /client/api"
            return Response(405, _headers("text/plain; charset=utf-8", len(body), [("allow", "GET, HEAD")]), body)
        found = self.files.get(path)
        if found is None and is_ui_route(path):
            found = self.shell
        if found is None:
            return Response(404, _headers(CONTENT_TYPES[".html"], len(_NOT_FOUND)), _NOT_FOUND)
        cache = [("cache-control", "no-cache"), ("etag", found.etag)]
        if found.etag in _if_none_match(headers):
            return Response(304, [(k.encode(), v.encode()) for k, v in (*cache, *SECURITY_HEADERS)], b"")
        return Response(200, _headers(found.content_type, len(found.body), cache), found.body)


def _if_none_match(headers: Sequence[tuple[bytes, bytes]]) -> set[str]:
    tags: set[str] = set()
    for key, value in headers:
        if key == b"if-none-match":
            tags.update(t.strip().removeprefix("W/") for t in value.decode("latin-1").split(","))
    return tags
