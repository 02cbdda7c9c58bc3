"""The web UI's files over HTTP: the shell for the UI's URLs, content types, caching, CSP, no traversal."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket

import pytest
import requests

from nicstack.ui.serve import load
from tests.conftest import Cloud

pytestmark = pytest.mark.api


def base(cloud: Cloud) -> str:
    return cloud.url.removesuffix("/client/api")


@pytest.mark.parametrize("path", ["/", "/login", "/instances", "/instances/0b335e9d-71eb-4101-8abc-f686a445b12d/nics",
                                  "/networks/x", "/public-ips/abc/static-nat", "/security-groups", "/events?type=X"])
def test_every_ui_url_answers_the_shell(cloud: Cloud, path: str) -> None:
    reply = requests.get(base(cloud) + path, timeout=10)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    assert re.search(r'<script type="module" src="/ui/app\.js\?v=[0-9a-f]{20}">', reply.text)
    csp = reply.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    # The one inline script is the import map, allowed by its hash and nothing else.
    [importmap] = re.findall(r'<script type="importmap">(.*?)</script>', reply.text)
    digest = base64.b64encode(hashlib.sha256(importmap.encode()).digest()).decode()
    assert re.search(r"script-src (\S+ \S+);", csp).group(1) == f"'self' 'sha256-{digest}'"  # type: ignore[union-attr]
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["cache-control"] == "no-cache"


def test_files_have_their_content_types_and_are_kept_while_their_version_holds(cloud: Cloud) -> None:
    shell = requests.get(base(cloud) + "/", timeout=10).text
    types = {"/ui/app.js": "text/javascript; charset=utf-8", "/ui/pages/nic.js": "text/javascript; charset=utf-8",
             "/ui/style.css": "text/css; charset=utf-8", "/ui/icon.svg": "image/svg+xml"}
    for path, content_type in types.items():
        [versioned] = set(re.findall(rf'"({re.escape(path)}\?v=[0-9a-f]+)"', shell))
        kept = requests.get(base(cloud) + versioned, timeout=10)
        assert kept.status_code == 200 and kept.headers["content-type"] == content_type, path
        assert kept.headers["cache-control"] == "public, max-age=31536000, immutable"
        plain = requests.get(base(cloud) + path, timeout=10)
        assert plain.content == kept.content and plain.headers["cache-control"] == "no-cache"
        stale = requests.get(base(cloud) + path + "?v=0123", timeout=10)
        assert stale.headers["cache-control"] == "no-cache"
        again = requests.get(base(cloud) + path, headers={"If-None-Match": plain.headers["etag"]}, timeout=10)
        assert again.status_code == 304 and again.content == b""
    head = requests.head(base(cloud) + "/ui/app.js", timeout=10)
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) > 0


def raw_get(cloud: Cloud, target: str) -> int:
    """Send the request line as given (no client-side normalisation of ../ or %2e%2e)."""
    host, port = base(cloud).removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        first = s.recv(200).decode("latin-1")
    return int(first.split()[1])


@pytest.mark.parametrize("target", ["/ui/../pyproject.toml", "/ui/%2e%2e/serve.py", "/ui/..%2fserve.py",
                                    "/ui/pages/../../serve.py", "/ui/", "/ui/serve.py", "/ui/__init__.py",
                                    "/etc/passwd", "/instances/a/b/c/d", "/instances/%00", "/nope"])
def test_nothing_outside_the_ui_files_is_served(cloud: Cloud, target: str) -> None:
    assert raw_get(cloud, target) == 404


def test_other_methods_are_refused_and_the_api_still_answers(cloud: Cloud) -> None:
    assert requests.post(base(cloud) + "/instances", timeout=10).status_code == 405
    assert requests.get(cloud.url, params={"command": "listCapabilities", "response": "json"},
                        timeout=10).status_code == 401


def test_only_known_file_types_are_served() -> None:
    files = load()
    assert "/ui/index.html" in files and "/ui/app.js" in files
    assert all(path.rsplit(".", 1)[1] in {"html", "js", "css", "svg", "png"} for path in files)


def test_the_shell_maps_and_preloads_every_module() -> None:
    """No build step bundles the modules: the shell's import map names each one by its version, and
    the shell preloads each, so the browser fetches them at once."""
    files = load()
    shell = files["/ui/index.html"].body.decode()
    importmap = json.loads(re.findall(r'<script type="importmap">(.*?)</script>', shell)[0])["imports"]
    modules = sorted(path for path in files if path.endswith(".js"))
    assert sorted(importmap) == modules
    assert all(importmap[m] == f"{m}?v={files[m].version}" for m in modules)
    preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)">', shell)
    assert sorted(preloaded) == sorted(importmap[m] for m in modules if m != "/ui/app.js")
