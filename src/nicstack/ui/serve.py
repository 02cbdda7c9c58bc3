"""Serve the web UI: the shell page for the UI's own URLs, and its static files under /ui/.

Every file is read once, when the app is made, into a table keyed by its URL: a request can
only ever name one of those, so no path a client sends reaches the file system (no directory
traversal, whatever the encoding). The UI is a client of /client/api; nothing here touches the
database.

Caching without a build step: the shell names every file with its content's hash
(`/ui/app.js?v=<hash>`), and an import map sends each module's relative imports to the same
hashed URLs, so a browser keeps files for a year and never asks for them again until they
change; the shell itself is revalidated on every load (ETag). Every answer carries a strict
Content-Security-Policy: scripts, styles and requests from this origin only, no inline code
but the import map (allowed by its hash), no framing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from urllib.parse import parse_qs

ASSET_PREFIX = "/ui/"
SHELL = ASSET_PREFIX + "index.html"
ENTRY = ASSET_PREFIX + "app.js"
MARKER = re.compile(r"<!-- nicstack:modules[^>]*-->")
# The first segment of every URL the UI routes (ui/static/app.js): the shell answers these.
UI_SECTIONS = frozenset({"", "login", "instances", "networks", "public-ips", "security-groups", "events"})
_SEGMENT = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_MAX_DEPTH = 4
_ATTRIBUTE = re.compile(r'(href|src)="(/ui/[^"?]+)"')
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
SECURITY_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
)
FOREVER = "public, max-age=31536000, immutable"
_NOT_FOUND = (b"<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Not found - nicstack</title>"
              b"<h1>Not found</h1><p>No page here. The web UI starts at <a href=\"/\">/</a>, "
              b"the API is at /client/api.</p></html>")


def csp(script_hashes: Sequence[str] = ()) -> str:
    scripts = " ".join(["'self'", *(f"'sha256-{h}'" for h in script_hashes)])
    return (f"default-src 'none'; script-src {scripts}; style-src 'self'; img-src 'self'; connect-src 'self'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


@dataclass(frozen=True, slots=True)
class File:
    body: bytes
    content_type: str
    version: str
    policy: str = csp()

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


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


def _file(body: bytes, content_type: str, policy: str = csp()) -> File:
    return File(body, content_type, hashlib.sha256(body).hexdigest()[:20], policy)


def _shell(template: str, files: dict[str, File]) -> File:
    """index.html with every file's URL versioned, the import map, the module preloads and the entry module."""
    def versioned(path: str) -> str:
        return f"{path}?v={files[path].version}" if path in files else path

    modules = sorted(p for p in files if p.endswith(".js"))
    importmap = json.dumps({"imports": {p: versioned(p) for p in modules}}, separators=(",", ":"))
    digest = base64.b64encode(hashlib.sha256(importmap.encode()).digest()).decode()
    head = "\n".join([
        f'<script type="importmap">{importmap}</script>',
        # No bundler: the browser learns every module up front and fetches them in parallel.
        *(f'<link rel="modulepreload" href="{versioned(p)}">' for p in modules if p != ENTRY),
        f'<script type="module" src="{versioned(ENTRY)}"></script>',
    ])
    text = _ATTRIBUTE.sub(lambda m: f'{m.group(1)}="{versioned(m.group(2))}"', template)
    text, found = MARKER.subn(lambda _m: head, text)
    if found != 1:
        raise RuntimeError(f"{SHELL} needs exactly one <!-- nicstack:modules --> marker, found {found}")
    return _file(text.encode(), CONTENT_TYPES[".html"], csp([digest]))


def load(folder: Traversable | None = None) -> dict[str, File]:
    """Every servable file of the UI's static folder, keyed by the URL path that names it."""
    root = folder or resources.files("nicstack.ui") / "static"
    found = {}
    for name, entry in _walk(root, ""):
        suffix = name[name.rfind("."):] if "." in name else ""
        if suffix in CONTENT_TYPES:
            found[ASSET_PREFIX + name] = _file(entry.read_bytes(), CONTENT_TYPES[suffix])
    found[SHELL] = _shell(found[SHELL].body.decode(), found)
    return found


def is_ui_route(path: str) -> bool:
    """Is this one of the UI's own URLs (the shell answers it; app.js shows the page)?"""
    segments = path.strip("/").split("/") if path.strip("/") else [""]
    if segments[0] not in UI_SECTIONS or len(segments) > _MAX_DEPTH or path.endswith("//"):
        return False
    return all(_SEGMENT.match(s) for s in segments[1:])


def _headers(pairs: Sequence[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in pairs]


def _if_none_match(headers: Sequence[tuple[bytes, bytes]]) -> set[str]:
    tags: set[str] = set()
    for key, value in headers:
        if key == b"if-none-match":
            tags.update(t.strip().removeprefix("W/") for t in value.decode("latin-1").split(","))
    return tags


class Ui:
    """Answers every request that is not for the API."""

    def __init__(self, files: dict[str, File] | None = None) -> None:
        self.files = files if files is not None else load()

    def answer(self, method: str, path: str, query: bytes, headers: Sequence[tuple[bytes, bytes]]) -> Response:
        if method not in ("GET", "HEAD"):
            body = b"Use GET or HEAD for the web UI; the API is at /client/api"
            return Response(405, _headers([("content-type", "text/plain; charset=utf-8"),
                                           ("content-length", str(len(body))), ("allow", "GET, HEAD"),
                                           *SECURITY_HEADERS]), body)
        found = self.files.get(path)
        if found is None and is_ui_route(path):
            found = self.files[SHELL]
        if found is None:
            return Response(404, _headers([("content-type", CONTENT_TYPES[".html"]),
                                           ("content-length", str(len(_NOT_FOUND))), ("content-security-policy", csp()),
                                           *SECURITY_HEADERS]), _NOT_FOUND)
        # A URL that names this very content never changes; any other is checked on every use.
        asked = parse_qs(query.decode("latin-1")).get("v", [])
        cache = FOREVER if found is not self.files[SHELL] and asked == [found.version] else "no-cache"
        common = [("cache-control", cache), ("etag", found.etag), ("content-security-policy", found.policy),
                  *SECURITY_HEADERS]
        if found.etag in _if_none_match(headers):
            return Response(304, _headers(common), b"")
        return Response(200, _headers([("content-type", found.content_type), ("content-length", str(len(found.body))),
                                       *common]), found.body)
