"""One virtual router's rendered documents together, and a key that changes exactly when their content does."""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import sha256

from nicstack.render.haproxy import render_haproxy
from nicstack.render.iptables_router import render_router_iptables
from nicstack.render.router_state import RouterState


@dataclass(frozen=True, slots=True)
class RouterDocuments:
    """The iptables-restore document and the haproxy.cfg of one router."""

    iptables: str
    haproxy: str


def render_router(state: RouterState) -> RouterDocuments:
    return RouterDocuments(iptables=render_router_iptables(state), haproxy=render_haproxy(state))


def generation_key(docs: RouterDocuments) -> str:
    """sha256 hex digest of both documents. The service layer bumps its generation number when this changes."""
    digest = sha256()
    for name, text in (("iptables", docs.iptables), ("haproxy", docs.haproxy)):
        data = text.encode()
        # Length-prefixed, so moving text from one document to the other changes the key.
        digest.update(f"{name}:{len(data)}\n".encode())
        digest.update(data)
    return digest.hexdigest()
